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
// Jest's NODE_ENV=test, which this process inherits, turns off what a
// deployed backend runs, the scheduler's janitor among it: without the
// janitor, the claim that a backend killed in the middle of a scheduled task
// (one of the rollback engine's looks) holds is never freed, and no backend
// on the database runs that task again.
process.env.NODE_ENV = 'production';

const templates = JSON.parse(
  fs.readFileSync(process.env.PLATFORM_TEST_TEMPLATES!, 'utf8'),
);

const backend = createBackend();
backend.add(import('@backstage/plugin-scaffolder-backend'));
platformModules.forEach(feature => backend.add(feature));
backend.add(testStepsModule);
backend.add(catalogServiceMock.factory({ entities: templates }));
backend.start();
