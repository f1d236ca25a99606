import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { LifecycleProcessor } from './processor/LifecycleProcessor';
import { OwnershipProcessor } from './processor/OwnershipProcessor';
import { TypedDependencyProcessor } from './processor/TypedDependencyProcessor';

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
        catalog.addProcessor(
          LifecycleProcessor.fromConfig(config),
          new TypedDependencyProcessor(),
          new OwnershipProcessor(),
        );
      },
    });
  },
});
