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
      },
      async init({
        scaffolder,
        templating,
        config,
        database,
        logger,
        lifecycle,
        discovery,
        auth,
        httpAuth,
        httpRouter,
        permissions,
      }) {
        templating.addTemplateFilters([k8sNameFilter, envVarFilter]);
        const journal = await DatabaseRollbackJournal.create({ database });
        // Each action registers the compensator for what it creates here.
        const compensators = new ResourceCompensatorRegistry();

        const integrations = ScmIntegrations.fromConfig(config);
        const credentialsProvider =
          DefaultGithubCredentialsProvider.fromIntegrations(integrations);
        scaffolder.addActions(
          createGithubRepoCreateAction({
            integrations,
            credentialsProvider,
            journal,
            appBaseUrl: config.getString('app.baseUrl'),
          }),
        );
        compensators.register(
          createGithubRepositoryCompensator({
            integrations,
            credentialsProvider,
          }),
        );

        const kubernetes = readPlatformKubernetes(config);
        scaffolder.addActions(
          createKubernetesNamespaceCreateAction({ kubernetes, journal }),
          createKubernetesQuotaApplyAction({ kubernetes, journal }),
          createKubernetesApplyAction({ kubernetes, journal }),
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

        const seconds = (key: string) => {
          const value = config.getOptionalNumber(`platform.rollback.${key}`);
          return value === undefined ? undefined : value * 1000;
        };
        const engine = new RollbackEngine({
          journal,
          compensators,
          logger,
          tasks: new ScaffolderApiTaskReader({ discovery, auth }),
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
          createRunsRouter({ journal, auth, httpAuth, permissions }),
        );
      },
    });
  },
});
