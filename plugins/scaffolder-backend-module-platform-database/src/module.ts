import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  PlatformPermissions,
  platformRollbackServiceRef,
  platformSecretScrubberServiceRef,
  scrubbedActions,
} from '@internal/plugin-platform-node';
import { readPlatformKubernetes } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { createDatabaseCreateAction } from './actions/databaseCreate';
import { createDatabaseRotateCredentialsAction } from './actions/databaseRotateCredentials';
import { createDatabaseCompensators } from './database/compensators';
import { readPlatformDatabases } from './database/config';
import { createRotationCompensator } from './database/rotation';

/**
 * `platform:database:create` and `platform:database:rotate-credentials`,
 * and the compensators that undo what they did. Without any
 * `platform.databases` the backend starts and the actions refuse, naming
 * the missing config.
 *
 * @public
 */
export const scaffolderModulePlatformDatabase = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'platform-database',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        rollback: platformRollbackServiceRef,
        scrubber: platformSecretScrubberServiceRef,
        config: coreServices.rootConfig,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
      },
      async init({
        scaffolder,
        rollback,
        scrubber,
        config,
        permissions,
        permissionsRegistry,
      }) {
        const databases = readPlatformDatabases(config);
        scrubber.add(...databases.servers.map(s => s.adminPassword));
        const kubernetes = readPlatformKubernetes(config);
        const access = PlatformPermissions.create({
          permissions,
          permissionsRegistry,
        });
        const options = {
          databases,
          kubernetes,
          journal: rollback.journal,
          access,
          scrubber,
        };
        scrubbedActions(scaffolder, scrubber).addActions(
          createDatabaseCreateAction(options),
          createDatabaseRotateCredentialsAction(options),
        );
        rollback.addCompensators(
          ...createDatabaseCompensators({ databases, kubernetes }),
          createRotationCompensator({ databases, kubernetes, scrubber }),
        );
      },
    });
  },
});
