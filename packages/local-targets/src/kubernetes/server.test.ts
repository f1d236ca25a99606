import { LocalKubernetesApiServer, startKubernetesApiServer } from './server';
import { callKubernetesApi } from './testRequest';
import { deployment, namespace, quota, waitFor } from './testFixtures';

describe('startKubernetesApiServer', () => {
  let server: LocalKubernetesApiServer;
  const call = (options: Parameters<typeof callKubernetesApi>[1]) =>
    callKubernetesApi(server, options);

  beforeEach(async () => {
    server = await startKubernetesApiServer({
      token: 'loopback-token',
      namespaceDeletionDelayMs: 30,
      deploymentAvailableAfterMs: 30,
    });
  });

  afterEach(async () => {
    await server.close();
  });

  it.each([
    { token: null, label: 'without a token' },
    { token: 'wrong', label: 'with a wrong token' },
  ])('answers 401 Unauthorized $label', async ({ token }) => {
    const res = await call({
      method: 'GET',
      path: '/api/v1/namespaces',
      token,
    });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({
      kind: 'Status',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  it('creates a namespace once and answers 409 AlreadyExists after', async () => {
    const first = await call({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: namespace('payments'),
    });
    expect(first.status).toBe(201);
    expect(first.body.metadata.uid).toEqual(expect.any(String));
    expect(first.body.status.phase).toBe('Active');

    const again = await call({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: namespace('payments'),
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      reason: 'AlreadyExists',
      message: 'namespaces "payments" already exists',
      details: { name: 'payments', kind: 'namespaces' },
    });
  });

  it.each([
    { body: namespace('Payments_1'), field: 'metadata.name' },
    { body: namespace('a'.repeat(64)), field: 'metadata.name' },
    {
      body: namespace('ok', { team: 'group:default/a' }),
      field: 'metadata.labels',
    },
    { body: namespace('ok', { team: 42 }), field: 'metadata.labels.team' },
  ])('answers 422 Invalid naming $field', async ({ body, field }) => {
    const res = await call({
      method: 'POST',
      path: '/api/v1/namespaces',
      body,
    });
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('Invalid');
    expect(res.body.details.causes).toEqual(
      expect.arrayContaining([expect.objectContaining({ field })]),
    );
    expect(server.list('namespaces').map(n => n.metadata.name)).toEqual([
      'default',
      'kube-system',
    ]);
  });

  it('validates every kind against the official schema', async () => {
    const bad = deployment('web');
    (bad.spec.template.spec.containers[0] as any).image = 7;
    const res = await call({
      method: 'POST',
      path: '/apis/apps/v1/namespaces/default/deployments',
      body: bad,
    });
    expect(res.status).toBe(422);
    expect(res.body.message).toContain('spec.template.spec.containers.0.image');
  });

  it('answers 404 NotFound for objects and for a missing namespace', async () => {
    const read = await call({ method: 'GET', path: '/api/v1/namespaces/nope' });
    expect(read.status).toBe(404);
    expect(read.body).toMatchObject({
      reason: 'NotFound',
      message: 'namespaces "nope" not found',
    });

    const create = await call({
      method: 'POST',
      path: '/api/v1/namespaces/nope/resourcequotas',
      body: quota({ pods: '1' }),
    });
    expect(create.status).toBe(404);
    expect(create.body.message).toBe('namespaces "nope" not found');
  });

  it('deletes a namespace asynchronously: Terminating, 403 inside, 409 on re-create, then gone with its contents', async () => {
    await call({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: namespace('payments'),
    });
    await call({
      method: 'POST',
      path: '/api/v1/namespaces/payments/resourcequotas',
      body: quota({ pods: '5' }),
    });
    server.settings.namespaceDeletionDelayMs = 200;

    const del = await call({
      method: 'DELETE',
      path: '/api/v1/namespaces/payments',
    });
    expect(del.status).toBe(200);
    expect(del.body.status.phase).toBe('Terminating');
    expect(del.body.metadata.deletionTimestamp).toEqual(expect.any(String));

    const inside = await call({
      method: 'POST',
      path: '/api/v1/namespaces/payments/limitranges',
      body: {
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: { name: 'defaults' },
        spec: { limits: [] },
      },
    });
    expect(inside.status).toBe(403);
    expect(inside.body.message).toContain('because it is being terminated');

    const recreate = await call({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: namespace('payments'),
    });
    expect(recreate.status).toBe(409);

    await waitFor(() => !server.get('namespaces', undefined, 'payments'));
    expect(server.get('resourcequotas', 'payments', 'compute')).toBeUndefined();
  });

  it('keeps a namespace Terminating for ever when deletion never completes', async () => {
    server.settings.namespaceDeletionDelayMs = 'never';
    await call({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: namespace('stuck'),
    });
    await call({ method: 'DELETE', path: '/api/v1/namespaces/stuck' });
    await new Promise(resolve => setTimeout(resolve, 60));
    expect(server.get('namespaces', undefined, 'stuck')?.status).toEqual({
      phase: 'Terminating',
    });
  });

  it('refuses a delete whose uid precondition does not match', async () => {
    await call({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: namespace('payments'),
    });
    const res = await call({
      method: 'DELETE',
      path: '/api/v1/namespaces/payments',
      body: { preconditions: { uid: 'someone-elses-uid' } },
    });
    expect(res.status).toBe(409);
    expect(res.body.reason).toBe('Conflict');
    expect(server.get('namespaces', undefined, 'payments')?.status).toEqual({
      phase: 'Active',
    });
  });

  it('writes nothing on dryRun=All but answers as if it had', async () => {
    const res = await call({
      method: 'POST',
      path: '/api/v1/namespaces?dryRun=All',
      body: namespace('dry'),
    });
    expect(res.status).toBe(201);
    expect(res.body.metadata.name).toBe('dry');
    expect(server.get('namespaces', undefined, 'dry')).toBeUndefined();
    expect(server.requests.filter(r => r.write)).toEqual([]);

    const invalidOption = await call({
      method: 'POST',
      path: '/api/v1/namespaces?dryRun=Yes',
      body: namespace('dry'),
    });
    expect(invalidOption.status).toBe(400);
  });

  describe('server-side apply', () => {
    const apply = (body: unknown, query: string) =>
      call({
        method: 'PATCH',
        path: `/apis/apps/v1/namespaces/default/deployments/web?${query}`,
        body,
        contentType: 'application/apply-patch+yaml',
      });

    it('creates, re-applies, reports conflicts with other managers and takes over with force', async () => {
      const created = await apply(
        deployment('web', { replicas: 2 }),
        'fieldManager=platform',
      );
      expect(created.status).toBe(201);
      expect(created.body.metadata.managedFields).toEqual([
        expect.objectContaining({ manager: 'platform', operation: 'Apply' }),
      ]);
      expect(
        created.body.metadata.managedFields[0].fieldsV1['f:spec']['f:replicas'],
      ).toEqual({});

      const same = await apply(
        deployment('web', { replicas: 2 }),
        'fieldManager=platform',
      );
      expect(same.status).toBe(200);
      expect(same.body.metadata.generation).toBe(1);

      const other = await apply(
        deployment('web', { replicas: 5 }),
        'fieldManager=someone',
      );
      expect(other.status).toBe(409);
      expect(other.body.reason).toBe('Conflict');
      expect(other.body.details.causes).toEqual([
        {
          reason: 'FieldManagerConflict',
          message: 'conflict with "platform" using apps/v1',
          field: '.spec.replicas',
        },
      ]);

      const forced = await apply(
        deployment('web', { replicas: 5 }),
        'fieldManager=someone&force=true',
      );
      expect(forced.status).toBe(200);
      expect(forced.body.spec.replicas).toBe(5);
      expect(forced.body.metadata.generation).toBe(2);
    });

    it('accepts YAML bodies and requires a field manager', async () => {
      const yaml =
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n';
      const missing = await call({
        method: 'PATCH',
        path: '/api/v1/namespaces/default/services/web',
        body: yaml,
        contentType: 'application/apply-patch+yaml',
      });
      expect(missing.status).toBe(422);
      const ok = await call({
        method: 'PATCH',
        path: '/api/v1/namespaces/default/services/web?fieldManager=platform',
        body: yaml,
        contentType: 'application/apply-patch+yaml',
      });
      expect(ok.status).toBe(201);
      expect(server.get('services', 'default', 'web')?.spec).toMatchObject({
        ports: [{ port: 80 }],
      });
    });
  });

  describe('deployments', () => {
    const create = (body: unknown, ns = 'default') =>
      call({
        method: 'POST',
        path: `/apis/apps/v1/namespaces/${ns}/deployments`,
        body,
      });

    it('become Available after the configured delay', async () => {
      const res = await create(deployment('web', { replicas: 2 }));
      expect(res.body.status.availableReplicas).toBeUndefined();
      const available = await waitFor(() => {
        const d = server.get('deployments', 'default', 'web') as any;
        return d?.status?.availableReplicas === 2 ? d : undefined;
      });
      expect(available.status.conditions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'Available', status: 'True' }),
        ]),
      );
    });

    it('wait on an image the cluster cannot pull, as their pods say', async () => {
      server.settings.missingImages = ['ghcr.io/acme/web:gone'];
      await create(
        deployment('web', { replicas: 2, image: 'ghcr.io/acme/web:gone' }),
      );
      await new Promise(resolve => setTimeout(resolve, 200));
      expect(
        (server.get('deployments', 'default', 'web') as any).status
          .availableReplicas,
      ).toBeUndefined();
      const pods = await call({
        method: 'GET',
        path: '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb',
      });
      expect(
        pods.body.items.map((p: any) => [
          p.status.phase,
          p.status.containerStatuses[0].state.waiting.reason,
        ]),
      ).toEqual([
        ['Pending', 'ErrImagePull'],
        ['Pending', 'ErrImagePull'],
      ]);
    });

    it('never become Available when told so', async () => {
      server.settings.deploymentAvailableAfterMs = 'never';
      await create(deployment('web'));
      await new Promise(resolve => setTimeout(resolve, 60));
      expect(
        (server.get('deployments', 'default', 'web') as any).status
          .availableReplicas,
      ).toBeUndefined();
    });

    it.each([
      {
        label: 'pods beyond the pods quota',
        hard: { pods: '1' } as Record<string, string>,
        body: deployment('web', { replicas: 2, resources: true }),
        message:
          'exceeded quota: compute, requested: pods=2, used: pods=0, limited: pods=1',
      },
      {
        label:
          'containers without resources under a cpu quota and no LimitRange',
        hard: { 'requests.cpu': '1' } as Record<string, string>,
        body: deployment('web'),
        message: 'failed quota: compute: must specify requests.cpu for: app',
      },
    ])('report ReplicaFailure for $label', async ({ hard, body, message }) => {
      await call({
        method: 'POST',
        path: '/api/v1/namespaces/default/resourcequotas',
        body: quota(hard),
      });
      await create(body);
      const d = server.get('deployments', 'default', 'web') as any;
      expect(d.status.conditions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            type: 'ReplicaFailure',
            message: expect.stringContaining(message),
          }),
        ]),
      );
    });
  });

  it('answers 403 when a count quota is exceeded', async () => {
    await call({
      method: 'POST',
      path: '/api/v1/namespaces/default/resourcequotas',
      body: quota({ services: '0' }),
    });
    const res = await call({
      method: 'POST',
      path: '/api/v1/namespaces/default/services',
      body: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { ports: [{ port: 80 }] },
      },
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ reason: 'Forbidden' });
    expect(res.body.message).toContain('exceeded quota: compute');
  });

  describe('fault injection', () => {
    it('fails the next matching requests with a 5xx Status', async () => {
      server.failNext(1, { method: 'POST', pathIncludes: '/namespaces' });
      const failed = await call({
        method: 'POST',
        path: '/api/v1/namespaces',
        body: namespace('payments'),
      });
      expect(failed.status).toBe(503);
      expect(failed.body.reason).toBe('ServiceUnavailable');
      expect(server.get('namespaces', undefined, 'payments')).toBeUndefined();
      const retried = await call({
        method: 'POST',
        path: '/api/v1/namespaces',
        body: namespace('payments'),
      });
      expect(retried.status).toBe(201);
    });

    it.each([
      [422, 'Invalid', 'the request was refused as Invalid ("injected fault")'],
      [
        403,
        'Forbidden',
        'the request was refused as Forbidden ("injected fault")',
      ],
      [
        500,
        'InternalError',
        'an error on the server ("injected fault") has prevented the request from succeeding',
      ],
    ])(
      'words an injected %s as the API server would: %s',
      async (status, reason, message) => {
        server.failNext(1, { status });
        const res = await call({ method: 'GET', path: '/api/v1/namespaces' });
        expect(res.status).toBe(status);
        expect(res.body).toMatchObject({ code: status, reason, message });
      },
    );

    it("answers with a message of the test's own", async () => {
      server.failNext(1, { status: 403, message: 'denied by a webhook' });
      const res = await call({ method: 'GET', path: '/api/v1/namespaces' });
      expect(res.body).toMatchObject({
        reason: 'Forbidden',
        message: 'denied by a webhook',
      });
    });

    it('can spare reads and dry runs', async () => {
      server.failNext(1, { writesOnly: true });
      const dry = await call({
        method: 'POST',
        path: '/api/v1/namespaces?dryRun=All',
        body: namespace('payments'),
      });
      expect(dry.status).toBe(201);
      const read = await call({ method: 'GET', path: '/api/v1/namespaces' });
      expect(read.status).toBe(200);
      const write = await call({
        method: 'POST',
        path: '/api/v1/namespaces',
        body: namespace('payments'),
      });
      expect(write.status).toBe(503);
    });

    it('can commit the write and still answer 5xx, leaving the outcome unknown to the client', async () => {
      server.failNext(1, { status: 504, afterCommit: true });
      const res = await call({
        method: 'POST',
        path: '/api/v1/namespaces',
        body: namespace('payments'),
      });
      expect(res.status).toBe(504);
      expect(server.get('namespaces', undefined, 'payments')).toBeDefined();
    });
  });

  it('serves discovery for the groups it speaks', async () => {
    const groups = await call({ method: 'GET', path: '/apis' });
    expect(groups.body.groups.map((g: any) => g.name)).toEqual([
      'apps',
      'networking.k8s.io',
      'autoscaling',
      'batch',
    ]);
    const core = await call({ method: 'GET', path: '/api/v1' });
    expect(
      core.body.resources.map((r: any) => [r.name, r.verbs.includes('create')]),
    ).toEqual([
      ['namespaces', true],
      ['resourcequotas', true],
      ['limitranges', true],
      ['services', true],
      ['secrets', true],
      ['pods', false],
      ['configmaps', false],
    ]);
  });

  describe('what the stock Kubernetes tab reads', () => {
    it('filters lists by label selector', async () => {
      const labelled = (name: string, labels: Record<string, string>) => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, labels },
        spec: { ports: [{ port: 80 }] },
      });
      for (const [name, labels] of [
        ['a', { 'backstage.io/kubernetes-id': 'payments', tier: 'web' }],
        ['b', { 'backstage.io/kubernetes-id': 'ledger', tier: 'web' }],
        ['c', { 'backstage.io/kubernetes-id': 'payments' }],
      ] as const) {
        await call({
          method: 'POST',
          path: '/api/v1/namespaces/default/services',
          body: labelled(name, labels),
        });
      }
      const names = async (selector: string) =>
        (
          await call({
            method: 'GET',
            path: `/api/v1/services?labelSelector=${encodeURIComponent(
              selector,
            )}`,
          })
        ).body.items.map((i: any) => i.metadata.name);
      expect(await names('backstage.io/kubernetes-id=payments')).toEqual([
        'a',
        'c',
      ]);
      expect(await names('backstage.io/kubernetes-id=payments,tier')).toEqual([
        'a',
      ]);
      expect(await names('!tier')).toEqual(['c']);
      expect(await names('tier!=web')).toEqual(['c']);
      expect(
        await names('backstage.io/kubernetes-id in (ledger,search)'),
      ).toEqual(['b']);
      expect(await names('backstage.io/kubernetes-id notin (ledger)')).toEqual([
        'a',
        'c',
      ]);
    });

    it('lists a running pod for every available replica of a Deployment', async () => {
      await call({
        method: 'POST',
        path: '/apis/apps/v1/namespaces/default/deployments',
        body: deployment('web', { replicas: 2 }),
      });
      const pods = await waitFor(() => {
        const list = server.list('pods');
        return list.every(p => (p.status as any).phase === 'Running')
          ? list
          : undefined;
      });
      expect(pods.map(p => p.metadata.labels)).toEqual([
        expect.objectContaining({ app: 'web' }),
        expect.objectContaining({ app: 'web' }),
      ]);
      const listed = await call({
        method: 'GET',
        path: '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb',
      });
      expect(listed.body.items).toHaveLength(2);
    });

    it.each(['replicasets', 'statefulsets', 'daemonsets'])(
      'lists %s (empty) and refuses writes',
      async resource => {
        const list = await call({
          method: 'GET',
          path: `/apis/apps/v1/namespaces/default/${resource}`,
        });
        expect(list.status).toBe(200);
        expect(list.body.items).toEqual([]);
        const write = await call({
          method: 'POST',
          path: `/apis/apps/v1/namespaces/default/${resource}`,
          body: { metadata: { name: 'x' } },
        });
        expect(write.status).toBe(405);
      },
    );
  });
});
