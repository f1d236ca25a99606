/**
 * The platform command line.
 *
 * @packageDocumentation
 */

import { run } from './program';

run(process.argv);
