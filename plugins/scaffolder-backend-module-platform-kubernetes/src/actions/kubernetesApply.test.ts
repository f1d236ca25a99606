import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import {
  actionContext,
  createPlatformNamespace,
  startTestCluster,
  TEST_CLUSTER_TOKEN,
  TestCluster,
} from '@internal/platform-test-utils';
import { createKubernetesApplyAction } from './kubernetesApply';
import { exampleManifests } from './kubernetesApply.examples';

const { deployment, service, ingress } = exampleManifests;

describe('platform:kubernetes:apply', () => {
  let cluster: TestCluster;
  let action: ReturnType<typeof createKubernetesApplyAction>;

  beforeEach(async () => {
    cluster = await startTestCluster();
    const deps = {
      kubernetes: cluster.kubernetes,
      journal: cluster.journal,
      access: cluster.access,
    };
    action = createKubernetesApplyAction({ ...deps, pollIntervalMs: 10 });
    await createPlatformNamespace(cluster, 'payments');
    cluster.server.requests.length = 0;
  });

  afterEach(async () => {
    await cluster.close();
  });

  const writes = () => cluster.server.requests.filter(r => r.write);
  const logLines = (ctx: { logger: { info: unknown } }) =>
    (ctx.logger.info as jest.Mock).mock.calls.map(c => c[0] as string);

  it('creates the objects, waits for availability and outputs the in-cluster URL', async () => {
    // Slow enough that the wait sees the rollout in progress.
    cluster.server.settings.deploymentAvailableAfterMs = 300;
    const ctx = actionContext(
      { namespace: 'payments', manifests: [service, deployment] },
      { stepId: 'deploy' },
    );
    await action.handler(ctx);

    expect(ctx.output).toHaveBeenCalledWith(
      'serviceUrl',
      'http://payments.payments.svc.cluster.local',
    );
    expect(logLines(ctx)).toContain(
      'Deployed to namespace payments on cluster local; the service\'s address is http://payments.payments.svc.cluster.local, which answers from inside the cluster',
    );
    expect(ctx.output).toHaveBeenCalledWith('objects', [
      'Deployment/payments',
      'Service/payments',
    ]);
    const applied = cluster.server.get(
      'deployments',
      'payments',
      'payments',
    ) as any;
    expect(applied.status.availableReplicas).toBe(2);
    expect(applied.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'backstage-platform',
      'backstage.io/kubernetes-id': 'payments',
      'platform.internal/owner': 'payments-team',
    });
    expect(
      applied.spec.template.metadata.labels['backstage.io/kubernetes-id'],
    ).toBe('payments');
    expect(
      applied.metadata.annotations['platform.internal/created-by-task'],
    ).toBe(ctx.task.id);
    expect(
      writes().map(w => [
        w.method,
        w.contentType,
        w.query.fieldManager,
        w.query.force,
      ]),
    ).toEqual([
      ['POST', 'application/json', 'backstage-platform', undefined],
      ['POST', 'application/json', 'backstage-platform', undefined],
    ]);
    expect(logLines(ctx)).toEqual(
      expect.arrayContaining([
        'Deployment payments in namespace payments on cluster local: 0 of 2 replicas available',
        'Deployment payments in namespace payments on cluster local: 2 of 2 replicas available',
      ]),
    );
    const entries = await cluster.journal.listByTask(ctx.task.id);
    expect(entries.map(e => [e.kind, e.identity, e.state])).toEqual([
      [
        'kubernetes:deployment',
        'local/payments/deployments/payments',
        'created',
      ],
      ['kubernetes:service', 'local/payments/services/payments', 'created'],
    ]);
  });

  it('ends in the same state when the step runs again in the same task', async () => {
    const ctx = actionContext({
      namespace: 'payments',
      manifests: [deployment, service],
    });
    await action.handler(ctx);
    const uid = cluster.server.get('deployments', 'payments', 'payments')
      ?.metadata.uid;
    await action.handler(ctx);
    expect(
      cluster.server.get('deployments', 'payments', 'payments')?.metadata.uid,
    ).toBe(uid);
    expect(
      (await cluster.journal.listByTask(ctx.task.id)).map(e => e.state),
    ).toEqual(['created', 'created']);
  });

  it('applies the Ingress of a public service and outputs its https URL', async () => {
    const ctx = actionContext({
      namespace: 'payments',
      manifests: [deployment, service, ingress],
      public: true,
    });
    await action.handler(ctx);
    expect(
      cluster.server.get('ingresses', 'payments', 'payments'),
    ).toBeDefined();
    expect(ctx.output).toHaveBeenCalledWith(
      'serviceUrl',
      'https://payments.apps.example.com/',
    );
    expect(logLines(ctx).at(-1)).toMatch(
      /address is https:\/\/payments\.apps\.example\.com\/, which answers once DNS for the host points at the cluster's ingress controller$/,
    );
  });

  it('reads the manifests from the workspace', async () => {
    const ctx = actionContext({
      namespace: 'payments',
      manifestPath: './kubernetes',
    });
    fs.mkdirSync(path.join(ctx.workspacePath, 'kubernetes'), {
      recursive: true,
    });
    fs.writeFileSync(
      path.join(ctx.workspacePath, 'kubernetes', 'all.yaml'),
      [deployment, service].map(m => yaml.stringify(m)).join('---\n'),
    );
    await action.handler(ctx);
    expect(
      cluster.server.get('services', 'payments', 'payments'),
    ).toBeDefined();
  });

  it.each([
    {
      input: { manifests: [deployment, service], manifestPath: './k' },
      error: 'Give exactly one of manifestPath and manifests',
    },
    { input: {}, error: 'Give exactly one of manifestPath and manifests' },
    {
      input: { manifestPath: '../outside' },
      error:
        'Relative path is not allowed to refer to a directory outside its parent',
    },
    {
      input: { manifestPath: './missing' },
      error: 'Manifest path ./missing does not exist in the workspace',
    },
    {
      input: {
        manifests: [
          deployment,
          service,
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } },
        ],
      },
      error: 'Manifest 3 (ConfigMap c) is not a Deployment, Service or Ingress',
    },
    {
      input: {
        manifests: [{ ...deployment, apiVersion: 'apps/v1beta1' }, service],
      },
      error: 'has apiVersion apps/v1beta1; use apps/v1',
    },
    {
      input: {
        manifests: [
          { ...deployment, metadata: { name: 'payments', namespace: 'other' } },
          service,
        ],
      },
      error: 'names namespace other, not payments',
    },
    {
      input: { manifests: [service] },
      error: 'The manifests contain no Deployment',
    },
    {
      input: { manifests: [deployment] },
      error: 'The manifests contain no Service',
    },
    {
      input: { manifests: [deployment, service, ingress], public: false },
      error: 'contain an Ingress but public is false',
    },
    {
      input: { manifests: [deployment, service], public: true },
      error: 'public is true but the manifests contain no Ingress',
    },
    {
      input: { namespace: 'Payments', manifests: [deployment, service] },
      error: 'Namespace name "Payments"',
    },
  ])('refuses $error before any call', async ({ input, error }) => {
    await expect(
      action.handler(actionContext({ namespace: 'payments', ...input })),
    ).rejects.toThrow(error);
    expect(cluster.server.requests).toEqual([]);
  });

  it('lets the API server reject an invalid manifest in a dry run before any write', async () => {
    const broken = structuredClone(deployment) as any;
    broken.spec.template.spec.containers[0].image = 42;
    await expect(
      action.handler(
        actionContext({ namespace: 'payments', manifests: [service, broken] }),
      ),
    ).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringContaining(
        'Could not apply Deployment payments in namespace payments on cluster local: Deployment "payments" is invalid',
      ),
    });
    expect(writes()).toEqual([]);
  });

  it('refuses a namespace the platform does not manage', async () => {
    cluster.server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'theirs' },
    });
    await expect(
      action.handler(
        actionContext({
          namespace: 'theirs',
          manifests: [deployment, service],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'NotAllowedError',
    });
    expect(writes()).toEqual([]);
  });

  it("fails at once with the cluster's reason when the quota refuses the pods, and rollback removes what it applied newest first", async () => {
    const greedy = structuredClone(deployment);
    greedy.spec.replicas = 25;
    const ctx = actionContext({
      namespace: 'payments',
      manifests: [deployment, service].map(m =>
        m === deployment ? greedy : m,
      ),
      timeoutSeconds: 300,
    });
    const started = Date.now();
    await expect(action.handler(ctx)).rejects.toThrow(
      /^Deployment payments in namespace payments on cluster local cannot roll out, so the run stops here: the cluster says FailedCreate: pods ".*" is forbidden: exceeded quota: platform-quota, requested: pods=25, used: pods=0, limited: pods=20$/,
    );
    // Not the five minutes of the timeout: the cluster said why at once.
    expect(Date.now() - started).toBeLessThan(30_000);
    cluster.server.requests.length = 0;
    await cluster.rollback(ctx.task.id);
    expect(
      cluster.server.requests
        .filter(r => r.method === 'DELETE')
        .map(r => r.path),
    ).toEqual([
      '/api/v1/namespaces/payments/services/payments',
      '/apis/apps/v1/namespaces/payments/deployments/payments',
    ]);
    expect(
      cluster.server.get('deployments', 'payments', 'payments'),
    ).toBeUndefined();
    expect(
      cluster.server.get('namespaces', undefined, 'payments'),
    ).toBeDefined();
  });

  it("fails at once when the image cannot be pulled, with the cluster's reason", async () => {
    const missing = structuredClone(deployment) as any;
    missing.spec.template.spec.containers[0].image =
      'ghcr.io/example-org/payments:no-such-tag';
    cluster.server.settings.missingImages = [
      'ghcr.io/example-org/payments:no-such-tag',
    ];
    const started = Date.now();
    await expect(
      action.handler(
        actionContext({
          namespace: 'payments',
          manifests: [missing, service],
          timeoutSeconds: 300,
        }),
      ),
    ).rejects.toThrow(
      /^Deployment payments in namespace payments on cluster local cannot roll out, so the run stops here: the cluster says ErrImagePull for container payments of pod payments-[\w-]+: rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io\/example-org\/payments:no-such-tag": not found$/,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('stops waiting with the reason when the cluster refuses to show the Deployment', async () => {
    cluster.server.settings.deploymentAvailableAfterMs = 60_000;
    const ctx = actionContext({
      namespace: 'payments',
      manifests: [deployment, service],
      timeoutSeconds: 2,
    });
    // From the first progress on, reading and watching it are refused.
    (ctx.logger.info as jest.Mock).mockImplementation((line: string) => {
      if (line.endsWith('0 of 2 replicas available')) {
        cluster.server.failNext(100, {
          method: 'GET',
          pathIncludes: '/deployments',
          status: 403,
        });
      }
    });
    await expect(action.handler(ctx)).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: expect.stringMatching(
        /^Could not read Deployment payments in namespace payments on cluster local: /,
      ),
    });
  });

  it('refuses manifests that break the deployment policy, listing every violation, before any write', async () => {
    const privileged = structuredClone(deployment) as any;
    privileged.spec.template.spec.hostNetwork = true;
    privileged.spec.template.spec.securityContext = { runAsUser: 0 };
    privileged.spec.template.spec.volumes = [
      { name: 'root', hostPath: { path: '/' } },
    ];
    privileged.spec.template.spec.containers[0].securityContext = {
      privileged: true,
    };
    const exposed = structuredClone(service) as any;
    exposed.spec.type = 'LoadBalancer';
    const elsewhere = structuredClone(ingress) as any;
    elsewhere.spec.rules[0].host = 'checkout.apps.example.com';
    elsewhere.metadata.annotations = {
      'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers',
    };
    const error = await action
      .handler(
        actionContext({
          namespace: 'payments',
          manifests: [privileged, exposed, elsewhere],
        }),
      )
      .catch(e => e);
    expect(error.name).toBe('InputError');
    for (const fragment of [
      'Deployment payments: spec.template.spec.hostNetwork',
      'Deployment payments: spec.template.spec.volumes[0].hostPath',
      'spec.template.spec.containers[0].securityContext.privileged',
      'Service payments: spec.type',
      'Ingress payments: spec.rules[0].host',
      "metadata.annotations['nginx.ingress.kubernetes.io/configuration-snippet']",
    ]) {
      expect(error.message).toContain(fragment);
    }
    // Only the namespace was read: nothing written, nothing even dry-run.
    expect(cluster.server.requests.map(r => r.method)).toEqual(['GET', 'GET']);
  });

  it("keeps the platform's labels whatever a manifest says, and drops its platform keys", async () => {
    const claiming = structuredClone(deployment) as any;
    claiming.metadata.labels = {
      'app.kubernetes.io/managed-by': 'helm',
      'platform.internal/owner': 'team-checkout',
      'platform.internal/service': 'checkout',
      'backstage.io/kubernetes-id': 'checkout',
      team: 'payments',
    };
    claiming.metadata.annotations = {
      'platform.internal/run-nonce': 'chosen-by-the-template',
      'platform.internal/owner-ref': 'group:default/team-checkout',
    };
    claiming.spec.template.metadata.labels = {
      ...claiming.spec.template.metadata.labels,
      'backstage.io/kubernetes-id': 'checkout',
    };
    const ctx = actionContext({
      namespace: 'payments',
      manifests: [claiming, service],
    });
    await action.handler(ctx);
    const applied = cluster.server.get(
      'deployments',
      'payments',
      'payments',
    ) as any;
    expect(applied.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'backstage-platform',
      'platform.internal/owner': 'payments-team',
      'platform.internal/service': 'payments',
      'backstage.io/kubernetes-id': 'payments',
      team: 'payments',
    });
    expect(applied.metadata.annotations).not.toHaveProperty(
      'platform.internal/owner-ref',
    );
    expect(applied.metadata.annotations['platform.internal/run-nonce']).toMatch(
      /^[0-9a-f]{32}$/,
    );
    expect(
      applied.spec.template.metadata.labels['backstage.io/kubernetes-id'],
    ).toBe('payments');
  });

  it('updates an object that existed before the run in place, and rollback leaves it', async () => {
    const theirs = cluster.server.seed({
      ...service,
      metadata: { name: 'payments', namespace: 'payments' },
    } as any);
    const ctx = actionContext({
      namespace: 'payments',
      manifests: [deployment, service],
    });
    await action.handler(ctx);
    expect(
      (await cluster.journal.listByTask(ctx.task.id)).map(e => e.kind),
    ).toEqual(['kubernetes:deployment']);
    await cluster.rollback(ctx.task.id);
    expect(
      cluster.server.get('services', 'payments', 'payments')?.metadata.uid,
    ).toBe(theirs.metadata.uid);
  });

  it('leaves a Deployment someone created between the read and the write, and rollback keeps it', async () => {
    const clientFor = cluster.kubernetes.clientFor.bind(cluster.kubernetes);
    let theirs: { metadata: { uid?: string } } | undefined;
    jest.spyOn(cluster.kubernetes, 'clientFor').mockImplementation(name => {
      const client = clientFor(name);
      const someoneCreates = (object: { kind?: string }, dryRun: boolean) => {
        if (object.kind === 'Deployment' && !dryRun && !theirs) {
          theirs = cluster.server.seed({
            ...deployment,
            metadata: { name: 'payments', namespace: 'payments' },
          } as any);
        }
      };
      return {
        ...client,
        async create(object, options) {
          someoneCreates(object, options.dryRun);
          return client.create(object, options);
        },
        async apply(object, options) {
          someoneCreates(object, options.dryRun);
          return client.apply(object, options);
        },
      };
    });
    const ctx = actionContext({
      namespace: 'payments',
      manifests: [deployment, service],
    });
    await expect(action.handler(ctx)).rejects.toMatchObject({
      name: 'ConflictError',
      message:
        'Deployment payments in namespace payments on cluster local was created by someone else while this run was deploying; it was left as it is',
    });
    expect(await cluster.journal.listByTask(ctx.task.id)).toEqual([]);
    await cluster.rollback(ctx.task.id);
    const kept = cluster.server.get('deployments', 'payments', 'payments');
    expect(kept?.metadata.uid).toBe(theirs?.metadata.uid);
    expect(kept?.metadata.annotations).toBeUndefined();
  });

  it('does not stamp its own creator on a Deployment that appeared after the manifests were labelled', async () => {
    const clientFor = cluster.kubernetes.clientFor.bind(cluster.kubernetes);
    let deploymentReads = 0;
    jest.spyOn(cluster.kubernetes, 'clientFor').mockImplementation(name => {
      const client = clientFor(name);
      return {
        ...client,
        async read(ref) {
          // The first read labels the manifest; someone creates the
          // Deployment before the second, the one before the write.
          if (ref.kind === 'Deployment' && ++deploymentReads === 2) {
            cluster.server.seed({
              ...deployment,
              metadata: { name: 'payments', namespace: 'payments' },
            } as any);
          }
          return client.read(ref);
        },
      };
    });
    const ctx = actionContext({
      namespace: 'payments',
      manifests: [deployment, service],
    });
    await action.handler(ctx);
    expect(
      cluster.server.get('deployments', 'payments', 'payments')?.metadata
        .annotations?.['platform.internal/created-by-task'],
    ).toBeUndefined();
    expect(
      (await cluster.journal.listByTask(ctx.task.id)).map(e => e.kind),
    ).toEqual(['kubernetes:service']);
  });

  it('reads before retrying a create that answered 5xx after it happened', async () => {
    cluster.server.failNext(1, {
      method: 'POST',
      pathIncludes: '/deployments',
      writesOnly: true,
      afterCommit: true,
      status: 502,
    });
    const ctx = actionContext({
      namespace: 'payments',
      manifests: [deployment, service],
    });
    await action.handler(ctx);
    const realWrites = cluster.server.requests.filter(
      r => r.write && r.path.includes('/deployments'),
    );
    expect(realWrites.map(r => [r.method, r.status])).toEqual([['POST', 502]]);
    const entries = await cluster.journal.listByTask(ctx.task.id);
    expect(entries.map(e => e.state)).toEqual(['created', 'created']);
    expect(entries[0].data.uid).toBe(
      cluster.server.get('deployments', 'payments', 'payments')?.metadata.uid,
    );
  });

  it('surfaces a 5xx that persists on create as a server failure, after reading before each retry', async () => {
    cluster.server.failNext(3, {
      method: 'POST',
      pathIncludes: '/deployments',
      writesOnly: true,
      status: 503,
    });
    const ctx = actionContext({
      namespace: 'payments',
      manifests: [deployment, service],
    });
    const failure = await action.handler(ctx).catch(e => e);
    expect(failure).toBeInstanceOf(Error);
    expect(failure.name).toBe('Error');
    expect(failure.message).toBe(
      'Could not create Deployment payments in namespace payments on cluster local: an error on the server ("injected fault") has prevented the request from succeeding',
    );
    expect(
      cluster.server.requests
        .filter(r => r.path.endsWith('/deployments/payments') || r.write)
        .map(r => `${r.method} ${r.status}`)
        .slice(-6),
    ).toEqual([
      'POST 503',
      'GET 404',
      'POST 503',
      'GET 404',
      'POST 503',
      'GET 404',
    ]);
    expect(await cluster.journal.listByTask(ctx.task.id)).toEqual([]);
  }, 10_000);

  it('in a dry run, logs the objects unchecked when the namespace is still to be created', async () => {
    const ctx = actionContext(
      { namespace: 'ledger', manifests: [deployment, service] },
      { isDryRun: true },
    );
    await action.handler(ctx);
    expect(logLines(ctx)[0]).toBe(
      "Dry run: namespace ledger does not exist yet on cluster local, so the API server's own dry run was skipped",
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'serviceUrl',
      'http://payments.ledger.svc.cluster.local',
    );
    expect(writes()).toEqual([]);
  });

  it('makes no writes in a dry run and logs the objects', async () => {
    const ctx = actionContext(
      { namespace: 'payments', manifests: [deployment, service, ingress] },
      { isDryRun: true },
    );
    await action.handler(ctx);
    expect(writes()).toEqual([]);
    expect(
      cluster.server.requests
        .filter(r => r.method === 'PATCH')
        .every(r => r.query.dryRun === 'All'),
    ).toBe(true);
    expect(logLines(ctx)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Dry run: would apply Ingress payments: \{/),
      ]),
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'serviceUrl',
      'https://payments.apps.example.com/',
    );
    expect(JSON.stringify(logLines(ctx))).not.toContain(TEST_CLUSTER_TOKEN);
  });
});
