import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { PlatformProcessor } from './processor/PlatformProcessor';

export const catalogModulePlatform = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'platform-processor',
  register({ registerInit }) {
    registerInit({
      deps: {
        config: coreServices.rootConfig,
        catalog: catalogProcessingExtensionPoint,
      },
      async init({ catalog, config }) {
        catalog.addProcessor(PlatformProcessor.fromConfig(config));
      },
    });
  },
});
