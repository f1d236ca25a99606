import {
  actionContext,
  createPlatformNamespace,
  startTestCluster,
  TEST_CLUSTER_TOKEN,
  TestCluster,
} from '@internal/platform-test-utils';
import { createKubernetesQuotaApplyAction } from './kubernetesQuotaApply';

describe('platform:kubernetes:quota:apply', () => {
  let cluster: TestCluster;
  let action: ReturnType<typeof createKubernetesQuotaApplyAction>;

  beforeEach(async () => {
    cluster = await startTestCluster();
    const deps = {
      kubernetes: cluster.kubernetes,
      journal: cluster.journal,
      access: cluster.access,
    };
    action = createKubernetesQuotaApplyAction(deps);
    await createPlatformNamespace(cluster, 'payments');
    cluster.server.requests.length = 0;
  });

  afterEach(async () => {
    await cluster.close();
  });

  const storedQuota = () =>
    cluster.server.get('resourcequotas', 'payments', 'platform-quota');
  const hard = () => (storedQuota()?.spec as any)?.hard;

  it('changes the requested resources and keeps the others', async () => {
    const ctx = actionContext({
      namespace: 'payments',
      quota: { cpu: '8', pods: 40 },
    });
    await action.handler(ctx);
    expect(hard()).toEqual({ cpu: '8', memory: '8Gi', pods: '40' });
    expect(ctx.output).toHaveBeenCalledWith('previousQuota', {
      cpu: '4',
      memory: '8Gi',
      pods: '20',
    });
    expect(ctx.output).toHaveBeenCalledWith('quota', {
      cpu: '8',
      memory: '8Gi',
      pods: '40',
    });
  });

  describe('rollback of a change to an existing quota', () => {
    const quotaApply = (
      input: {
        quota: { cpu?: string; pods?: number };
        rollback?: boolean;
      },
      options?: { stepId?: string; checkpoints?: Map<string, unknown> },
    ) => {
      const ctx = actionContext(
        { namespace: 'payments', ...input },
        { taskId: 'quota-run', stepId: options?.stepId },
      );
      const checkpoints = options?.checkpoints;
      if (checkpoints) {
        // As the scaffolder does for a retried task: a finished checkpoint
        // returns its stored result instead of running again.
        ctx.checkpoint = (async ({ key, fn }) => {
          if (!checkpoints.has(key)) {
            checkpoints.set(key, await fn());
          }
          return checkpoints.get(key);
        }) as typeof ctx.checkpoint;
      }
      return action.handler(ctx).then(() => ctx);
    };
    const entries = () => cluster.journal.listByTask('quota-run');
    const before = { cpu: '4', memory: '8Gi', pods: '20' };

    it('records the previous limits before the change', async () => {
      const applies: unknown[] = [];
      const clientFor = cluster.kubernetes.clientFor.bind(cluster.kubernetes);
      jest.spyOn(cluster.kubernetes, 'clientFor').mockImplementation(name => {
        const client = clientFor(name);
        return {
          ...client,
          async apply(object, options) {
            applies.push(await entries());
            return client.apply(object, options);
          },
        };
      });
      await quotaApply({ quota: { cpu: '8', pods: 40 } });
      expect(applies).toEqual([
        [
          expect.objectContaining({
            kind: 'kubernetes:resourcequota-change',
            identity: 'local/payments/resourcequotas/platform-quota',
            state: 'pending',
          }),
        ],
      ]);
      const [entry] = await entries();
      expect(entry).toMatchObject({
        state: 'created',
        data: {
          previous: before,
          applied: { cpu: '8', memory: '8Gi', pods: '40' },
        },
      });
    });

    it('restores the previous limits when the run fails', async () => {
      await quotaApply({ quota: { cpu: '8', pods: 40 } });
      await cluster.rollback('quota-run');
      expect(hard()).toEqual(before);
      expect(await entries()).toEqual([
        expect.objectContaining({
          state: 'rolled_back',
          reason: 'restored the values it had before the run',
        }),
      ]);
      expect(
        cluster.server.get('namespaces', undefined, 'payments')?.status,
      ).toEqual({ phase: 'Active' });
    });

    it('restores the limits of each of two steps, newest first', async () => {
      await quotaApply({ quota: { cpu: '8' } }, { stepId: 'first' });
      await quotaApply({ quota: { cpu: '12' } }, { stepId: 'second' });
      expect(hard()).toMatchObject({ cpu: '12' });
      await cluster.rollback('quota-run');
      expect(hard()).toEqual(before);
    });

    it('keeps the values from before the first execution when the step runs again', async () => {
      await quotaApply({ quota: { cpu: '8' } });
      const replay = await quotaApply({ quota: { cpu: '8' } });
      expect(replay.output).toHaveBeenCalledWith('previousQuota', before);
      expect(await entries()).toEqual([
        expect.objectContaining({
          data: expect.objectContaining({ previous: before }),
        }),
      ]);
      await cluster.rollback('quota-run');
      expect(hard()).toEqual(before);
    });

    it('changes the quota again when a run is retried after its rollback', async () => {
      const checkpoints = new Map<string, unknown>();
      await quotaApply({ quota: { cpu: '8' } }, { checkpoints });
      await cluster.rollback('quota-run');
      expect(hard()).toEqual(before);

      const retry = await quotaApply({ quota: { cpu: '8' } }, { checkpoints });
      expect(hard()).toMatchObject({ cpu: '8' });
      expect(retry.output).toHaveBeenCalledWith('previousQuota', before);
      expect((await entries()).map(e => e.state)).toEqual(['created']);
    });

    it('restores the limits after a change whose outcome was unclear', async () => {
      cluster.server.failNext(1, {
        method: 'PATCH',
        status: 503,
        afterCommit: true,
      });
      await expect(quotaApply({ quota: { cpu: '8' } })).rejects.toThrow(
        'Could not apply the quota of namespace payments on cluster local',
      );
      expect(hard()).toMatchObject({ cpu: '8' });
      expect((await entries()).map(e => e.state)).toEqual(['pending']);
      await cluster.rollback('quota-run');
      expect(hard()).toEqual(before);
    });

    it('leaves a change someone made after the step and says what differs', async () => {
      await quotaApply({ quota: { cpu: '8' } });
      const client = cluster.kubernetes.clientFor(undefined);
      const quota = storedQuota()!;
      const changed = {
        ...quota,
        spec: { hard: { cpu: '12', memory: '8Gi', pods: '20' } },
      };
      await client.replace(changed);
      await cluster.rollback('quota-run');
      expect(hard()).toEqual({ cpu: '12', memory: '8Gi', pods: '20' });
      const [entry] = await entries();
      expect(entry.state).toBe('rollback_failed');
      expect(entry.reason).toBe(
        'Did not restore the previous limits of ResourceQuota platform-quota in namespace payments on cluster local (cpu=4, memory=8Gi, pods=20): the quota was changed after this run set it (cpu is 12 where the run set 8), and that change is left in force',
      );
      expect(cluster.rollbackLog.join('\n')).toContain(
        'cpu is 12 where the run set 8',
      );
    });

    it.each([
      ['deleted', 100],
      ['terminating', 0],
    ])('counts a namespace %s since as already gone', async (_, waitMs) => {
      await quotaApply({ quota: { cpu: '8' } });
      const namespace = cluster.server.get(
        'namespaces',
        undefined,
        'payments',
      )!;
      await cluster.kubernetes
        .clientFor(undefined)
        .deleteExact(namespace, namespace.metadata.uid!);
      await new Promise(resolve => setTimeout(resolve, waitMs));
      cluster.server.requests.length = 0;
      await cluster.rollback('quota-run');
      expect(await entries()).toEqual([
        expect.objectContaining({
          state: 'rolled_back',
          reason: 'it was already gone',
        }),
      ]);
      expect(cluster.server.requests.filter(r => r.write)).toEqual([]);
    });

    it('keeps the change with rollback: false', async () => {
      await quotaApply({ quota: { cpu: '8' }, rollback: false });
      await cluster.rollback('quota-run');
      expect(hard()).toMatchObject({ cpu: '8' });
      expect((await entries()).map(e => e.state)).toEqual(['kept']);
    });

    it('forgets the intent when the API server refuses the change', async () => {
      cluster.server.failNext(1, { method: 'PATCH', status: 403 });
      await expect(quotaApply({ quota: { cpu: '8' } })).rejects.toMatchObject({
        name: 'NotAllowedError',
      });
      expect(await entries()).toEqual([]);
      expect(hard()).toEqual(before);
    });

    it('does not claim an existing quota it only changes', async () => {
      const client = cluster.kubernetes.clientFor(undefined);
      const quota = storedQuota()!;
      await client.replace({
        ...quota,
        metadata: { ...quota.metadata, annotations: {} },
      });
      await quotaApply({ quota: { cpu: '8' } });
      expect(
        storedQuota()?.metadata.annotations?.[
          'platform.internal/created-by-task'
        ],
      ).toBeUndefined();
    });
  });

  it.each([
    {
      input: { namespace: 'Payments', quota: {} },
      error: 'Namespace name "Payments" is not a valid DNS-1123 label',
      name: 'InputError',
    },
    {
      input: { namespace: 'payments', quota: { cpu: '64' } },
      error: 'Quota cpu=64 is more than the maximum of 16',
      name: 'InputError',
    },
    {
      input: { namespace: 'payments', quota: { memory: 'big' } },
      error: 'quota.memory "big" is not a Kubernetes quantity',
      name: 'InputError',
    },
    {
      input: { namespace: 'payments', cluster: 'prod', quota: {} },
      error: 'Cluster prod is not listed for platform actions',
      name: 'InputError',
    },
  ])('refuses $input before any call', async ({ input, error, name }) => {
    await expect(action.handler(actionContext(input))).rejects.toMatchObject({
      name,
      message: expect.stringContaining(error),
    });
    expect(cluster.server.requests).toEqual([]);
  });

  it('refuses a namespace the platform does not manage, and writes nothing', async () => {
    cluster.server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'theirs' },
    });
    await expect(
      action.handler(
        actionContext({ namespace: 'theirs', quota: { cpu: '2' } }),
      ),
    ).rejects.toMatchObject({
      name: 'NotAllowedError',
      message:
        'Namespace theirs on cluster local is not managed by this platform (no label app.kubernetes.io/managed-by=backstage-platform); its quota is left unchanged',
    });
    expect(cluster.server.requests.filter(r => r.write)).toEqual([]);
  });

  it('says so when the namespace does not exist', async () => {
    await expect(
      action.handler(
        actionContext({ namespace: 'nowhere', quota: { cpu: '2' } }),
      ),
    ).rejects.toMatchObject({
      name: 'NotFoundError',
      message: 'Namespace nowhere does not exist on cluster local',
    });
  });

  it('creates a missing quota, journaled, and rolls it back', async () => {
    const client = cluster.kubernetes.clientFor(undefined);
    const quota = storedQuota()!;
    await client.deleteExact(quota, quota.metadata.uid!);
    const ctx = actionContext({ namespace: 'payments', quota: { pods: 5 } });
    await action.handler(ctx);
    expect(hard()).toEqual({ cpu: '4', memory: '8Gi', pods: '5' });
    const [entry] = await cluster.journal.listByTask(ctx.task.id);
    expect(entry).toMatchObject({
      kind: 'kubernetes:resourcequota',
      state: 'created',
    });

    await cluster.rollback(ctx.task.id);
    expect(hard()).toBeUndefined();
    expect(
      cluster.server.get('namespaces', undefined, 'payments'),
    ).toBeDefined();
  });

  it('leaves a quota someone created between the read and the write, and rollback keeps it', async () => {
    const clientFor = cluster.kubernetes.clientFor.bind(cluster.kubernetes);
    const ours = clientFor(undefined);
    const quota = storedQuota()!;
    await ours.deleteExact(quota, quota.metadata.uid!);
    const theirQuota = {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'platform-quota', namespace: 'payments' },
      spec: { hard: { pods: '1' } },
    };
    let theirs: { metadata: { uid?: string } } | undefined;
    const someoneCreates = () => {
      theirs ??= cluster.server.seed(theirQuota);
    };
    jest.spyOn(cluster.kubernetes, 'clientFor').mockImplementation(name => {
      const client = clientFor(name);
      return {
        ...client,
        async create(object, options) {
          someoneCreates();
          return client.create(object, options);
        },
        async apply(object, options) {
          someoneCreates();
          return client.apply(object, options);
        },
      };
    });
    const ctx = actionContext({ namespace: 'payments', quota: { pods: 5 } });
    await expect(action.handler(ctx)).rejects.toMatchObject({
      name: 'ConflictError',
      message:
        'The quota of namespace payments on cluster local was created by someone else while this run was changing it; it was left as it is',
    });
    expect(await cluster.journal.listByTask(ctx.task.id)).toEqual([]);
    await cluster.rollback(ctx.task.id);
    expect(storedQuota()).toMatchObject({
      metadata: { uid: theirs?.metadata.uid },
      spec: { hard: { pods: '1' } },
    });
  });

  it('uses the server dry run and changes nothing in a dry run', async () => {
    const ctx = actionContext(
      { namespace: 'payments', quota: { cpu: '8' } },
      { isDryRun: true },
    );
    await action.handler(ctx);
    expect(hard()).toEqual({ cpu: '4', memory: '8Gi', pods: '20' });
    expect(cluster.server.requests.filter(r => r.write)).toEqual([]);
    expect(await cluster.journal.listByTask(ctx.task.id)).toEqual([]);
    expect(cluster.server.requests).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          method: 'PATCH',
          query: expect.objectContaining({ dryRun: 'All' }),
        }),
      ]),
    );
    expect(ctx.logger.info).toHaveBeenCalledWith(
      expect.stringContaining(
        'Dry run: would change the quota of namespace payments on cluster local',
      ),
    );
    expect(
      JSON.stringify((ctx.logger.info as jest.Mock).mock.calls),
    ).not.toContain(TEST_CLUSTER_TOKEN);
  });
});
