import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createGithubRepoCreateAction } from './actions/githubRepoCreate';
import { createKubernetesApplyAction } from './actions/kubernetesApply';
import { createKubernetesNamespaceCreateAction } from './actions/kubernetesNamespaceCreate';
import { createKubernetesQuotaApplyAction } from './actions/kubernetesQuotaApply';
import { createKubernetesCompensators } from './kubernetes/compensators';
import { readPlatformKubernetes } from './kubernetes/platformKubernetes';
import { createQuotaChangeCompensator } from './kubernetes/quotaChange';
import { createGithubRepositoryCompensator } from './github/githubRepositoryCompensator';
import { readGithubRequestPolicy } from './github/client';
import { scaffolderTemplatingExtensionPoint } from '@backstage/plugin-scaffolder-node/alpha';
import { envVarFilter, k8sNameFilter } from './filters';
import { DatabaseRollbackJournal } from './rollback/DatabaseRollbackJournal';
import { ResourceCompensatorRegistry } from './rollback/ResourceCompensatorRegistry';
import { RollbackEngine } from './rollback/RollbackEngine';
import {
  ScaffolderApiTaskReader,
  ScaffolderTaskEventLog,
} from './rollback/scaffolderTasks';
import { createRunsRouter } from './service/runsRouter';
import { createNamesRouter } from './service/namesRouter';
import { createCatalogRegisterAction } from './actions/catalogRegister';
import { createCatalogLocationCompensator } from './catalog/catalogLocationCompensator';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { createPlatformPreflightAction } from './actions/platformPreflight';
import { PlatformPreflight } from './preflight/PlatformPreflight';
import { PlatformPermissions } from './permissions/PlatformPermissions';
import { namespaceResources } from './kubernetes/namespaceResources';
import {
  SecretScrubber,
  scrubbedActions,
  scrubbedCredentialsProvider,
  scrubbedLogger,
} from './secrets';

/**
 * Registers the platform's scaffolder actions and the rollback engine that
 * removes what a failed or cancelled run created.
 */
export const scaffolderModulePlatform = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'platform',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        templating: scaffolderTemplatingExtensionPoint,
        config: coreServices.rootConfig,
        database: coreServices.database,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        catalog: catalogServiceRef,
      },
      async init({
        scaffolder,
        templating,
        config,
        database,
        logger: moduleLogger,
        lifecycle,
        discovery,
        auth,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
        catalog,
      }) {
        templating.addTemplateFilters([k8sNameFilter, envVarFilter]);
        // One scrubber for every surface the module writes to (promise 8):
        // config secrets, tokens handed out at runtime, credential shapes.
        const scrubber = await SecretScrubber.fromConfig({
          config,
          logger: moduleLogger,
        });
        const logger = scrubbedLogger(moduleLogger, scrubber);
        const actions = scrubbedActions(scaffolder, scrubber);
        const journal = await DatabaseRollbackJournal.create({ database });
        // Each action registers the compensator for what it creates here.
        const compensators = new ResourceCompensatorRegistry();

        const integrations = ScmIntegrations.fromConfig(config);
        const credentialsProvider = scrubbedCredentialsProvider(
          DefaultGithubCredentialsProvider.fromIntegrations(integrations),
          scrubber,
        );
        const githubPolicy = readGithubRequestPolicy(config);
        actions.addActions(
          createGithubRepoCreateAction({
            ...githubPolicy,
            integrations,
            credentialsProvider,
            journal,
            appBaseUrl: config.getString('app.baseUrl'),
            maxFirstCommitBytes: config.getOptionalNumber(
              'platform.github.maxFirstCommitBytes',
            ),
          }),
        );
        compensators.register(
          createGithubRepositoryCompensator({
            ...githubPolicy,
            integrations,
            credentialsProvider,
          }),
        );

        const kubernetes = readPlatformKubernetes(config);
        scrubber.add(...kubernetes.clusters.map(c => c.serviceAccountToken));
        const access = PlatformPermissions.register({
          permissions,
          permissionsRegistry,
          getNamespaces: refs => namespaceResources(kubernetes, refs),
          getRuns: taskIds =>
            Promise.all(taskIds.map(taskId => journal.findRun(taskId))),
        });
        actions.addActions(
          createKubernetesNamespaceCreateAction({
            kubernetes,
            journal,
            access,
          }),
          createKubernetesQuotaApplyAction({ kubernetes, journal, access }),
          createKubernetesApplyAction({ kubernetes, journal, access }),
        );
        for (const compensator of createKubernetesCompensators({
          clusters: kubernetes.clusters,
          namespaceDeletionTimeoutMs:
            kubernetes.settings.namespaceDeletionTimeoutSeconds * 1000,
        })) {
          compensators.register(compensator);
        }
        compensators.register(
          createQuotaChangeCompensator({ clusters: kubernetes.clusters }),
        );

        actions.addActions(
          createCatalogRegisterAction({ catalog, auth, integrations, journal }),
        );
        compensators.register(
          createCatalogLocationCompensator({ catalog, auth }),
        );

        const preflight = new PlatformPreflight({
          githubPolicy,
          integrations,
          credentialsProvider,
          kubernetes,
          access,
          permissions,
          permissionsRegistry,
          catalog,
        });
        actions.addActions(createPlatformPreflightAction({ preflight }));

        const seconds = (key: string) => {
          const value = config.getOptionalNumber(`platform.rollback.${key}`);
          return value === undefined ? undefined : value * 1000;
        };
        const tasks = new ScaffolderApiTaskReader({ discovery, auth });
        const engine = new RollbackEngine({
          journal,
          compensators,
          logger,
          scrubber,
          tasks,
          taskLog: new ScaffolderTaskEventLog({ db: journal.client, logger }),
          pollIntervalMs: seconds('pollIntervalSeconds'),
          maxDurationPerResourceMs: seconds('maxDurationPerResourceSeconds'),
          leaseMs: seconds('leaseSeconds'),
        });
        // The engine reads task status over the scaffolder's HTTP API, which
        // answers only once the backend has started.
        lifecycle.addStartupHook(() => engine.start());
        lifecycle.addShutdownHook(() => engine.stop());

        httpRouter.use(
          createRunsRouter({
            journal,
            httpAuth,
            access,
            tasks,
            taskRecoveryEnabled:
              config.getOptionalBoolean('scaffolder.taskRecovery.enabled') ??
              false,
          }),
        );
        httpRouter.use(createNamesRouter({ httpAuth, preflight }));
      },
    });
  },
});
