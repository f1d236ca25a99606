import { LocalKubernetesApiServer, startKubernetesApiServer } from './server';
import { deployment, namespace, quota, waitFor } from './testFixtures';
import { callKubernetesApi } from './testRequest';

/** Names the controllers generate draw on these characters only. */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';

describe('the workloads of a Deployment, as the Kubernetes tab reads them', () => {
  let server: LocalKubernetesApiServer;
  const call = (options: Parameters<typeof callKubernetesApi>[1]) =>
    callKubernetesApi(server, options);
  const items = async (path: string) =>
    (await call({ method: 'GET', path })).body.items;
  const create = (body: unknown, ns = 'default') =>
    call({
      method: 'POST',
      path: `/apis/apps/v1/namespaces/${ns}/deployments`,
      body,
    });
  const available = (name: string, ns = 'default') =>
    waitFor(
      () =>
        (server.get('deployments', ns, name)?.status as any)
          ?.availableReplicas !== undefined,
    );

  beforeEach(async () => {
    server = await startKubernetesApiServer({
      token: 'loopback-token',
      deploymentAvailableAfterMs: 150,
    });
  });

  afterEach(() => server.close());

  it('owns a ReplicaSet that owns the pods, by uid and as their controller', async () => {
    const created = await create(deployment('web', { replicas: 2 }));
    await available('web');

    const [replicaSet] = await items(
      '/apis/apps/v1/namespaces/default/replicasets',
    );
    expect(replicaSet.metadata.name).toMatch(new RegExp(`^web-${SAFE}+$`));
    const hash = replicaSet.metadata.name.slice('web-'.length);
    expect(replicaSet.metadata).toMatchObject({
      namespace: 'default',
      labels: { app: 'web', 'pod-template-hash': hash },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'web',
          uid: created.body.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(replicaSet.spec.selector.matchLabels).toEqual({
      app: 'web',
      'pod-template-hash': hash,
    });

    const pods = await items('/api/v1/namespaces/default/pods');
    expect(pods.map((p: any) => p.metadata)).toEqual([
      expect.objectContaining({
        name: expect.stringMatching(
          new RegExp(`^${replicaSet.metadata.name}-${SAFE}{5}$`),
        ),
        labels: { app: 'web', 'pod-template-hash': hash },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: replicaSet.metadata.name,
            uid: replicaSet.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      }),
      expect.objectContaining({ name: expect.any(String) }),
    ]);
    expect(new Set(pods.map((p: any) => p.metadata.uid)).size).toBe(2);
    // The same objects on every read, so the tab can join them.
    expect(await items('/api/v1/namespaces/default/pods')).toEqual(pods);
  });

  it('counts in the status exactly the pods that exist, while rolling out and once available', async () => {
    await create(deployment('web', { replicas: 3 }));
    const counts = async () => {
      const status = (
        await call({
          method: 'GET',
          path: '/apis/apps/v1/namespaces/default/deployments/web',
        })
      ).body.status;
      const [replicaSet] = await items(
        '/apis/apps/v1/namespaces/default/replicasets',
      );
      const pods = await items('/api/v1/namespaces/default/pods');
      const ready = pods.filter((p: any) => p.status.phase === 'Running');
      const of = (s: any) => [
        s.replicas,
        s.readyReplicas ?? 0,
        s.availableReplicas ?? 0,
      ];
      return {
        deployment: of(status),
        replicaSet: of(replicaSet.status),
        pods: [pods.length, ready.length, ready.length],
      };
    };

    expect(await counts()).toEqual({
      deployment: [3, 0, 0],
      replicaSet: [3, 0, 0],
      pods: [3, 0, 0],
    });
    expect(
      (await items('/api/v1/namespaces/default/pods')).map(
        (p: any) => p.status.containerStatuses[0].state.waiting.reason,
      ),
    ).toEqual(['ContainerCreating', 'ContainerCreating', 'ContainerCreating']);

    await available('web');
    expect(await counts()).toEqual({
      deployment: [3, 3, 3],
      replicaSet: [3, 3, 3],
      pods: [3, 3, 3],
    });
  });

  it('lists ReplicaSets in every namespace, in one, by label selector and by name', async () => {
    await call({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: namespace('payments'),
    });
    await create(deployment('web'));
    await create(deployment('api'), 'payments');
    const names = async (path: string) =>
      (await items(path)).map((rs: any) => rs.metadata.name.split('-')[0]);

    expect(await names('/apis/apps/v1/replicasets')).toEqual(['web', 'api']);
    expect(
      await names('/apis/apps/v1/namespaces/payments/replicasets'),
    ).toEqual(['api']);
    expect(
      await names('/apis/apps/v1/replicasets?labelSelector=app%3Dweb'),
    ).toEqual(['web']);
    const [api] = await items('/apis/apps/v1/namespaces/payments/replicasets');
    const byName = await call({
      method: 'GET',
      path: `/apis/apps/v1/namespaces/payments/replicasets/${api.metadata.name}`,
    });
    expect(byName.status).toBe(200);
    expect(byName.body.metadata.uid).toBe(api.metadata.uid);
  });

  it('gives a changed pod template a ReplicaSet of its own', async () => {
    await create(deployment('web'));
    const [before] = await items('/apis/apps/v1/replicasets');
    await call({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/default/deployments/web',
      contentType: 'application/merge-patch+json',
      body: {
        spec: {
          template: {
            spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] },
          },
        },
      },
    });
    const [after] = await items('/apis/apps/v1/replicasets');
    expect(after.metadata.name).not.toBe(before.metadata.name);
    expect(after.metadata.name).toMatch(/^web-/);
  });

  it('shows what the quota refused on the ReplicaSet, and no pods', async () => {
    await call({
      method: 'POST',
      path: '/api/v1/namespaces/default/resourcequotas',
      body: quota({ pods: '1' }),
    });
    await create(deployment('web', { replicas: 2, resources: true }));
    const [replicaSet] = await items('/apis/apps/v1/replicasets');
    expect(replicaSet.status).toEqual({
      replicas: 0,
      observedGeneration: 1,
      conditions: [
        expect.objectContaining({
          type: 'ReplicaFailure',
          status: 'True',
          reason: 'FailedCreate',
          message: expect.stringContaining(
            `pods "${replicaSet.metadata.name}-`,
          ),
        }),
      ],
    });
    expect(await items('/api/v1/pods')).toEqual([]);
  });
});
