import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { registerGetPlatformServiceAction } from './actions/getPlatformServiceAction';
import { registerListPlatformServicesAction } from './actions/listPlatformServicesAction';
import { registerValidatePlatformEntityAction } from './actions/validatePlatformEntityAction';
import { readLifecycles } from './processor/LifecycleProcessor';
import { PlatformEntityProcessor } from './processor/PlatformEntityProcessor';

/**
 * Adds the platform's lifecycle, typed dependency and ownership rules to the
 * catalog, and the platform's catalog operations to the actions registry
 * (`catalog:list-platform-services`, `catalog:get-platform-service`,
 * `catalog:validate-platform-entity`), for the CLI and AI assistants.
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
        processing: catalogProcessingExtensionPoint,
        catalog: catalogServiceRef,
        actionsRegistry: actionsRegistryServiceRef,
      },
      async init({ processing, config, catalog, actionsRegistry }) {
        processing.addProcessor(PlatformEntityProcessor.fromConfig(config));

        // Every read is made with the caller's credentials, so that the
        // catalog's permissions decide what the caller sees.
        const lifecycles = new Set(readLifecycles(config));
        registerListPlatformServicesAction({ actionsRegistry, catalog });
        registerGetPlatformServiceAction({
          actionsRegistry,
          catalog,
          lifecycles,
        });
        registerValidatePlatformEntityAction({ actionsRegistry, lifecycles });
      },
    });
  },
});
