import express from 'express';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { controlRouter } from './control';
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
  control: {
    port: 7072,
  },
} as const;

export interface RunningLocalTargets {
  github: LocalGithubApiServer;
  /** `http://127.0.0.1:PORT` for `integrations.github[].apiBaseUrl`. */
  githubUrl: string;
  kubernetes: LocalKubernetesApiServer;
  /** `http://127.0.0.1:PORT` of the control API (faults, see README.md). */
  controlUrl: string;
  close(): Promise<void>;
}

function listen(app: express.Express, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1', () => resolve(server));
    server.once('error', reject);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise(resolve => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Starts the loopback GitHub and Kubernetes API servers and their control
 * API on 127.0.0.1. Tests pass port 0 to get free ports.
 */
export async function startLocalTargets(options?: {
  githubPort?: number;
  kubernetesPort?: number;
  controlPort?: number;
}): Promise<RunningLocalTargets> {
  const { github: gh, kubernetes: kube, control } = LOCAL_TARGETS;
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const github = await startGithubApiServer({
      port: options?.githubPort ?? gh.port,
      host: gh.host,
      // Repository links and "View source" lead to the server's own pages;
      // app-config.yaml's second GitHub integration reads them.
      htmlUrlsToOwnPages: true,
      orgs: [...gh.orgs],
      tokens: {
        [gh.token]: {
          login: gh.login,
          scopes: ['repo', 'delete_repo', 'read:org'],
        },
      },
    });
    started.push(github);
    const kubernetes = await startKubernetesApiServer({
      port: options?.kubernetesPort ?? kube.port,
      token: kube.token,
      deploymentAvailableAfterMs: kube.deploymentAvailableAfterMs,
      namespaceDeletionDelayMs: kube.namespaceDeletionDelayMs,
    });
    started.push(kubernetes);
    const controlApp = express();
    controlApp.use(controlRouter({ github, kubernetes }));
    const controlServer = await listen(
      controlApp,
      options?.controlPort ?? control.port,
    );
    started.push({ close: () => closeServer(controlServer) });
    return {
      github,
      githubUrl: github.url,
      kubernetes,
      controlUrl: urlOf(controlServer),
      close: async () => {
        await Promise.all(started.map(s => s.close()));
      },
    };
  } catch (error) {
    await Promise.all(started.map(s => s.close()));
    throw error;
  }
}
