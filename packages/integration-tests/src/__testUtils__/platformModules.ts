import goldenPath from '@internal/plugin-scaffolder-backend-module-platform';
import filters from '@internal/plugin-scaffolder-backend-module-platform-filters';
import github from '@internal/plugin-scaffolder-backend-module-platform-github';
import kubernetes from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import rollback from '@internal/plugin-scaffolder-backend-module-platform-rollback';

/** Every platform scaffolder module, as `packages/backend` installs them. */
export const platformModules = [
  rollback,
  github,
  kubernetes,
  filters,
  goldenPath,
];
