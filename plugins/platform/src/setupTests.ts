import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// Cards and pages load lazily; on a busy CI machine the first import of a
// component module alone can take longer than Testing Library's 1 s default.
configure({ asyncUtilTimeout: 5000 });
