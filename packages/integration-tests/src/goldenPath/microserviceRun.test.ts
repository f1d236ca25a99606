import request from 'supertest';
import { mockCredentials } from '@backstage/backend-test-utils';
import { AlphaEntity } from '@backstage/catalog-model/alpha';
import { PlatformRun } from '@internal/plugin-platform-common';
import { LocalGithubApiServer, LocalKubernetesApiServer } from 'local-targets';
import { FakeCatalog, waitFor } from '@internal/platform-test-utils';
import {
  GoldenPathBackend,
  startGoldenPathBackend,
} from '../__testUtils__/goldenPathBackend';

jest.setTimeout(90_000);

/** The catalog file a run of the golden path registers for `name`. */
const catalogInfoUrl = (name: string) =>
  `https://github.com/example-org/${name}/tree/main/catalog-info.yaml`;

/** What a resource of a run is, whatever the service is called. */
const resourceShape = (run: PlatformRun, name: string) =>
  run.resources
    .map(r => ({
      kind: r.kind,
      identity: r.identity.split(name).join('NAME'),
      state: r.state,
    }))
    .sort((a, b) =>
      `${a.kind} ${a.identity}`.localeCompare(`${b.kind} ${b.identity}`),
    );

/**
 * The golden path run end to end, as the Create page runs it, against the
 * loopback GitHub and Kubernetes servers. The catalog is the one stand-in:
 * an in-memory catalog with locations (`FakeCatalog`) that reads a
 * registered URL from the loopback repository's contents, as the real one
 * reads it from GitHub, processes it at once and prunes a removed location's
 * entities (the catalog's own acceptance of that file is tested in
 * microserviceTemplate.test.ts).
 */
