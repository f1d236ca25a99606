import { createBackend } from '@backstage/backend-defaults';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'node:fs';
import { platformModules } from './platformModules';
import { testStepsModule } from '@internal/platform-test-utils';

/**
 * A production backend (backend-defaults, real database, scheduler and auth)
 * with the scaffolder and this module, started as its own process by
 * `startBackendProcess` so that a test can kill it. Only the catalog is an
 * in-memory one holding the test's templates.
 */
const templates = JSON.parse(
  fs.readFileSync(process.env.PLATFORM_TEST_TEMPLATES!, 'utf8'),
);

const backend = createBackend();
backend.add(import('@backstage/plugin-scaffolder-backend'));
platformModules.forEach(feature => backend.add(feature));
backend.add(testStepsModule);
backend.add(catalogServiceMock.factory({ entities: templates }));
backend.start();
