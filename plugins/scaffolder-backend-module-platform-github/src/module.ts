import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  platformRollbackServiceRef,
  platformSecretScrubberServiceRef,
  scrubbedActions,
} from '@internal/plugin-platform-node';
import { createGithubRepoCreateAction } from './actions/githubRepoCreate';
import { readGithubRequestPolicy } from './github/client';
import { createGithubRepositoryCompensator } from './github/githubRepositoryCompensator';
import { scrubbedCredentialsProvider } from './github/scrubbedCredentialsProvider';

/**
 * `platform:github:repo:create`, and the compensator that deletes a
 * repository a failed run created.
 *
 * @public
 */
export const scaffolderModulePlatformGithub = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'platform-github',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        rollback: platformRollbackServiceRef,
        scrubber: platformSecretScrubberServiceRef,
        config: coreServices.rootConfig,
      },
      async init({ scaffolder, rollback, scrubber, config }) {
        const integrations = ScmIntegrations.fromConfig(config);
        const credentialsProvider = scrubbedCredentialsProvider(
          DefaultGithubCredentialsProvider.fromIntegrations(integrations),
          scrubber,
        );
        const githubPolicy = readGithubRequestPolicy(config);
        scrubbedActions(scaffolder, scrubber).addActions(
          createGithubRepoCreateAction({
            ...githubPolicy,
            integrations,
            credentialsProvider,
            journal: rollback.journal,
            appBaseUrl: config.getString('app.baseUrl'),
            maxFirstCommitBytes: config.getOptionalNumber(
              'platform.github.maxFirstCommitBytes',
            ),
          }),
        );
        rollback.addCompensators(
          createGithubRepositoryCompensator({
            ...githubPolicy,
            integrations,
            credentialsProvider,
          }),
        );
      },
    });
  },
});
