import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import goldenPath from '@internal/plugin-scaffolder-backend-module-platform';
import filters from '@internal/plugin-scaffolder-backend-module-platform-filters';
import github from '@internal/plugin-scaffolder-backend-module-platform-github';
import kubernetes from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import rollback from '@internal/plugin-scaffolder-backend-module-platform-rollback';

/**
 * Every platform scaffolder module, as `packages/backend` installs them, and
 * the backend's real scheduler, which the rollback engine looks at runs on:
 * the one `startTestBackend` puts in its place runs a task only once.
 */
export const platformModules = [
  rollback,
  github,
  kubernetes,
  filters,
  goldenPath,
  schedulerServiceFactory,
];
