import { ConfigReader } from '@backstage/config';
import { readPlatformKubernetes } from '../kubernetes/platformKubernetes';
import {
  actionContext,
  startTestCluster,
  TEST_CLUSTER_TOKEN,
  TestCluster,
} from '@internal/platform-test-utils';
import { createKubernetesNamespaceCreateAction } from './kubernetesNamespaceCreate';

jest.setTimeout(20_000);

describe('platform:kubernetes:namespace:create', () => {
  let cluster: TestCluster;
  let action: ReturnType<typeof createKubernetesNamespaceCreateAction>;

  beforeEach(async () => {
    cluster = await startTestCluster();
    action = createKubernetesNamespaceCreateAction({
      kubernetes: cluster.kubernetes,
      journal: cluster.journal,
      access: cluster.access,
    });
  });

  afterEach(async () => {
    await cluster.close();
  });

  const baseInput = {
    name: 'payments',
    service: 'payments',
    owner: 'group:default/payments-team',
  };

  const context = (input: Record<string, unknown>, isDryRun = false) =>
    actionContext(input as typeof baseInput, { isDryRun, stepId: 'namespace' });

  const writes = () => cluster.server.requests.filter(r => r.write);

  it('creates the namespace with labels, annotations, quota and limit range, all journaled', async () => {
    const ctx = context(baseInput);
    await action.handler(ctx);

    const ns = cluster.server.get('namespaces', undefined, 'payments')!;
    expect(ns.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'backstage-platform',
      'platform.internal/owner': 'payments-team',
      'platform.internal/service': 'payments',
      'backstage.io/kubernetes-id': 'payments',
    });
    expect(ns.metadata.annotations).toMatchObject({
      'platform.internal/created-by-task': ctx.task.id,
      'platform.internal/created-by': 'user:default/jane',
      'platform.internal/owner-ref': 'group:default/payments-team',
    });
    expect(
      cluster.server.get('resourcequotas', 'payments', 'platform-quota')?.spec,
    ).toEqual({ hard: { cpu: '4', memory: '8Gi', pods: '20' } });
    expect(
      cluster.server.get('limitranges', 'payments', 'platform-defaults')?.spec,
    ).toEqual({
      limits: [
        {
          type: 'Container',
          defaultRequest: { cpu: '100m', memory: '128Mi' },
          default: { cpu: '500m', memory: '512Mi' },
        },
      ],
    });

    const entries = await cluster.journal.listByTask(ctx.task.id);
    expect(entries.map(e => [e.kind, e.identity, e.state])).toEqual([
      ['kubernetes:namespace', 'local/namespaces/payments', 'created'],
      [
        'kubernetes:resourcequota',
        'local/payments/resourcequotas/platform-quota',
        'created',
      ],
      [
        'kubernetes:limitrange',
        'local/payments/limitranges/platform-defaults',
        'created',
      ],
    ]);
    expect(entries[0].data.uid).toBe(ns.metadata.uid);
    expect(ctx.output).toHaveBeenCalledWith('adopted', false);
    expect(ctx.output).toHaveBeenCalledWith('quota', {
      cpu: '4',
      memory: '8Gi',
      pods: '20',
    });
  });

  it('ends in the same state when the step runs again in the same task (recovery, retry)', async () => {
    const ctx = context(baseInput);
    await action.handler(ctx);
    const uid = cluster.server.get('namespaces', undefined, 'payments')
      ?.metadata.uid;
    await action.handler(ctx);
    expect(
      cluster.server.get('namespaces', undefined, 'payments')?.metadata.uid,
    ).toBe(uid);
    const entries = await cluster.journal.listByTask(ctx.task.id);
    expect(entries.map(e => e.state)).toEqual([
      'created',
      'created',
      'created',
    ]);
    expect(ctx.output).toHaveBeenLastCalledWith('adopted', false);
  });

  it('grants a larger quota up to the configured maximum', async () => {
    await action.handler(
      context({
        ...baseInput,
        quota: { cpu: '16', memory: '16Gi', pods: 100 },
      }),
    );
    expect(
      cluster.server.get('resourcequotas', 'payments', 'platform-quota')?.spec,
    ).toEqual({ hard: { cpu: '16', memory: '16Gi', pods: '100' } });
  });

  it.each([
    {
      input: { name: 'Payments' },
      error: 'Namespace name "Payments" is not a valid DNS-1123 label',
    },
    { input: { name: 'a'.repeat(64) }, error: 'is not a valid DNS-1123 label' },
    { input: { name: '-payments' }, error: 'Namespace name "-payments"' },
    {
      input: { service: 'Payments API' },
      error: 'Service name "Payments API"',
    },
    {
      input: { owner: 'group:default/Team With Spaces' },
      error: 'Owner "group:default/Team With Spaces"',
    },
    {
      input: { quota: { cpu: '17' } },
      error: 'Quota cpu=17 is more than the maximum of 16',
    },
    {
      input: { quota: { memory: '33Gi' } },
      error: 'Quota memory=33Gi is more than the maximum of 32Gi',
    },
    {
      input: { quota: { pods: 101 } },
      error: 'Quota pods=101 is more than the maximum of 100',
    },
    {
      input: { quota: { cpu: 'lots' } },
      error: 'quota.cpu "lots" is not a Kubernetes quantity',
    },
    {
      input: { cluster: 'prod' },
      error: 'Cluster prod is not listed for platform actions',
    },
  ])(
    'refuses $input before any call to the cluster',
    async ({ input, error }) => {
      await expect(
        action.handler(context({ ...baseInput, ...input })),
      ).rejects.toThrow(error);
      await expect(
        action.handler(context({ ...baseInput, ...input })),
      ).rejects.toMatchObject({ name: 'InputError' });
      expect(cluster.server.requests).toEqual([]);
    },
  );

  it('fails with a conflict on a namespace someone else created, and leaves it alone', async () => {
    const theirs = cluster.server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'payments', labels: { team: 'other' } },
    });
    const ctx = context(baseInput);
    await expect(action.handler(ctx)).rejects.toMatchObject({
      name: 'ConflictError',
      message:
        'Namespace payments already exists on cluster local; choose another name, or set adopt: true to use a namespace this platform manages for service payments',
    });
    expect(await cluster.journal.listByTask(ctx.task.id)).toEqual([]);
    await cluster.rollback(ctx.task.id);
    expect(
      cluster.server.get('namespaces', undefined, 'payments')?.metadata.uid,
    ).toBe(theirs.metadata.uid);
  });

  it.each([
    {
      labels: { team: 'other' } as Record<string, string>,
      label: 'not managed by the platform',
    },
    {
      labels: {
        'app.kubernetes.io/managed-by': 'backstage-platform',
        'platform.internal/service': 'ledger',
      },
      label: 'managed for another service',
    },
  ])('refuses to adopt a namespace $label', async ({ labels }) => {
    cluster.server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'payments', labels },
    });
    await expect(
      action.handler(context({ ...baseInput, adopt: true })),
    ).rejects.toThrow(
      'Namespace payments on cluster local is not managed by this platform for service payments, so it cannot be adopted',
    );
  });

  it('adopts a platform namespace of the same service, and rollback leaves it alone', async () => {
    const existing = cluster.server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'payments',
        labels: {
          'app.kubernetes.io/managed-by': 'backstage-platform',
          'platform.internal/service': 'payments',
        },
      },
    });
    const ctx = context({ ...baseInput, adopt: true });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('adopted', true);
    const entries = await cluster.journal.listByTask(ctx.task.id);
    expect(entries.map(e => e.kind)).toEqual([
      'kubernetes:resourcequota',
      'kubernetes:limitrange',
    ]);

    await cluster.rollback(ctx.task.id);
    expect(
      cluster.server.get('namespaces', undefined, 'payments')?.metadata.uid,
    ).toBe(existing.metadata.uid);
    expect(
      cluster.server.get('namespaces', undefined, 'payments')?.status,
    ).toEqual({ phase: 'Active' });
    expect(
      cluster.server.get('resourcequotas', 'payments', 'platform-quota'),
    ).toBeUndefined();
  });

  it('refuses a namespace that is being deleted', async () => {
    cluster.server.settings.namespaceDeletionDelayMs = 'never';
    const first = context(baseInput);
    await action.handler(first);
    await cluster.rollback(first.task.id);
    await expect(
      action.handler(context({ ...baseInput, adopt: true })),
    ).rejects.toThrow(
      'Namespace payments on cluster local is being deleted; wait until it is gone or choose another name',
    );
  });

  it('makes no writes in a dry run, checks with the server dry run and logs the objects', async () => {
    const ctx = context(baseInput, true);
    await action.handler(ctx);
    expect(writes()).toEqual([]);
    expect(cluster.server.requests).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          method: 'POST',
          path: '/api/v1/namespaces',
          query: expect.objectContaining({ dryRun: 'All' }),
        }),
      ]),
    );
    expect(
      cluster.server.get('namespaces', undefined, 'payments'),
    ).toBeUndefined();
    expect(ctx.logger.info).toHaveBeenCalledWith(
      expect.stringContaining(
        'Dry run: would create ResourceQuota platform-quota: {',
      ),
    );
    expect(ctx.output).toHaveBeenCalledWith('namespace', 'payments');
    expect(await cluster.journal.listByTask(ctx.task.id)).toEqual([]);
  });

  it('without any configured cluster, a dry run only logs and a real run is refused', async () => {
    const portal = createKubernetesNamespaceCreateAction({
      kubernetes: readPlatformKubernetes(new ConfigReader({})),
      journal: cluster.journal,
      access: cluster.access,
    });
    const dry = context(baseInput, true);
    await portal.handler(dry);
    expect(dry.logger.info).toHaveBeenCalledWith(
      "Dry run: no Kubernetes cluster is configured, so the API server's own dry run was skipped",
    );
    expect(dry.output).toHaveBeenCalledWith('adopted', false);
    await expect(portal.handler(context(baseInput))).rejects.toThrow(
      'No Kubernetes cluster is listed for platform actions under platform.kubernetes.clusters',
    );
  });

  it('a dry run reports the conflict a real run would hit', async () => {
    cluster.server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'payments' },
    });
    await expect(
      action.handler(context(baseInput, true)),
    ).rejects.toMatchObject({ name: 'ConflictError' });
    expect(writes()).toEqual([]);
  });

  it('reads before retrying when a create answered 5xx after it happened', async () => {
    cluster.server.failNext(1, {
      method: 'POST',
      pathIncludes: '/api/v1/namespaces',
      status: 503,
      afterCommit: true,
    });
    const ctx = context(baseInput);
    await action.handler(ctx);
    const posts = cluster.server.requests.filter(
      r => r.method === 'POST' && r.path === '/api/v1/namespaces',
    );
    expect(posts.map(p => p.status)).toEqual([503]);
    const entries = await cluster.journal.listByTask(ctx.task.id);
    expect(entries[0]).toMatchObject({
      kind: 'kubernetes:namespace',
      state: 'created',
    });
    expect(entries[0].data.uid).toBe(
      cluster.server.get('namespaces', undefined, 'payments')?.metadata.uid,
    );
  });

  it('retries a create that answered 5xx without happening, after looking', async () => {
    cluster.server.failNext(1, {
      method: 'POST',
      pathIncludes: '/api/v1/namespaces',
      status: 500,
    });
    await action.handler(context(baseInput));
    const calls = cluster.server.requests
      .filter(
        r =>
          r.path === '/api/v1/namespaces' ||
          r.path === '/api/v1/namespaces/payments',
      )
      .map(r => `${r.method} ${r.status}`);
    expect(calls).toEqual(['POST 500', 'GET 404', 'POST 201']);
  });

  it('rolls back newest first and waits until the namespace is gone', async () => {
    const ctx = context(baseInput);
    await action.handler(ctx);
    cluster.server.requests.length = 0;
    await cluster.rollback(ctx.task.id);

    const deletes = cluster.server.requests
      .filter(r => r.method === 'DELETE')
      .map(r => r.path);
    expect(deletes).toEqual([
      '/api/v1/namespaces/payments/limitranges/platform-defaults',
      '/api/v1/namespaces/payments/resourcequotas/platform-quota',
      '/api/v1/namespaces/payments',
    ]);
    expect(
      cluster.server.get('namespaces', undefined, 'payments'),
    ).toBeUndefined();
    const entries = await cluster.journal.listByTask(ctx.task.id);
    expect(entries.map(e => e.state)).toEqual([
      'rolled_back',
      'rolled_back',
      'rolled_back',
    ]);
  });

  it('reports a namespace that stays Terminating', async () => {
    cluster.server.settings.namespaceDeletionDelayMs = 'never';
    const ctx = context(baseInput);
    await action.handler(ctx);
    await cluster.rollback(ctx.task.id);
    const [namespace] = await cluster.journal.listByTask(ctx.task.id);
    expect(namespace.state).toBe('rollback_failed');
    expect(namespace.reason).toContain(
      'Namespace payments on cluster local is still terminating',
    );
  });

  it('never deletes a namespace re-created under the same name by someone else', async () => {
    const ctx = context({ ...baseInput, name: 'payments' });
    await action.handler(ctx);
    // Someone deletes ours and creates their own under the same name.
    cluster.server.settings.namespaceDeletionDelayMs = 0;
    const { uid } = cluster.server.get(
      'namespaces',
      undefined,
      'payments',
    )!.metadata;
    await cluster.kubernetes
      .clientFor(undefined)
      .deleteExact(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } },
        uid!,
      );
    await new Promise(resolve => setTimeout(resolve, 50));
    const theirs = cluster.server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'payments' },
    });

    await cluster.rollback(ctx.task.id);
    expect(
      cluster.server.get('namespaces', undefined, 'payments')?.metadata.uid,
    ).toBe(theirs.metadata.uid);
  });

  it('keeps what it created when the template says rollback: false', async () => {
    const ctx = context({ ...baseInput, rollback: false });
    await action.handler(ctx);
    await cluster.rollback(ctx.task.id);
    expect(
      cluster.server.get('namespaces', undefined, 'payments'),
    ).toBeDefined();
    expect(
      (await cluster.journal.listByTask(ctx.task.id)).map(e => e.state),
    ).toEqual(['kept', 'kept', 'kept']);
  });

  it('never puts the cluster token in logs, outputs, journal or errors', async () => {
    const ctx = context(baseInput);
    await action.handler(ctx);
    cluster.server.failNext(5, { status: 500 });
    const failure = await action
      .handler(context({ ...baseInput, name: 'ledger' }))
      .catch(e => e);
    expect(failure.message).toBe(
      'Could not create Namespace ledger on cluster local: an error on the server ("injected fault") has prevented the request from succeeding',
    );

    const surfaces = JSON.stringify([
      (ctx.logger.info as jest.Mock).mock.calls,
      (ctx.output as jest.Mock).mock.calls,
      await cluster.journal.listByTask(ctx.task.id),
      failure.message,
      failure.stack,
    ]);
    expect(surfaces).not.toContain(TEST_CLUSTER_TOKEN);
    expect(surfaces).not.toContain('Bearer');
  });
});
