import { ConfigReader } from '@backstage/config';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { LocalGithubApiServer, startGithubApiServer } from 'local-targets';

export const GITHUB_HOST = 'github.test';
/** The integration token: full rights. */
export const ADMIN_TOKEN = 'ghp_admin_token_for_tests';
/** A token that can create but not delete repositories. */
export const NO_DELETE_TOKEN = 'ghp_token_without_delete_repo';

export function startTestGithub(options?: {
  /** Team slugs per organization; by default every team exists. */
  teams?: Record<string, string[]>;
}): Promise<LocalGithubApiServer> {
  return startGithubApiServer({
    host: GITHUB_HOST,
    orgs: ['acme'],
    teams: options?.teams,
    tokens: {
      [ADMIN_TOKEN]: { login: 'platform-bot', scopes: ['repo', 'delete_repo'] },
      [NO_DELETE_TOKEN]: { login: 'platform-bot', scopes: ['repo'] },
    },
  });
}

/**
 * `platform.github` for test backends: writes are not paced a second apart,
 * so a run's first commit does not sleep for real.
 */
export const UNPACED_GITHUB = { paceWrites: false };

/** `integrations.github` pointing at the loopback server, as GHE would be configured. */
export function githubIntegrationConfig(
  server: LocalGithubApiServer,
  token = ADMIN_TOKEN,
) {
  return {
    integrations: {
      github: [{ host: GITHUB_HOST, apiBaseUrl: server.url, token }],
    },
  };
}

export function githubClients(server: LocalGithubApiServer, token?: string) {
  const integrations = ScmIntegrations.fromConfig(
    new ConfigReader(githubIntegrationConfig(server, token)),
  );
  return {
    integrations,
    credentialsProvider:
      DefaultGithubCredentialsProvider.fromIntegrations(integrations),
  };
}
