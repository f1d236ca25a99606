import { LocalGithubApiServer, startGithubApiServer } from './github';
import {
  LocalKubernetesApiServer,
  startKubernetesApiServer,
} from './kubernetes/server';

/**
 * The fixed settings of the local targets that `yarn workspace local-targets
 * start` runs for the embedded default of the start command. The tokens are
 * not secrets: only these loopback servers accept them, and app-config's
 * local-targets section names the same values.
 */
export const LOCAL_TARGETS = {
  github: {
    port: 7070,
    // The same web host as real GitHub, so the template's repoUrl works
    // unchanged against both: only `apiBaseUrl` differs.
    host: 'github.com',
    token: 'local-targets-github-token',
    login: 'local-developer',
    orgs: ['example-org'],
  },
  kubernetes: {
    port: 7071,
    token: 'local-targets-kubernetes-token',
    // Slow enough to watch a deployment roll out in the run's log.
    deploymentAvailableAfterMs: 3000,
    namespaceDeletionDelayMs: 2000,
  },
} as const;

export interface RunningLocalTargets {
  github: LocalGithubApiServer;
  kubernetes: LocalKubernetesApiServer;
  close(): Promise<void>;
}

/**
 * Starts the loopback GitHub and Kubernetes API servers on 127.0.0.1. Tests
 * pass port 0 to get free ports.
 */
export async function startLocalTargets(options?: {
  githubPort?: number;
  kubernetesPort?: number;
}): Promise<RunningLocalTargets> {
  const { github: gh, kubernetes: kube } = LOCAL_TARGETS;
  const github = await startGithubApiServer({
    port: options?.githubPort ?? gh.port,
    host: gh.host,
    orgs: [...gh.orgs],
    tokens: {
      [gh.token]: {
        login: gh.login,
        scopes: ['repo', 'delete_repo', 'read:org'],
      },
    },
  });
  try {
    const kubernetes = await startKubernetesApiServer({
      port: options?.kubernetesPort ?? kube.port,
      token: kube.token,
      deploymentAvailableAfterMs: kube.deploymentAvailableAfterMs,
      namespaceDeletionDelayMs: kube.namespaceDeletionDelayMs,
    });
    return {
      github,
      kubernetes,
      close: async () => {
        await Promise.all([github.close(), kubernetes.close()]);
      },
    };
  } catch (error) {
    await github.close();
    throw error;
  }
}
