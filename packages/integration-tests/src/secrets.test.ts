import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import { PlatformRun } from '@internal/plugin-platform-common';
import { Knex } from 'knex';
import {
  LocalGithubApiServer,
  LocalKubernetesApiServer,
  startGithubApiServer,
  startKubernetesApiServer,
} from 'local-targets';
import request from 'supertest';
import { platformModules } from './__testUtils__/platformModules';
import {
  capturingRootLoggerFactory,
  createSqliteDatabase,
} from '@internal/platform-test-utils';
import { GITHUB_HOST, UNPACED_GITHUB } from '@internal/platform-test-utils';
import { testStepsModule } from '@internal/platform-test-utils';
import { waitFor } from '@internal/platform-test-utils';

jest.setTimeout(90_000);

/**
 * Promise 8 end to end: secrets configured in app-config, echoed back by
 * GitHub and by a Kubernetes API server inside their own error messages,
 * appear on no surface of the real scaffolder backend with our module.
 * The canaries have no credential shape, so only the config discovery can
 * find them.
 */
const GITHUB_CANARY = 'canary-gh-5d0c8e2b7a4f4913';
const CLUSTER_CANARY = 'canary-k8s-9e1f6b3a2c7d4058';
const CANARIES = [GITHUB_CANARY, CLUSTER_CANARY];

/** Every line any plugin logs, with its metadata, unmasked. */
const backendLog: string[] = [];

const template = (
  name: string,
  steps: TemplateEntityV1beta3['spec']['steps'],
): TemplateEntityV1beta3 => ({
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name, namespace: 'default' },
  spec: {
    type: 'service',
    parameters: [{ properties: { name: { type: 'string' } } }],
    steps,
  },
});

const templates: Record<string, TemplateEntityV1beta3> = {
  repo: template('repo', [
    { id: 'files', action: 'test:step', input: { writeFiles: true } },
    {
      id: 'repo',
      action: 'platform:github:repo:create',
      input: {
        repoUrl: `${GITHUB_HOST}?owner=acme&repo=\${{ parameters.name }}`,
      },
    },
    { id: 'after', action: 'test:step', input: { fail: true } },
  ]),
  namespace: template('namespace', [
    {
      id: 'namespace',
      action: 'platform:kubernetes:namespace:create',
      input: {
        name: '${{ parameters.name }}',
        service: '${{ parameters.name }}',
        owner: 'group:default/payments-team',
        cluster: 'echo',
      },
    },
  ]),
};

