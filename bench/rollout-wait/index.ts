/*
 * Rollout wait: how soon platform:kubernetes:apply's wait sees a Deployment
 * become available, against the 2 s poll it replaced, in the same run.
 *
 * Run from the repository root: yarn tsx bench/rollout-wait/index.ts
 *
 * The cluster is the loopback Kubernetes API server (HTTPS, bearer token,
 * the watch API) with its miniature Deployment controller, which marks a
 * new Deployment available after a delay. It runs in a process of its own,
 * as an API server does. Each repetition creates a Deployment and starts two
 * waits on it at once: the module's own waitForAvailable (a watch, with the
 * action's default 2 s interval for its other looks) and the old behaviour,
 * the same client's read of the Deployment every 2 s until it is available.
 * The delays are spread over the 2 s cycle (golden-ratio steps), so that the
 * poll's figures sample every phase of it.
 *
 * The cluster's process notes the moment its controller marks the
 * Deployment available: close to the expected moment it looks at its store
 * on every turn of its event loop, which has no client work to do before
 * that look. Both processes read the same monotonic clock
 * (process.hrtime), so each figure is the time from that moment until the
 * wait returns in the benchmark's process. The two waits share a process,
 * so each may delay the other by the time it takes to handle one response.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { ConfigReader } from '@backstage/config';
import {
  TEST_CLUSTER_TOKEN,
  testClusterConfig,
} from '@internal/platform-test-utils';
import {
  KubernetesClient,
  Manifest,
  readPlatformKubernetes,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import {
  LocalKubernetesApiServer,
  startKubernetesApiServer,
} from 'local-targets';
import { waitForAvailable } from '../../plugins/scaffolder-backend-module-platform-kubernetes/src/kubernetes/rollout';

const REPETITIONS = 20;
/** platform:kubernetes:apply's default, and the old poll's interval. */
const POLL_INTERVAL_MS = 2_000;
const NAMESPACE = 'bench';
const TIMEOUT_MS = 30_000;
const TARGET_MS = 100;
/** How long before the expected moment the Deployment is looked at continuously. */
const CLOSE_LOOK_MS = 20;
const CLUSTER_VARIABLE = 'ROLLOUT_WAIT_CLUSTER';

/** What the benchmark asks of the cluster's process. */
type ClusterRequest =
  | { type: 'expect'; name: string; availableAfterMs: number }
  | { type: 'stop' };

/** What the cluster's process answers. */
type ClusterMessage =
  | { type: 'started'; url: string; token: string; caData: string }
  | { type: 'expecting'; name: string }
  /** `at` is process.hrtime.bigint(), as a string. */
  | { type: 'available'; name: string; at: string };

function deploymentManifest(name: string): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
      },
    },
  };
}

type DeploymentState = {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; availableReplicas?: number };
};

function isAvailable(object: object | undefined): boolean {
  const deployment = object as DeploymentState | undefined;
  return (
    deployment !== undefined &&
    (deployment.status?.observedGeneration ?? 0) >=
      (deployment.metadata?.generation ?? 0) &&
    (deployment.status?.availableReplicas ?? 0) >=
      (deployment.spec?.replicas ?? 1)
  );
}

/** The wait as it was before the watch: read, and read again 2 s later. */
async function pollUntilAvailable(
  client: KubernetesClient,
  deployment: Manifest,
): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!isAvailable(await client.read<Manifest>(deployment))) {
    if (Date.now() > deadline) {
      throw new Error(`${deployment.metadata.name} never became available`);
    }
    await delay(POLL_INTERVAL_MS);
  }
}

/**
 * In the cluster's process: makes the next Deployment `name` available
 * `availableAfterMs` after its creation and reports the moment it is. The
 * controller's timer starts when the Deployment is stored, seen here within
 * a millisecond; from shortly before the timer is due, the store is looked
 * at on every turn of the event loop.
 */
function expectAvailable(
  server: LocalKubernetesApiServer,
  name: string,
  availableAfterMs: number,
) {
  server.settings.deploymentAvailableAfterMs = availableAfterMs;
  const expecting: ClusterMessage = { type: 'expecting', name };
  process.send!(expecting);
  const closeLookNs = BigInt((availableAfterMs - CLOSE_LOOK_MS) * 1e6);
  let closeLookFrom: bigint | undefined;
  const look = () => {
    const deployment = server.get('deployments', NAMESPACE, name);
    const now = process.hrtime.bigint();
    if (isAvailable(deployment)) {
      const message: ClusterMessage = {
        type: 'available',
        name,
        at: String(now),
      };
      process.send!(message);
      return;
    }
    if (deployment && closeLookFrom === undefined) {
      closeLookFrom = now + closeLookNs;
    }
    if (closeLookFrom !== undefined && now >= closeLookFrom) {
      setImmediate(look);
    } else {
      setTimeout(look, 1);
    }
  };
  look();
}