describe('the microservice golden path, run against the local targets', () => {
  let github: LocalGithubApiServer;
  let cluster: LocalKubernetesApiServer;
  let catalog: FakeCatalog;
  let backend: GoldenPathBackend['backend'];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ github, cluster, catalog, backend, stop } =
      await startGoldenPathBackend());
  });

  afterAll(async () => {
    await stop?.();
  });

  const auth = mockCredentials.user.header();

  async function start(values: Record<string, unknown>): Promise<string> {
    const created = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', auth)
      .send({ templateRef: 'template:default/microservice', values });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  /** What the run page shows once the run has ended. */
  async function outcome(taskId: string) {
    const read = async (suffix = '') =>
      (
        await request(backend.server)
          .get(`/api/scaffolder/v2/tasks/${taskId}${suffix}`)
          .set('Authorization', auth)
      ).body;
    let task = await read();
    while (['open', 'processing'].includes(task.status)) {
      await new Promise(resolve => setTimeout(resolve, 200));
      task = await read();
    }
    const events: Array<{
      type: string;
      body: {
        message: string;
        stepId?: string;
        status?: string;
        output?: { links?: unknown[]; text?: Array<{ content?: string }> };
      };
    }> = await read('/events');
    return {
      status: task.status,
      log: events.filter(e => e.type === 'log').map(e => e.body.message),
      links: events.find(e => e.type === 'completion')?.body.output?.links,
      text: events.find(e => e.type === 'completion')?.body.output?.text,
      /** The steps that failed, in order; a retry's appear after the first attempt's. */
      failedSteps: events
        .filter(e => e.type === 'log' && e.body.status === 'failed')
        .map(e => e.body.stepId),
    };
  }

  /** The run as the platform's runs API shows it. */
  async function platformRun(taskId: string): Promise<PlatformRun> {
    const response = await request(backend.server)
      .get(`/api/scaffolder/platform/runs/${taskId}`)
      .set('Authorization', auth);
    expect(response.status).toBe(200);
    return response.body;
  }

  /** The failed run once its rollback is over: nothing it created is left to undo. */
  async function rolledBack(taskId: string): Promise<PlatformRun> {
    return waitFor(
      `the rollback of run ${taskId}`,
      async () => {
        const run = await platformRun(taskId);
        const over =
          run.status === 'failed' &&
          run.resources.every(r =>
            ['rolled_back', 'rollback_failed', 'kept'].includes(r.state),
          );
        return over ? run : undefined;
      },
      60_000,
    );
  }

  /** The links a completed run of `name` shows. */
  const linksOf = (name: string) => [
    {
      title: 'Repository',
      icon: 'github',
      url: `https://github.com/example-org/${name}`,
    },
    {
      title: 'Open in catalog',
      icon: 'catalog',
      entityRef: `component:default/${name}`,
    },
  ];

  /** The component the run registered, as the catalog holds it. */
  const registeredEntity = (name: string): AlphaEntity | undefined =>
    catalog.entities.get(`component:default/${name}`);

  const values = (language: string, name: string, exposePublic: boolean) => ({
    service_name: name,
    description: 'Takes payments.',
    language,
    owner: 'group:default/team-payments',
    lifecycle: 'experimental',
    expose_public: exposePublic,
    github_org: 'example-org',
    dependencies: [
      { target: 'component:default/checkout', type: 'runtime', critical: true },
    ],
  });

  it('creates the repository, namespace and deployment, registers the entity, links to both and names the address', async () => {
    const { status, links, text } = await outcome(
      await start(values('nodejs', 'payments-run', true)),
    );
    expect(status).toBe('completed');

    const repo = github.getRepo('example-org', 'payments-run');
    expect(repo).toMatchObject({
      visibility: 'private',
      topics: ['golden-path', 'nodejs'],
      teams: { 'team-payments': 'maintain' },
    });
    expect(Object.keys(github.files('example-org', 'payments-run'))).toEqual(
      expect.arrayContaining([
        'Dockerfile',
        '.github/workflows/ci.yaml',
        'src/server.js',
        'test/server.test.js',
        'kubernetes/deployment.yaml',
        'kubernetes/ingress.yaml',
        'catalog-info.yaml',
      ]),
    );

    expect(
      cluster.get('resourcequotas', 'payments-run', 'platform-quota'),
    ).toBeDefined();
    const deployment = cluster.get(
      'deployments',
      'payments-run',
      'payments-run',
    );
    expect(deployment?.status).toMatchObject({ availableReplicas: 2 });
    expect(
      cluster.get('services', 'payments-run', 'payments-run'),
    ).toBeDefined();
    expect(
      cluster.get('ingresses', 'payments-run', 'payments-run'),
    ).toBeDefined();

    // Registered once, from the file in the new repository, and processed.
    expect(
      catalog.registeredTargets().filter(t => t.includes('/payments-run/')),
    ).toEqual([catalogInfoUrl('payments-run')]);
    expect(registeredEntity('payments-run')).toMatchObject({
      kind: 'Component',
      metadata: {
        name: 'payments-run',
        namespace: 'default',
        uid: expect.any(String),
        annotations: {
          'backstage.io/managed-by-origin-location': `url:${catalogInfoUrl(
            'payments-run',
          )}`,
        },
      },
      spec: { owner: 'group:default/team-payments' },
    });
    expect(registeredEntity('payments-run')?.status).toBeUndefined();
    expect(links).toEqual(linksOf('payments-run'));
    expect(text).toEqual([
      expect.objectContaining({
        title: 'Service address',
        content: expect.stringMatching(
          /^`https:\/\/payments-run\.apps\.example\.com\/`\n/,
        ),
      }),
    ]);
  });

  it('shows a failed deployment and rolls back the repository and the namespace', async () => {
    // The API server rejects the Deployment as invalid: never retried.
    cluster.failNext(1, {
      status: 422,
      // A first deploy creates the Deployment (POST to .../deployments).
      method: 'POST',
      pathIncludes: '/deployments',
      writesOnly: true,
    });
    const taskId = await start(values('go', 'ledger-run', false));
    const { status, log } = await outcome(taskId);
    expect(status).toBe('failed');
    expect(log).toContainEqual(
      expect.stringContaining(
        'Could not create Deployment ledger-run in namespace ledger-run',
      ),
    );

    // Register is the last step, so the failed deployment registered
    // nothing: the run's rollback has no catalog location to remove.
    const run = await rolledBack(taskId);
    expect(run.resources.map(r => [r.kind, r.state])).toEqual([
      ['github:repository', 'rolled_back'],
      ['kubernetes:namespace', 'rolled_back'],
      ['kubernetes:resourcequota', 'rolled_back'],
      ['kubernetes:limitrange', 'rolled_back'],
    ]);
    expect(github.getRepo('example-org', 'ledger-run')).toBeUndefined();
    expect(cluster.get('namespaces', undefined, 'ledger-run')).toBeUndefined();
    expect(
      catalog
        .addLocationCalls()
        .filter(call => call.target === catalogInfoUrl('ledger-run')),
    ).toEqual([]);
    expect(registeredEntity('ledger-run')).toBeUndefined();

    // The rollback writes to the run's log after the run has ended.
    const { log: lines } = await outcome(taskId);
    expect(lines).toContainEqual(
      expect.stringMatching(/rolling back \d+ resource\(s\) it created/),
    );
    expect(lines).toContainEqual(
      expect.stringContaining(
        'Rolled back github:repository github.com/example-org/ledger-run',
      ),
    );
    expect(lines).toContainEqual(
      expect.stringContaining(
        'Rolled back kubernetes:namespace local/namespaces/ledger-run',
      ),
    );
  });
  it('rolls back everything when the catalog reports a processing error for the registered entity', async () => {
    catalog.statusErrors.set('component:default/audit-run', [
      'Annotation platform.internal/docs-url of component:default/audit-run is "docs", which is not an absolute http or https URL',
    ]);
    try {
      const taskId = await start(values('go', 'audit-run', false));
      const { status, log } = await outcome(taskId);
      expect(status).toBe('failed');
      expect(log).toContainEqual(
        expect.stringContaining(
          `The catalog could not process component:default/audit-run from ${catalogInfoUrl(
            'audit-run',
          )}: Annotation platform.internal/docs-url`,
        ),
      );

      const run = await rolledBack(taskId);
      // Deleted one by one, newest first, or gone with their namespace.
      const inNamespace = expect.stringMatching(
        /^(deleted|it was already gone)$/,
      );
      expect(
        run.resources.map(r => [r.kind, r.identity, r.state, r.reason]),
      ).toEqual([
        [
          'github:repository',
          'github.com/example-org/audit-run',
          'rolled_back',
          'deleted',
        ],
        [
          'kubernetes:namespace',
          'local/namespaces/audit-run',
          'rolled_back',
          'deleted',
        ],
        [
          'kubernetes:resourcequota',
          'local/audit-run/resourcequotas/platform-quota',
          'rolled_back',
          inNamespace,
        ],
        [
          'kubernetes:limitrange',
          'local/audit-run/limitranges/platform-defaults',
          'rolled_back',
          inNamespace,
        ],
        [
          'kubernetes:deployment',
          'local/audit-run/deployments/audit-run',
          'rolled_back',
          inNamespace,
        ],
        [
          'kubernetes:service',
          'local/audit-run/services/audit-run',
          'rolled_back',
          inNamespace,
        ],
        [
          'catalog:location',
          catalogInfoUrl('audit-run'),
          'rolled_back',
          'deleted',
        ],
      ]);

      expect(github.getRepo('example-org', 'audit-run')).toBeUndefined();
      expect(cluster.get('namespaces', undefined, 'audit-run')).toBeUndefined();
      for (const resource of [
        'deployments',
        'services',
        'resourcequotas',
        'limitranges',
      ]) {
        expect(
          cluster
            .list(resource)
            .filter(o => o.metadata?.namespace === 'audit-run'),
        ).toEqual([]);
      }
      // The location was added and is removed again, with its entities.
      expect(
        catalog
          .addLocationCalls()
          .filter(c => c.target === catalogInfoUrl('audit-run') && !c.dryRun),
      ).toHaveLength(1);
      expect(catalog.registeredTargets()).not.toContain(
        catalogInfoUrl('audit-run'),
      );
      expect(registeredEntity('audit-run')).toBeUndefined();
      const { log: lines } = await outcome(taskId);
      expect(lines).toContainEqual(
        expect.stringContaining(
          `Rolled back catalog:location ${catalogInfoUrl('audit-run')}`,
        ),
      );
    } finally {
      catalog.statusErrors.delete('component:default/audit-run');
    }
  });

  describe('retried after a rollback', () => {
    let clean: { status: string; run: PlatformRun; links: unknown };

    // The run each retried one must end like.
    beforeAll(async () => {
      const taskId = await start(values('go', 'retry-clean', false));
      const { status, links } = await outcome(taskId);
      clean = { status, run: await platformRun(taskId), links };
    });

    it('ends a clean run with every resource created', () => {
      expect(clean.status).toBe('completed');
      expect(clean.run.resources.map(r => r.state)).toEqual(
        clean.run.resources.map(() => 'created'),
      );
      expect(clean.links).toEqual(linksOf('retry-clean'));
    });

    /** Makes the step fail once; returns what undoes a fault that outlives the run. */
    const faults: Record<string, (name: string) => (() => void) | void> = {
      // The repository exists; its first commit cannot be written.
      'repo push': () =>
        github.failNext(1, {
          status: 422,
          method: 'POST',
          pathIncludes: '/git/commits',
        }),
      // The namespace and its quota exist; the LimitRange is refused.
      namespace: () =>
        cluster.failNext(1, {
          status: 422,
          method: 'POST',
          pathIncludes: '/limitranges',
          writesOnly: true,
        }),
      // The Deployment exists; the Service is refused.
      deploy: () =>
        cluster.failNext(1, {
          status: 422,
          method: 'POST',
          pathIncludes: '/services',
          writesOnly: true,
        }),
      // The location is added; processing reports an error, this time only.
      register: name => {
        const ref = `component:default/${name}`;
        catalog.statusErrors.set(ref, [
          `Annotation platform.internal/docs-url of ${ref} is "docs", which is not an absolute http or https URL`,
        ]);
        return () => catalog.statusErrors.delete(ref);
      },
    };

    /** What a failure at the step leaves for rollback, oldest first. */
    const rolledBackAt: Record<string, string[]> = {
      'repo push': ['github:repository'],
      namespace: [
        'github:repository',
        'kubernetes:namespace',
        'kubernetes:resourcequota',
      ],
      deploy: [
        'github:repository',
        'kubernetes:namespace',
        'kubernetes:resourcequota',
        'kubernetes:limitrange',
        'kubernetes:deployment',
      ],
      register: [
        'github:repository',
        'kubernetes:namespace',
        'kubernetes:resourcequota',
        'kubernetes:limitrange',
        'kubernetes:deployment',
        'kubernetes:service',
        'catalog:location',
      ],
    };

    it.each(Object.keys(faults))(
      'creates again what a failure at %s rolled back, and ends as a clean run',
      async step => {
        const name = `retry-${step.replace(' ', '-')}`;
        const clear = faults[step](name);
        const taskId = await start(values('go', name, false));
        const first = await outcome(taskId);
        clear?.();
        expect(first.status).toBe('failed');
        expect(first.failedSteps).toEqual([step.split(' ')[0]]);
        // The failed attempt had created everything before the failure.
        const failedRun = await rolledBack(taskId);
        expect(failedRun.resources.map(r => [r.kind, r.state])).toEqual(
          rolledBackAt[step].map(kind => [kind, 'rolled_back']),
        );

        const retried = await request(backend.server)
          .post(`/api/scaffolder/v2/tasks/${taskId}/retry`)
          .set('Authorization', auth)
          .send({});
        expect(retried.status).toBe(201);
        const second = await outcome(taskId);
        expect({ status: second.status, links: second.links }).toEqual({
          status: 'completed',
          links: linksOf(name),
        });

        const run = await platformRun(taskId);
        expect(resourceShape(run, name)).toEqual(
          resourceShape(clean.run, 'retry-clean'),
        );
        // Everything is there again, once.
        expect(github.getRepo('example-org', name)).toBeDefined();
        expect(Object.keys(github.files('example-org', name))).toContain(
          'catalog-info.yaml',
        );
        expect(cluster.get('namespaces', undefined, name)).toBeDefined();
        expect(
          cluster.get('resourcequotas', name, 'platform-quota'),
        ).toBeDefined();
        expect(cluster.get('deployments', name, name)?.status).toMatchObject({
          availableReplicas: expect.any(Number),
        });
        expect(cluster.get('services', name, name)).toBeDefined();
        expect(
          catalog.registeredTargets().filter(t => t === catalogInfoUrl(name)),
        ).toHaveLength(1);
        expect(registeredEntity(name)).toMatchObject({
          metadata: {
            annotations: {
              'backstage.io/managed-by-origin-location': `url:${catalogInfoUrl(
                name,
              )}`,
            },
          },
        });
        expect(registeredEntity(name)?.status).toBeUndefined();
      },
      120_000,
    );
  });
});
