import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { PlatformEntityProcessor } from './processor/PlatformEntityProcessor';

/**
 * Adds the platform's lifecycle, typed dependency and ownership rules to the
 * catalog.
 *
 * @public
 */
export const catalogModulePlatform = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'platform',
  register({ registerInit }) {
    registerInit({
      deps: {
        config: coreServices.rootConfig,
        catalog: catalogProcessingExtensionPoint,
      },
      async init({ catalog, config }) {
        catalog.addProcessor(PlatformEntityProcessor.fromConfig(config));
      },
    });
  },
});