async function serveCluster() {
  const server = await startKubernetesApiServer({
    token: TEST_CLUSTER_TOKEN,
    deploymentAvailableAfterMs: 'never',
  });
  // Ends with the benchmark, however the benchmark ends.
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (request: ClusterRequest) => {
    if (request.type === 'expect') {
      expectAvailable(server, request.name, request.availableAfterMs);
    } else {
      await server.close();
      process.exit(0);
    }
  });
  const started: ClusterMessage = {
    type: 'started',
    url: server.url,
    token: server.token,
    caData: server.caData,
  };
  process.send!(started);
}

/** The loopback cluster in a process of its own. */
async function startCluster() {
  const child: ChildProcess = spawn(
    process.execPath,
    [...process.execArgv, __filename],
    {
      env: { ...process.env, [CLUSTER_VARIABLE]: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const expecting = new Map<string, () => void>();
  const available = new Map<string, (at: bigint) => void>();
  const started = await new Promise<ClusterMessage & { type: 'started' }>(
    (resolve, reject) => {
      child.once('exit', code =>
        reject(new Error(`The cluster's process exited with ${code}`)),
      );
      child.on('message', (message: ClusterMessage) => {
        if (message.type === 'started') {
          resolve(message);
        } else if (message.type === 'expecting') {
          expecting.get(message.name)?.();
        } else {
          available.get(message.name)?.(BigInt(message.at));
        }
      });
    },
  );
  return {
    ...started,
    /**
     * Arms the controller for the Deployment `name`, to be created next;
     * resolves once armed, with when it will have become available.
     */
    async expect(
      name: string,
      availableAfterMs: number,
    ): Promise<{ availableAt: Promise<bigint> }> {
      const availableAt = new Promise<bigint>(resolve =>
        available.set(name, resolve),
      );
      const armed = new Promise<void>(resolve => expecting.set(name, resolve));
      const request: ClusterRequest = {
        type: 'expect',
        name,
        availableAfterMs,
      };
      child.send(request);
      await armed;
      return { availableAt };
    },
    stop() {
      const request: ClusterRequest = { type: 'stop' };
      child.removeAllListeners('exit');
      child.send(request);
    },
  };
}

/** Milliseconds from `from` until `waiting` settles. */
async function returnedAfter(waiting: Promise<void>, from: Promise<bigint>) {
  await waiting;
  const returned = process.hrtime.bigint();
  return Number(returned - (await from)) / 1e6;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(p * sorted.length) - 1];
}

async function main() {
  const cluster = await startCluster();
  try {
    // The config reads only the server's address and credentials.
    const client = readPlatformKubernetes(
      new ConfigReader(
        testClusterConfig(cluster as unknown as LocalKubernetesApiServer),
      ),
    ).clientFor(undefined);
    await client.create(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
      { dryRun: false },
    );
    const watch: number[] = [];
    const poll: number[] = [];
    // One untimed repetition warms up the client, the TLS session and the JIT.
    for (let i = -1; i < REPETITIONS; i++) {
      const name = `web-${i + 1}`;
      const phase = (((i + 1) * 0.618034) % 1) * POLL_INTERVAL_MS;
      const { availableAt } = await cluster.expect(
        name,
        300 + Math.round(phase),
      );
      const deployment = deploymentManifest(name);
      await client.create(deployment, { dryRun: false });
      const [watched, polled] = await Promise.all([
        returnedAfter(
          waitForAvailable({
            client,
            deployment,
            timeoutMs: TIMEOUT_MS,
            pollIntervalMs: POLL_INTERVAL_MS,
            log: () => {},
          }),
          availableAt,
        ),
        returnedAfter(pollUntilAvailable(client, deployment), availableAt),
      ]);
      if (i >= 0) {
        watch.push(watched);
        poll.push(polled);
      }
    }

    const ms = (value: number) =>
      value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
    const row = (label: string, values: number[]) =>
      console.log(
        `  ${label.padEnd(36)} median ${ms(percentile(values, 0.5)).padStart(
          9,
        )}   max ${ms(Math.max(...values)).padStart(9)}`,
      );
    console.log(
      `Rollout wait: Deployment available in the loopback cluster -> wait returns, ${REPETITIONS} repetitions`,
    );
    row('watch (waitForAvailable)', watch);
    row(`old ${POLL_INTERVAL_MS / 1000} s poll of the same read`, poll);
    const ratio = percentile(poll, 0.5) / percentile(watch, 0.5);
    console.log(
      `  median poll / median watch: ${ratio.toFixed(0)}x; watch max ${ms(
        Math.max(...watch),
      )} against the target of ${TARGET_MS} ms (${
        Math.max(...watch) <= TARGET_MS ? 'met' : 'NOT met'
      })`,
    );
  } finally {
    cluster.stop();
  }
}

(process.env[CLUSTER_VARIABLE] ? serveCluster() : main()).catch(error => {
  console.error(error);
  process.exit(1);
});
