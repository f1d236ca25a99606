import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import {
  scaffolderActionsExtensionPoint,
  scaffolderServiceRef,
} from '@backstage/plugin-scaffolder-node';
import {
  PlatformPermissions,
  platformRollbackServiceRef,
  platformSecretScrubberServiceRef,
  scrubbedActions,
} from '@internal/plugin-platform-node';
import {
  readGithubRequestPolicy,
  scrubbedCredentialsProvider,
} from '@internal/plugin-scaffolder-backend-module-platform-github';
import { readPlatformKubernetes } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { readPlatformDatabases } from '@internal/plugin-scaffolder-backend-module-platform-database';
import { createCatalogRegisterAction } from './actions/catalogRegister';
import { createPlatformPreflightAction } from './actions/platformPreflight';
import { createCatalogLocationCompensator } from './catalog/catalogLocationCompensator';
import { PlatformPreflight } from './preflight/PlatformPreflight';
import { registerCreateServiceAction } from './registry/createServiceAction';
import { createNamesRouter } from './service/namesRouter';

/**
 * What a golden path needs beyond the provider actions: `platform:preflight`
 * (every check of the run's later steps before its first write), the
 * name-availability API behind the template's name field, and
 * `platform:catalog:register`, whose registration is rolled back like the
 * rest of the run; and `create-service` in the actions registry, for the
 * CLI and AI assistants.
 *
 * @public
 */
export const scaffolderModulePlatform = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'platform',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        rollback: platformRollbackServiceRef,
        scrubber: platformSecretScrubberServiceRef,
        config: coreServices.rootConfig,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        catalog: catalogServiceRef,
        actionsRegistry: actionsRegistryServiceRef,
        scaffolderService: scaffolderServiceRef,
        urlReader: coreServices.urlReader,
      },
      async init({
        scaffolder,
        rollback,
        scrubber,
        config,
        auth,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
        catalog,
        actionsRegistry,
        scaffolderService,
        urlReader,
      }) {
        const actions = scrubbedActions(scaffolder, scrubber);
        const integrations = ScmIntegrations.fromConfig(config);

        actions.addActions(
          createCatalogRegisterAction({
            catalog,
            auth,
            integrations,
            journal: rollback.journal,
          }),
        );
        rollback.addCompensators(
          createCatalogLocationCompensator({ catalog, auth }),
        );

        const preflight = new PlatformPreflight({
          githubPolicy: readGithubRequestPolicy(config),
          integrations,
          credentialsProvider: scrubbedCredentialsProvider(
            DefaultGithubCredentialsProvider.fromIntegrations(integrations),
            scrubber,
          ),
          kubernetes: readPlatformKubernetes(config),
          databases: readPlatformDatabases(config),
          access: PlatformPermissions.create({
            permissions,
            permissionsRegistry,
          }),
          permissions,
          permissionsRegistry,
          catalog,
        });
        actions.addActions(createPlatformPreflightAction({ preflight }));
        httpRouter.use(createNamesRouter({ httpAuth, preflight }));

        registerCreateServiceAction({
          actionsRegistry,
          scaffolder: scaffolderService,
          catalog,
          urlReader,
          permissions,
        });
      },
    });
  },
});
