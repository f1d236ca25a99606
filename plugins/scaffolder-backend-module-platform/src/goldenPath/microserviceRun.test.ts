import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  LocalGithubApiServer,
  LocalKubernetesApiServer,
  startGithubApiServer,
  startKubernetesApiServer,
} from 'local-targets';
import { scaffolderModulePlatform } from '../module';
import {
  TEST_CLUSTER_TOKEN,
  testClusterConfig,
} from '../__testUtils__/kubernetesCluster';
import { createSqliteDatabase } from '../__testUtils__/database';

jest.setTimeout(90_000);

const TEMPLATE_PATH = path.resolve(
  __dirname,
  '../../../../examples/templates/microservice/template.yaml',
);
const GITHUB_TOKEN = 'golden-path-run-token';

// As the catalog holds it: fetch:template resolves the skeletons relative to
// the location the template was read from.
const template = yaml.parse(fs.readFileSync(TEMPLATE_PATH, 'utf8'));
template.metadata.namespace = 'default';
template.metadata.annotations = {
  'backstage.io/managed-by-location': `file:${TEMPLATE_PATH}`,
};

/**
 * The golden path run end to end, as the Create page runs it, against the
 * loopback GitHub and Kubernetes servers. The catalog is the one stand-in:
 * catalog:register gets, for its URL, the catalog-info.yaml that is in the
 * loopback repository (the catalog's own acceptance of that file is tested in
 * microserviceTemplate.test.ts).
 */
describe('the microservice golden path, run against the local targets', () => {
  let github: LocalGithubApiServer;
  let cluster: LocalKubernetesApiServer;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  const registered: string[] = [];

  function repoFile(target: string): string | undefined {
    const [, owner, repo, file] =
      /^https:\/\/github\.com\/([^/]+)\/([^/]+)\/(?:blob|tree)\/main\/(.+)$/.exec(
        target,
      ) ?? [];
    return owner ? github.files(owner, repo)[file] : undefined;
  }

  beforeAll(async () => {
    github = await startGithubApiServer({
      host: 'github.com',
      orgs: ['example-org'],
      tokens: {
        [GITHUB_TOKEN]: {
          login: 'platform-bot',
          scopes: ['repo', 'delete_repo'],
        },
      },
    });
    cluster = await startKubernetesApiServer({
      token: TEST_CLUSTER_TOKEN,
      deploymentAvailableAfterMs: 30,
      namespaceDeletionDelayMs: 30,
    });
    const clusterConfig = testClusterConfig(cluster);
    const entities = catalogServiceMock({ entities: [template] });
    const catalog = catalogServiceMock.mock({
      getEntityByRef: (ref, options) => entities.getEntityByRef(ref, options),
      addLocation: async ({ target, dryRun }) => {
        const content = repoFile(target);
        if (content === undefined) {
          throw new Error(`${target} is not in the repository`);
        }
        if (!dryRun) {
          registered.push(target);
        }
        return {
          location: {
            id: 'l',
            type: 'url',
            target,
            entityRef: 'location:default/l',
          },
          entities: [yaml.parse(content)],
        };
      },
    });
    backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        scaffolderModulePlatform,
        catalog.factory,
        mockServices.database.factory({ knex: createSqliteDatabase() }),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://backstage.test' },
            integrations: {
              github: [
                {
                  host: 'github.com',
                  apiBaseUrl: github.url,
                  token: GITHUB_TOKEN,
                },
              ],
            },
            kubernetes: clusterConfig.kubernetes,
            platform: {
              ...(clusterConfig.platform as JsonObject),
              rollback: { pollIntervalSeconds: 0.2 },
            },
          },
        }),
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await github?.close();
    await cluster?.close();
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
      body: { message: string; output?: { links?: unknown[] } };
    }> = await read('/events');
    return {
      status: task.status,
      log: events.filter(e => e.type === 'log').map(e => e.body.message),
      links: events.find(e => e.type === 'completion')?.body.output?.links,
    };
  }

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

  it('creates the repository, namespace and deployment, registers the entity and links to all three', async () => {
    const { status, links } = await outcome(
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

    expect(registered).toEqual([
      expect.stringMatching(
        /^https:\/\/github\.com\/example-org\/payments-run\/(blob|tree)\/main\/catalog-info\.yaml$/,
      ),
    ]);
    expect(links).toEqual([
      {
        title: 'Repository',
        icon: 'github',
        url: 'https://github.com/example-org/payments-run',
      },
      {
        title: 'Open in catalog',
        icon: 'catalog',
        entityRef: 'component:default/payments-run',
      },
      { title: 'Service URL', url: 'https://payments-run.apps.example.com/' },
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

    const deadline = Date.now() + 30_000;
    while (
      (github.getRepo('example-org', 'ledger-run') ||
        cluster.get('namespaces', undefined, 'ledger-run')) &&
      Date.now() < deadline
    ) {
      await new Promise(resolve => setTimeout(resolve, 200));
    }
    expect(github.getRepo('example-org', 'ledger-run')).toBeUndefined();
    expect(cluster.get('namespaces', undefined, 'ledger-run')).toBeUndefined();

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
});
