import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { CatalogDependencyReader } from './dependencies/CatalogDependencyReader';
import { createDependenciesRouter } from './dependencies/dependenciesRouter';
import { registerGetPlatformServiceAction } from './actions/getPlatformServiceAction';
import { registerListPlatformServicesAction } from './actions/listPlatformServicesAction';
import { registerValidatePlatformEntityAction } from './actions/validatePlatformEntityAction';
import { readLifecycles } from './processor/LifecycleProcessor';
import { PlatformEntityProcessor } from './processor/PlatformEntityProcessor';

/**
 * Adds the platform's lifecycle, typed dependency and ownership rules to the
 * catalog, and the platform's catalog operations to the actions registry
 * (`catalog:list-platform-services`, `catalog:get-platform-service`,
 * `catalog:validate-platform-entity`), for the CLI and AI assistants, and
 * each entity's dependency summary for the Dependencies card
 * (`/api/catalog/platform/dependencies`).
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
        database: coreServices.database,
        permissions: coreServices.permissions,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        processing: catalogProcessingExtensionPoint,
        catalog: catalogServiceRef,
        actionsRegistry: actionsRegistryServiceRef,
      },
      async init({
        processing,
        config,
        database,
        permissions,
        httpRouter,
        httpAuth,
        catalog,
        actionsRegistry,
      }) {
        processing.addProcessor(PlatformEntityProcessor.fromConfig(config));
        const dependencies = new CatalogDependencyReader({
          catalog,
          database,
          permissions,
        });
        httpRouter.use(
          createDependenciesRouter({ reader: dependencies, httpAuth }),
        );

        // Every read is made with the caller's credentials, so that the
        // catalog's permissions decide what the caller sees.
        const lifecycles = new Set(readLifecycles(config));
        registerListPlatformServicesAction({ actionsRegistry, catalog });
        registerGetPlatformServiceAction({
          actionsRegistry,
          dependencies,
          lifecycles,
        });
        registerValidatePlatformEntityAction({ actionsRegistry, lifecycles });
      },
    });
  },
});