describe('secrets stay out of every surface', () => {
  let github: LocalGithubApiServer;
  let kubernetes: LocalKubernetesApiServer;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  const auth = mockCredentials.user.header();

  beforeAll(async () => {
    github = await startGithubApiServer({
      host: GITHUB_HOST,
      orgs: ['acme'],
      tokens: {
        [GITHUB_CANARY]: {
          login: 'platform-bot',
          scopes: ['repo', 'delete_repo'],
        },
      },
    });
    kubernetes = await startKubernetesApiServer({ token: CLUSTER_CANARY });
    knex = createSqliteDatabase();
    backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        ...platformModules,
        testStepsModule,
        catalogServiceMock.mock({
          getEntityByRef: async ref =>
            templates[
              typeof ref === 'string' ? ref.split('/').pop()! : ref.name
            ],
        }).factory,
        mockServices.database.factory({ knex }),
        capturingRootLoggerFactory(backendLog),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://backstage.test' },
            integrations: {
              github: [
                {
                  host: GITHUB_HOST,
                  apiBaseUrl: github.url,
                  token: GITHUB_CANARY,
                },
              ],
            },
            platform: {
              github: UNPACED_GITHUB,
              rollback: { pollInterval: { milliseconds: 200 } },
              kubernetes: {
                clusters: [
                  {
                    name: 'echo',
                    url: kubernetes.url,
                    serviceAccountToken: CLUSTER_CANARY,
                    caData: kubernetes.caData,
                  },
                ],
              },
            },
          },
        }),
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await github?.close();
    await kubernetes?.close();
  });

  afterEach(() => github.clearFaults());

  async function run(templateName: string, name: string): Promise<string> {
    const res = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', auth)
      .send({
        templateRef: `template:default/${templateName}`,
        values: { name },
      });
    expect(res.status).toBe(201);
    const taskId: string = res.body.id;
    await waitFor(`task ${taskId} to end`, async () => {
      const task = await request(backend.server)
        .get(`/api/scaffolder/v2/tasks/${taskId}`)
        .set('Authorization', auth);
      return ['completed', 'failed', 'cancelled'].includes(task.body.status)
        ? true
        : undefined;
    });
    return taskId;
  }

  async function logLines(taskId: string): Promise<string[]> {
    const res = await request(backend.server)
      .get(`/api/scaffolder/v2/tasks/${taskId}/events`)
      .set('Authorization', auth);
    return res.body
      .filter((e: { type: string }) => e.type === 'log')
      .map((e: { body: { message: string } }) => e.body.message);
  }

  async function getRun(taskId: string): Promise<PlatformRun | undefined> {
    const res = await request(backend.server)
      .get(`/api/scaffolder/platform/runs/${taskId}`)
      .set('Authorization', auth);
    return res.status === 200 ? res.body : undefined;
  }

  /** Every row of every table: tasks (with checkpoint state), events, journal. */
  async function database(): Promise<Record<string, unknown[]>> {
    const tables: Array<{ name: string }> = await knex('sqlite_master')
      .where({ type: 'table' })
      .select('name');
    const rows: Record<string, unknown[]> = {};
    for (const { name } of tables) {
      rows[name] = await knex(name).select();
    }
    return rows;
  }

  /** What every surface shows of a run. */
  async function surfaces(taskId: string): Promise<Record<string, string>> {
    const events = await request(backend.server)
      .get(`/api/scaffolder/v2/tasks/${taskId}/events`)
      .set('Authorization', auth);
    const task = await request(backend.server)
      .get(`/api/scaffolder/v2/tasks/${taskId}`)
      .set('Authorization', auth);
    const runs = await request(backend.server)
      .get('/api/scaffolder/platform/runs')
      .set('Authorization', auth);
    return {
      'task log events': JSON.stringify(events.body),
      task: JSON.stringify(task.body),
      'runs API (run)': JSON.stringify((await getRun(taskId)) ?? {}),
      'runs API (list)': JSON.stringify(runs.body),
      database: JSON.stringify(await database()),
      'backend log': backendLog.join('\n'),
    };
  }

  async function expectNoCanary(taskId: string) {
    for (const [surface, text] of Object.entries(await surfaces(taskId))) {
      for (const canary of CANARIES) {
        expect({ surface, leaked: text.includes(canary) }).toEqual({
          surface,
          leaked: false,
        });
      }
    }
  }

  it('masks the token GitHub echoes while the action creates the repository', async () => {
    github.failNext(1, {
      method: 'POST',
      path: '/orgs/acme/repos',
      status: 403,
      message: `Resource not accessible with credential ${GITHUB_CANARY}`,
    });
    const taskId = await run('repo', 'svc-echo-create');

    expect(
      github.requests.some(
        r =>
          r.method === 'POST' &&
          r.path === '/orgs/acme/repos' &&
          r.status === 403,
      ),
    ).toBe(true);
    const log = (await logLines(taskId)).join('\n');
    // The step's warning and its error both name what failed, masked.
    expect(log).toContain(
      'Could not create acme/svc-echo-create: GitHub answered 403: Resource not accessible with credential ***',
    );
    expect(log).toContain(
      'Error: Could not create acme/svc-echo-create: GitHub answered 403: Resource not accessible with credential ***',
    );
    // No stack frames (server paths) in the run's log.
    expect(log).not.toMatch(/\n\s+at /);
    // The failed checkpoint in the task state carries the masked reason.
    const [task] = await knex('tasks').where({ id: taskId }).select('state');
    expect(task.state).toContain('Resource not accessible with credential ***');
    await expectNoCanary(taskId);
  });

  it('masks the token GitHub echoes in the step error and in the rollback reason', async () => {
    const name = 'svc-echo-rollback';
    // The repository is created, the first commit is refused with an echo,
    // and so is the rollback's deletion.
    github.failNext(100, {
      pathIncludes: `/repos/acme/${name}/git/trees`,
      status: 422,
      message: `Invalid tree for credential ${GITHUB_CANARY}`,
    });
    github.failNext(100, {
      method: 'DELETE',
      path: `/repos/acme/${name}`,
      status: 403,
      message: `Must have admin rights; credential ${GITHUB_CANARY} has none`,
    });
    const taskId = await run('repo', name);
    const settled = await waitFor('the rollback to give up', async () => {
      const r = await getRun(taskId);
      return r?.resources[0]?.state === 'rollback_failed' ? r : undefined;
    });

    expect(github.getRepo('acme', name)).toBeDefined();
    expect(settled.resources[0].reason).toBe(
      `GitHub refused to delete acme/${name}: GitHub answered 403: Must have admin rights; credential *** has none. The integration needs admin rights on the repository (delete_repo scope for a token, Administration write for a GitHub App).`,
    );
    const log = (await logLines(taskId)).join('\n');
    expect(log).toContain('Invalid tree for credential ***');
    expect(log).toContain(
      `Could not roll back github:repository ${GITHUB_HOST}/acme/${name} (https://${GITHUB_HOST}/acme/${name}): GitHub refused to delete acme/${name}: GitHub answered 403: Must have admin rights; credential *** has none.`,
    );
    expect(backendLog.join('\n')).toContain(
      `Rollback of github:repository ${GITHUB_HOST}/acme/${name} for task ${taskId} failed: GitHub refused to delete acme/${name}: GitHub answered 403: Must have admin rights; credential *** has none.`,
    );
    await expectNoCanary(taskId);
  });

  it('masks the cluster token a Kubernetes Status message echoes', async () => {
    // As a misbehaving admission webhook in front of the API server can.
    kubernetes.failNext(1, {
      writesOnly: true,
      status: 403,
      message: `admission webhook "audit.example.com" denied the request: credential ${CLUSTER_CANARY} is not allowed to POST /api/v1/namespaces`,
    });
    const taskId = await run('namespace', 'payments-echo');

    expect(
      kubernetes.requests
        .filter(r => r.write)
        .map(r => `${r.method} ${r.path}`),
    ).toContain('POST /api/v1/namespaces');
    const log = (await logLines(taskId)).join('\n');
    expect(log).toContain(
      'admission webhook "audit.example.com" denied the request: credential *** is not allowed to POST /api/v1/namespaces',
    );
    expect(log).toMatch(/NotAllowedError: Could not create/);
    await expectNoCanary(taskId);
  });

  it('wrote neither token to the backend log during any run', () => {
    expect(backendLog.length).toBeGreaterThan(0);
    for (const canary of CANARIES) {
      expect(backendLog.filter(line => line.includes(canary))).toEqual([]);
    }
  });
});
