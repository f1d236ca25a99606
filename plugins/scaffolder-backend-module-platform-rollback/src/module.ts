import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import {
  PlatformPermissions,
  platformRollbackServiceRef,
  platformSecretScrubberServiceRef,
  registerRunResourceType,
  scrubbedLogger,
} from '@internal/plugin-platform-node';
import { RollbackEngine } from './RollbackEngine';
import { journalIn } from './rollbackService';
import {
  ScaffolderApiTaskReader,
  ScaffolderDatabaseTaskReader,
  ScaffolderTaskEventLog,
} from './scaffolderTasks';
import { registerGetPlatformRunAction } from './actions/getPlatformRunAction';
import { registerListPlatformRunsAction } from './actions/listPlatformRunsAction';
import { PlatformRuns } from './service/PlatformRuns';
import { createRunsRouter } from './service/runsRouter';

/**
 * The rollback engine that removes what a failed or cancelled run created,
 * and the runs API and the `list-platform-runs` and `get-platform-run`
 * actions that show what became of each resource.
 *
 * @public
 */
export const scaffolderModulePlatformRollback = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'platform-rollback',
  register({ registerInit }) {
    registerInit({
      deps: {
        rollback: platformRollbackServiceRef,
        scrubber: platformSecretScrubberServiceRef,
        config: coreServices.rootConfig,
        database: coreServices.database,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
        scheduler: coreServices.scheduler,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        userInfo: coreServices.userInfo,
        catalog: catalogServiceRef,
        actionsRegistry: actionsRegistryServiceRef,
      },
      async init({
        rollback,
        scrubber,
        config,
        database,
        logger,
        lifecycle,
        scheduler,
        discovery,
        auth,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
        userInfo,
        catalog,
        actionsRegistry,
      }) {
        const journal = await journalIn(database);
        registerRunResourceType({
          permissionsRegistry,
          getRuns: taskIds =>
            Promise.all(taskIds.map(taskId => journal.findRun(taskId))),
        });
        const access = PlatformPermissions.create({
          permissions,
          permissionsRegistry,
        });

        const settings = config.getOptionalConfig('platform.rollback');
        const milliseconds = (key: string) =>
          settings?.has(key)
            ? durationToMilliseconds(readDurationFromConfig(settings, { key }))
            : undefined;
        const tasks = new ScaffolderDatabaseTaskReader({
          db: journal.client,
          fallback: new ScaffolderApiTaskReader({ discovery, auth }),
          logger,
        });
        const engine = new RollbackEngine({
          journal,
          compensators: rollback,
          logger: scrubbedLogger(logger, scrubber),
          scrubber,
          tasks,
          taskLog: new ScaffolderTaskEventLog({ db: journal.client, logger }),
          pollIntervalMs: milliseconds('pollInterval'),
          maxDurationPerResourceMs: milliseconds('maxDurationPerResource'),
          leaseMs: milliseconds('lease'),
        });
        // The scaffolder creates its tables in its own init, after its
        // modules', and its HTTP API, the readers' fallback, answers only
        // once the backend has started.
        lifecycle.addStartupHook(() => engine.schedule(scheduler));
        lifecycle.addShutdownHook(() => engine.stop());

        const runs = new PlatformRuns({
          db: journal.client,
          tasksReadable: () => tasks.readsTasksTable(),
          access,
          userInfo,
          catalog,
        });
        registerListPlatformRunsAction({ actionsRegistry, runs });
        registerGetPlatformRunAction({ actionsRegistry, runs });

        httpRouter.use(
          createRunsRouter({
            journal,
            runs,
            httpAuth,
            access,
            tasks,
            taskRecoveryEnabled:
              config.getOptionalBoolean('scaffolder.taskRecovery.enabled') ??
              false,
          }),
        );
      },
    });
  },
});
