import {
  startTestCluster,
  TestCluster,
  waitFor,
} from '@internal/platform-test-utils';
import { KubernetesClient } from './client';
import { Manifest } from './manifests';
import { waitForAvailable } from './rollout';

const deployment: Manifest = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'payments' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
    },
  },
};

describe('waitForAvailable', () => {
  let cluster: TestCluster;
  let client: KubernetesClient;
  let log: string[];

  beforeEach(async () => {
    cluster = await startTestCluster();
    cluster.server.settings.deploymentAvailableAfterMs = 'never';
    client = cluster.kubernetes.clientFor(undefined);
    await client.create(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } },
      { dryRun: false },
    );
    await client.create(deployment, { dryRun: false });
    cluster.server.requests.length = 0;
    log = [];
  });

  afterEach(async () => {
    await cluster.close();
  });

  const wait = (
    options: Partial<Parameters<typeof waitForAvailable>[0]> = {},
  ) =>
    waitForAvailable({
      client,
      deployment,
      timeoutMs: 20_000,
      pollIntervalMs: 50,
      log: message => log.push(message),
      ...options,
    });

  const until = (what: string, condition: () => boolean) =>
    waitFor(what, async () => condition() || undefined, 4_000);

  /** Reads of the Deployment, by name or as a list selecting its name. */
  const deploymentReads = () =>
    cluster.server.requests.filter(
      r =>
        r.method === 'GET' &&
        r.query.watch === undefined &&
        r.path.startsWith('/apis/apps/v1/namespaces/payments/deployments'),
    ).length;
  const watchRequests = () =>
    cluster.server.requests.filter(r => r.query.watch === 'true');
  /** The wait is over; its last watch is recorded once closed. */
  const watchesClosed = () =>
    until('the watches to close', () => cluster.server.openWatches() === 0);

  /** Changes the Deployment's spec, as an operator scaling it would. */
  const scale = (replicas: number) =>
    client.apply(
      { ...deployment, spec: { ...deployment.spec, replicas } } as Manifest,
      { dryRun: false },
    );

  /** Rolls the Deployment out now; it becomes available at once. */
  const becomeAvailable = () => {
    cluster.server.settings.deploymentAvailableAfterMs = 0;
    return scale(2);
  };

  /**
   * Once the wait has read the Deployment again and watches it a second
   * time, rolls it out; the wait ends on that watch.
   */
  const becomeAvailableOnSecondWatch = async (
    waiting: Promise<void>,
  ): Promise<void> => {
    await until(
      'the second watch',
      () => watchRequests().length === 1 && cluster.server.openWatches() === 1,
    );
    await becomeAvailable();
    await waiting;
    await watchesClosed();
    expect(deploymentReads()).toBe(2);
  };

  it('returns on the change that makes the Deployment available, without reading it again', async () => {
    const waiting = wait({ pollIntervalMs: 60_000 });
    await until('the watch', () => cluster.server.openWatches() === 1);

    await becomeAvailable();
    await waiting;
    await watchesClosed();

    expect(deploymentReads()).toBe(1);
    expect(watchRequests()).toEqual([
      expect.objectContaining({
        path: '/apis/apps/v1/namespaces/payments/deployments',
        query: expect.objectContaining({
          fieldSelector: 'metadata.name=web',
          resourceVersion: expect.stringMatching(/^\d+$/),
        }),
      }),
    ]);
    expect(log).toEqual([
      'Deployment web in namespace payments on cluster local: 0 of 1 replicas available',
      'Deployment web in namespace payments on cluster local: 0 of 2 replicas available',
      'Deployment web in namespace payments on cluster local: 2 of 2 replicas available',
    ]);
  });

  it('reads the Deployment again and watches on when the server ends the stream', async () => {
    const waiting = wait();
    await until('the first watch', () => cluster.server.openWatches() === 1);

    cluster.server.endWatches();

    await becomeAvailableOnSecondWatch(waiting);
    expect(watchRequests()).toHaveLength(2);
  });

  it('reads the Deployment again when the history it watches from is gone (410 Expired)', async () => {
    // The watch request is held while the cluster changes and compacts.
    cluster.server.armFault(1, { verb: 'watch', delayMs: 300 });
    const waiting = wait();
    await until(
      'the held watch',
      () => cluster.server.listFaults().length === 0,
    );
    await client.create(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
      { dryRun: false },
    );
    cluster.server.compactHistory();

    await becomeAvailableOnSecondWatch(waiting);
    expect(watchRequests()).toHaveLength(2);
  });

  it.each([410, 503])(
    'reads the Deployment again when the watch is answered with HTTP %s',
    async status => {
      cluster.server.armFault(1, { verb: 'watch', status });

      await becomeAvailableOnSecondWatch(wait());
      expect(watchRequests().map(r => r.status)).toEqual([status, 200]);
    },
  );

  it('reads the Deployment every poll interval when the cluster refuses to let it watch', async () => {
    cluster.server.armFault(1000, { verb: 'watch', status: 403 });
    const waiting = wait();
    await until('a read after the refusal', () => deploymentReads() >= 3);

    await becomeAvailable();
    await waiting;
    await watchesClosed();

    expect(watchRequests()).toHaveLength(1);
    expect(log).toContain(
      'The cluster does not let the platform watch Deployment web in namespace payments on cluster local; reading it every 0.05 s instead',
    );
  });

  it("fails with the cluster's reason as soon as a change says the rollout cannot progress", async () => {
    const waiting = wait({ pollIntervalMs: 60_000 });
    await until('the watch', () => cluster.server.openWatches() === 1);

    await client.create(
      {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'compute', namespace: 'payments' },
        spec: { hard: { cpu: '1' } },
      } as never,
      { dryRun: false },
    );
    await scale(2);

    await expect(waiting).rejects.toThrow(
      /^Deployment web in namespace payments on cluster local cannot roll out, so the run stops here: the cluster says FailedCreate: pods "web-\w+-\w+" is forbidden: failed quota: compute: must specify cpu for: web$/,
    );
    expect(deploymentReads()).toBe(1);
  });

  it("fails with the pod's reason when its image cannot be pulled while the Deployment is watched", async () => {
    const waiting = wait();
    await until('the watch', () => cluster.server.openWatches() === 1);

    cluster.server.settings.missingImages = ['nginx:1.27'];

    await expect(waiting).rejects.toThrow(
      /cannot roll out, so the run stops here: the cluster says ErrImagePull for container web of pod web-\w+-\w+: rpc error/,
    );
    expect(deploymentReads()).toBe(1);
  });

  it('times out with the last progress it saw, having read the Deployment only once', async () => {
    await expect(wait({ timeoutMs: 600, pollIntervalMs: 50 })).rejects.toThrow(
      'Deployment web in namespace payments on cluster local did not become available within 1 s: 0 of 1 replicas available',
    );
    await watchesClosed();
    expect(deploymentReads()).toBe(1);
    expect(watchRequests()).toHaveLength(1);
  });

  it('stops when the run is cancelled, and closes its watch', async () => {
    const cancel = new AbortController();
    const waiting = wait({ signal: cancel.signal });
    await until('the watch', () => cluster.server.openWatches() === 1);

    cancel.abort();

    await expect(waiting).rejects.toThrow(
      'Stopped waiting for Deployment web in namespace payments on cluster local: the run was cancelled',
    );
    await until('the watch to close', () => cluster.server.openWatches() === 0);
  });
});
