import {
  createPlatformNamespace,
  startTestCluster,
  TestCluster,
} from '@internal/platform-test-utils';
import { QUOTA_CHANGE_KIND, quotaDifferences, QuotaHard } from './quotaChange';

describe('quotaDifferences', () => {
  it('compares amounts, not spellings', () => {
    expect(
      quotaDifferences(
        { cpu: '1', memory: '1Gi' },
        { cpu: '1000m', memory: '1024Mi' },
      ),
    ).toEqual([]);
  });

  it('names each resource that differs, is missing or was added', () => {
    expect(
      quotaDifferences({ cpu: '2', services: '5' }, { cpu: '4', pods: '10' }),
    ).toEqual([
      'cpu is 2 where the run set 4',
      'pods is not set where the run set 10',
      'services is 5 where the run set nothing',
    ]);
  });
});

describe('the quota change compensator', () => {
  let cluster: TestCluster;
  const before = { cpu: '4', memory: '8Gi', pods: '20' };
  const raised = { cpu: '8', memory: '8Gi', pods: '20' };

  beforeEach(async () => {
    cluster = await startTestCluster();
    await createPlatformNamespace(cluster, 'payments');
  });

  afterEach(async () => {
    await cluster.close();
  });

  const quota = () =>
    cluster.server.get('resourcequotas', 'payments', 'platform-quota')!;

  const setHard = async (hard: QuotaHard) => {
    const current = quota();
    const changed = { ...current, spec: { hard } };
    await cluster.kubernetes.clientFor(undefined).replace(changed);
  };

  /** A change this run intended; `state` says whether it saw it happen. */
  const recordChange = async (state: 'pending' | 'created') => {
    const entry = await cluster.journal.recordIntent({
      taskId: 't1',
      stepId: 'quota',
      kind: QUOTA_CHANGE_KIND,
      identity: 'local/payments/resourcequotas/platform-quota',
      data: {
        cluster: 'local',
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        name: 'platform-quota',
        namespace: 'payments',
        uid: quota().metadata.uid!,
        previous: before,
        applied: raised,
      },
    });
    if (state === 'created') {
      await cluster.journal.markCreated(entry.id);
    }
  };

  const outcome = async () => {
    const [entry] = await cluster.journal.listByTask('t1');
    return { state: entry.state, reason: entry.reason };
  };

  const writes = () => cluster.server.requests.filter(r => r.write);

  it('retries a restore that answered 5xx until it went through', async () => {
    await recordChange('created');
    await setHard(raised);
    cluster.server.failNext(2, { method: 'PUT', status: 503 });
    await cluster.rollback('t1');
    expect((quota().spec as { hard: QuotaHard }).hard).toEqual(before);
    expect(await outcome()).toEqual({
      state: 'rolled_back',
      reason: 'restored the values it had before the run',
    });
  });

  it('reads and compares again when the quota changed between its read and its write', async () => {
    await recordChange('created');
    await setHard(raised);
    cluster.server.failNext(1, { method: 'PUT', status: 409 });
    cluster.server.requests.length = 0;
    await cluster.rollback('t1');
    expect(
      cluster.server.requests
        .filter(r => r.path.endsWith('/platform-quota'))
        .map(r => `${r.method} ${r.status}`),
    ).toEqual(['GET 200', 'PUT 409', 'GET 200', 'PUT 200']);
    expect((quota().spec as { hard: QuotaHard }).hard).toEqual(before);
  });

  it('reports in words when the cluster refuses the restore', async () => {
    await recordChange('created');
    await setHard(raised);
    cluster.server.failNext(1, { method: 'PUT', status: 403 });
    await cluster.rollback('t1');
    expect((quota().spec as { hard: QuotaHard }).hard).toEqual(raised);
    const { state, reason } = await outcome();
    expect(state).toBe('rollback_failed');
    expect(reason).toContain(
      'needs permission to update ResourceQuotas; restore the limits by hand',
    );
  });

  it('writes nothing when a change whose outcome was unclear never happened', async () => {
    await recordChange('pending');
    cluster.server.requests.length = 0;
    await cluster.rollback('t1');
    expect(writes()).toEqual([]);
    expect(await outcome()).toEqual({
      state: 'rolled_back',
      reason: 'restored the values it had before the run',
    });
  });

  it('leaves a quota re-created under the same name by someone else', async () => {
    await recordChange('created');
    const client = cluster.kubernetes.clientFor(undefined);
    await client.deleteExact(quota(), quota().metadata.uid!);
    const theirs = cluster.server.seed({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'platform-quota', namespace: 'payments' },
      spec: { hard: raised },
    });
    cluster.server.requests.length = 0;
    await cluster.rollback('t1');
    expect(writes()).toEqual([]);
    expect(quota()).toMatchObject({
      metadata: { uid: theirs.metadata.uid },
      spec: { hard: raised },
    });
    expect(await outcome()).toEqual({
      state: 'rolled_back',
      reason: 'it was already gone',
    });
  });
});
