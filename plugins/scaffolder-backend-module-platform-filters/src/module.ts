import { createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderTemplatingExtensionPoint } from '@backstage/plugin-scaffolder-node/alpha';
import { envVarFilter, k8sNameFilter } from './filters';

/**
 * The platform's template filters: `k8sName` and `envVar`.
 *
 * @public
 */
export const scaffolderModulePlatformFilters = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'platform-filters',
  register({ registerInit }) {
    registerInit({
      deps: { templating: scaffolderTemplatingExtensionPoint },
      async init({ templating }) {
        templating.addTemplateFilters([k8sNameFilter, envVarFilter]);
      },
    });
  },
});
