import {
  startTestCluster,
  TestCluster,
} from '../__testUtils__/kubernetesCluster';
import { ANNOTATION_CREATED_BY_TASK } from './ownership';

describe('Kubernetes compensators', () => {
  let cluster: TestCluster;

  beforeEach(async () => {
    cluster = await startTestCluster();
  });

  afterEach(async () => {
    await cluster.close();
  });

  /** An intent whose outcome the run never saw: no uid in the journal. */
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

  it('deletes the object of a pending intent that carries the run annotation', async () => {
    await pendingNamespace('t1');
    cluster.server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'payments',
        annotations: { [ANNOTATION_CREATED_BY_TASK]: 't1' },
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
    ['no annotation', {}],
    ['another run', { [ANNOTATION_CREATED_BY_TASK]: 'someone-else' }],
  ])(
    'leaves an object of a pending intent with %s alone',
    async (_, annotations) => {
      await pendingNamespace('t2');
      const theirs = cluster.server.seed({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'payments', annotations },
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
