import { startTestCluster, TestCluster } from '@internal/platform-test-utils';
import { waitFor } from '@internal/platform-test-utils';
import { CompensationInProgress } from '@internal/plugin-platform-node';
import { createKubernetesCompensator } from './compensators';
import {
  ANNOTATION_CREATED_BY_TASK,
  ANNOTATION_OWNER_REF,
  ANNOTATION_RUN_NONCE,
  LABEL_MANAGED_BY,
  LABEL_SERVICE,
  MANAGED_BY_PLATFORM,
} from './ownership';

describe('Kubernetes compensators', () => {
  let cluster: TestCluster;

  beforeEach(async () => {
    cluster = await startTestCluster();
  });

  afterEach(async () => {
    await cluster.close();
  });

  const NONCE = 'c0ffee0123456789c0ffee0123456789';

  /**
   * An intent whose outcome the run never saw: no uid in the journal, only
   * the nonce it put on what it sent.
   */
  const pendingNamespace = (taskId: string) =>
    cluster.journal.recordIntent({
      taskId,
      stepId: 'namespace',
      kind: 'kubernetes:namespace',
      identity: 'local/namespaces/payments',
      data: {
        cluster: 'local',
        apiVersion: 'v1',
        kind: 'Namespace',
        name: 'payments',
        nonce: NONCE,
      },
    });

  /** A namespace the run saw created: the journal holds its uid. */
  const createdNamespace = async (taskId: string) => {
    const entry = await pendingNamespace(taskId);
    const ours = cluster.server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'payments' },
    });
    await cluster.journal.markCreated(entry.id, {
      data: { uid: ours.metadata.uid! },
    });
  };

  it('leaves an object on a cluster removed from the config to a person, and says so', async () => {
    await cluster.journal.recordIntent({
      taskId: 't1',
      stepId: 'namespace',
      kind: 'kubernetes:namespace',
      identity: 'retired/namespaces/payments',
      data: {
        cluster: 'retired',
        apiVersion: 'v1',
        kind: 'Namespace',
        name: 'payments',
      },
    });
    await cluster.rollback('t1');
    const [entry] = await cluster.journal.listByTask('t1');
    expect(entry.state).toBe('rollback_failed');
    expect(entry.reason).toBe(
      'Could not delete Namespace payments on cluster retired: cluster retired is no longer configured for platform actions; delete it by hand',
    );
  });

  it('reports, and leaves to a person, an object whose journal entry holds no proof', async () => {
    const entry = await pendingNamespace('t0');
    await cluster.journal.markCreated(entry.id, { data: { nonce: '' } });
    const existing = cluster.server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'payments' },
    });
    await cluster.rollback('t0');
    const [outcome] = await cluster.journal.listByTask('t0');
    expect(outcome).toMatchObject({
      state: 'rollback_failed',
      reason:
        "The run recorded no proof that it created Namespace payments on cluster local; if it is the run's, delete it by hand",
    });
    expect(
      cluster.server.get('namespaces', undefined, 'payments')?.metadata.uid,
    ).toBe(existing.metadata.uid);
  });

  it("deletes the object of a pending intent that carries the intent's nonce", async () => {
    await pendingNamespace('t1');
    cluster.server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'payments',
        annotations: { [ANNOTATION_RUN_NONCE]: NONCE },
      },
    });
    await cluster.rollback('t1');
    expect(
      cluster.server.get('namespaces', undefined, 'payments'),
    ).toBeUndefined();
    expect((await cluster.journal.listByTask('t1')).map(e => e.state)).toEqual([
      'rolled_back',
    ]);
  });

  it.each([
    ['no annotation', {}, {}],
    ["another run's nonce", { [ANNOTATION_RUN_NONCE]: 'f'.repeat(32) }, {}],
    [
      "this run's task id, owner and platform labels stamped on it by someone else",
      {
        [ANNOTATION_CREATED_BY_TASK]: 't2',
        [ANNOTATION_OWNER_REF]: 'group:default/payments-team',
      },
      { [LABEL_MANAGED_BY]: MANAGED_BY_PLATFORM, [LABEL_SERVICE]: 'payments' },
    ],
  ])(
    'leaves an object of a pending intent with %s alone',
    async (_, annotations, labels) => {
      await pendingNamespace('t2');
      const theirs = cluster.server.seed({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'payments', annotations, labels },
      });
      await cluster.rollback('t2');
      expect(
        cluster.server.get('namespaces', undefined, 'payments')?.metadata.uid,
      ).toBe(theirs.metadata.uid);
      expect(
        cluster.server.requests.filter(r => r.method === 'DELETE'),
      ).toEqual([]);
    },
  );

  it('retries a delete that answered 5xx and reports success once it went through', async () => {
    await createdNamespace('t3');
    cluster.server.failNext(2, { method: 'DELETE', status: 503 });
    await cluster.rollback('t3');
    expect(
      cluster.server.get('namespaces', undefined, 'payments'),
    ).toBeUndefined();
    expect(cluster.rollbackLog.join('\n')).toContain(
      'local/namespaces/payments',
    );
    expect((await cluster.journal.listByTask('t3')).map(e => e.state)).toEqual([
      'rolled_back',
    ]);
  });

  it('answers at once that a namespace is terminating, and when asked again only looks', async () => {
    cluster.server.settings.namespaceDeletionDelayMs = 1000;
    await createdNamespace('t5');
    const [entry] = await cluster.journal.listByTask('t5');
    const compensator = createKubernetesCompensator({
      kind: 'Namespace',
      clusters: cluster.kubernetes.clusters,
      namespaceDeletionTimeoutMs: 5000,
    });
    const check = () =>
      compensator.compensate(entry, { signal: new AbortController().signal });
    const deletes = () =>
      cluster.server.requests.filter(r => r.method === 'DELETE');

    const first = await check();
    expect(first).toBeInstanceOf(CompensationInProgress);
    expect(first).toEqual(
      expect.objectContaining({
        reason:
          'deletion requested; Namespace payments on cluster local is still terminating, which Kubernetes finishes once the objects inside are gone',
        maxWaitMs: 5000,
      }),
    );
    expect(await check()).toBeInstanceOf(CompensationInProgress);
    expect(deletes()).toHaveLength(1);

    await waitFor('the namespace to be gone', async () =>
      cluster.server.get('namespaces', undefined, 'payments')
        ? undefined
        : true,
    );
    expect(await check()).toBe('already_gone');
    expect(deletes()).toHaveLength(1);
  });

  it('reports in words when the cluster refuses the delete', async () => {
    await createdNamespace('t4');
    cluster.server.failNext(1, { method: 'DELETE', status: 403 });
    await cluster.rollback('t4');
    const [failed] = await cluster.journal.listByTask('t4');
    expect(failed.state).toBe('rollback_failed');
    expect(failed.reason).toContain(
      'needs permission to delete this object; delete it by hand',
    );
  });
});
