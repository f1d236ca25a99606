import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
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
import { createRunsRouter } from './service/runsRouter';

/**
 * The rollback engine that removes what a failed or cancelled run created,
 * and the runs API that shows what became of each resource.
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
      },
    });
  },
});
