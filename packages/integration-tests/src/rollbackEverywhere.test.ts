import { ServiceFactory } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import {
  createScaffolderActionConditionalDecision,
  scaffolderActionConditions,
} from '@backstage/plugin-scaffolder-backend/alpha';
import { actionExecutePermission } from '@backstage/plugin-scaffolder-common/alpha';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import { PlatformRun } from '@internal/plugin-platform-common';
import { Knex } from 'knex';
import { createSqliteDatabase } from '@internal/platform-test-utils';
import { LocalGithubApiServer } from 'local-targets';
import request from 'supertest';
import { platformModules } from './__testUtils__/platformModules';
import { testStepsModule } from '@internal/platform-test-utils';
import { waitFor } from '@internal/platform-test-utils';
import {
  githubIntegrationConfig,
  NO_DELETE_TOKEN,
  startTestGithub,
  UNPACED_GITHUB,
} from '@internal/platform-test-utils';

jest.setTimeout(90_000);

/**
 * The fault-injection tests: a real template through the real scaffolder
 * backend, with our module, against the loopback GitHub server.
 */

const template: TemplateEntityV1beta3 = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'service', namespace: 'default' },
  spec: {
    type: 'service',
    parameters: [
      {
        properties: {
          name: { type: 'string' },
          failAt: { type: 'string' },
          keep: { type: 'boolean' },
        },
      },
    ],
    steps: [
      {
        id: 'before',
        action: 'test:step',
        input: {
          writeFiles: true,
          fail: "${{ parameters.failAt === 'before' }}",
        },
      },
      {
        id: 'repo',
        action: 'platform:github:repo:create',
        input: {
          repoUrl: 'github.test?owner=acme&repo=${{ parameters.name }}',
          rollback: '${{ not parameters.keep }}',
        },
      },
      {
        id: 'after',
        action: 'test:step',
        input: {
          fail: "${{ parameters.failAt === 'after' }}",
          hang: "${{ parameters.failAt === 'cancel' }}",
        },
      },
      {
        id: 'register',
        action: 'catalog:register',
        input: { repoContentsUrl: '${{ steps.repo.output.repoContentsUrl }}' },
      },
    ],
  },
};

/** While true, catalog:register fails for every run. */
let catalogDown = false;

const catalog = () =>
  catalogServiceMock.mock({
    getEntityByRef: async () => template,
    addLocation: async ({ target }) => {
      if (catalogDown || target.includes('register-fails')) {
        throw new Error('the catalog is down');
      }
      return {
        location: {
          id: 'l',
          type: 'url',
          target,
          entityRef: 'location:default/l',
        },
        entities: [],
      };
    },
  });

const FINAL = ['completed', 'failed', 'cancelled'];

async function startBackend(
  github: LocalGithubApiServer,
  options: {
    knex: Knex;
    token?: string;
    leaseSeconds?: number;
    permissions?: ServiceFactory;
  },
) {
  return startTestBackend({
    features: [
      ...(options.permissions ? [options.permissions] : []),
      scaffolderPlugin,
      ...platformModules,
      testStepsModule,
      catalog().factory,
      mockServices.database.factory({ knex: options.knex }),
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://backstage.test' },
          ...githubIntegrationConfig(github, options.token),
          platform: {
            github: UNPACED_GITHUB,
            rollback: {
              pollInterval: { milliseconds: 200 },
              lease: { seconds: options.leaseSeconds ?? 30 },
            },
          },
        },
      }),
    ],
  });
}

type Backend = Awaited<ReturnType<typeof startBackend>>;

/**
 * The databases of the test backends are never closed: the scaffolder's
 * task broker keeps polling for a while after `backend.stop()`, and a closed
 * pool makes those late polls fail whichever test file the jest worker runs
 * next. They go away with the worker process.
 */
const sqlite = createSqliteDatabase;

function client(backend: Backend) {
  const auth = mockCredentials.user.header();
  return {
    async run(values: Record<string, unknown>): Promise<string> {
      const res = await request(backend.server)
        .post('/api/scaffolder/v2/tasks')
        .set('Authorization', auth)
        .send({ templateRef: 'template:default/service', values });
      expect(res.status).toBe(201);
      return res.body.id;
    },
    async cancel(taskId: string) {
      await request(backend.server)
        .post(`/api/scaffolder/v2/tasks/${taskId}/cancel`)
        .set('Authorization', auth)
        .expect(200);
    },
    async status(taskId: string): Promise<string> {
      const res = await request(backend.server)
        .get(`/api/scaffolder/v2/tasks/${taskId}`)
        .set('Authorization', auth);
      return res.body.status;
    },
    finished(taskId: string) {
      return waitFor(`task ${taskId} to end`, async () => {
        const status = await this.status(taskId);
        return FINAL.includes(status) ? { status, at: Date.now() } : undefined;
      });
    },
    async logLines(taskId: string): Promise<string[]> {
      const res = await request(backend.server)
        .get(`/api/scaffolder/v2/tasks/${taskId}/events`)
        .set('Authorization', auth);
      return res.body
        .filter((e: { type: string }) => e.type === 'log')
        .map((e: { body: { message: string } }) => e.body.message);
    },
    async getRun(taskId: string): Promise<PlatformRun | undefined> {
      const res = await request(backend.server)
        .get(`/api/scaffolder/platform/runs/${taskId}`)
        .set('Authorization', auth);
      return res.status === 200 ? res.body : undefined;
    },
    /**
     * The run once it has ended and no resource is waiting for, or in,
     * rollback. A run that journaled nothing has no record at all.
     */
    settled(
      taskId: string,
    ): Promise<Pick<PlatformRun, 'resources'> & Partial<PlatformRun>> {
      return waitFor(`rollback of ${taskId}`, async () => {
        const run = await this.getRun(taskId);
        if (!run) {
          return FINAL.includes(await this.status(taskId))
            ? { resources: [] }
            : undefined;
        }
        const done = run.resources.every(r =>
          ['kept', 'created', 'rolled_back', 'rollback_failed'].includes(
            r.state,
          ),
        );
        return done && FINAL.includes(run.status) ? run : undefined;
      });
    },
  };
}

describe('rollback through the real scaffolder backend', () => {
  let github: LocalGithubApiServer;
  let knex: Knex;
  let backend: Backend;
  let existing: ReturnType<LocalGithubApiServer['seedRepo']>;
  let existingSnapshot: string;

  beforeAll(async () => {
    github = await startTestGithub();
    existing = github.seedRepo('acme', 'existing', { description: 'theirs' });
    existingSnapshot = JSON.stringify(existing);
    knex = sqlite();
    backend = await startBackend(github, { knex });
  });

  afterAll(async () => {
    await backend?.stop();
    await github?.close();
  });

  afterEach(() => github.clearFaults());

  it('serves the runs API on the scaffolder router', async () => {
    const res = await request(backend.server)
      .get('/api/scaffolder/platform/runs')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ runs: expect.any(Array) });
    await request(backend.server)
      .get('/api/scaffolder/platform/runs')
      .set('Authorization', mockCredentials.user.invalidHeader())
      .expect(401);
  });

  it('keeps everything when the run completes', async () => {
    const api = client(backend);
    const taskId = await api.run({ name: 'svc-ok', failAt: 'none' });
    expect((await api.finished(taskId)).status).toBe('completed');
    const run = await api.settled(taskId);
    expect(run.resources.map(r => [r.identity, r.state])).toEqual([
      ['github.test/acme/svc-ok', 'created'],
    ]);
    expect(run.templateRef).toBe('template:default/service');
    expect(github.getRepo('acme', 'svc-ok')).toBeDefined();
  });

  it.each([
    ['the step before ours', 'svc-before', 'before', 'failed', 0],
    ['our own step after creating', 'svc-own', 'own', 'failed', 1],
    ['a step after ours', 'svc-after', 'after', 'failed', 1],
    [
      'the stock catalog:register after ours',
      'svc-register-fails',
      'register',
      'failed',
      1,
    ],
    // Scaffolder 1.55 ends a user-cancelled run as `failed` after a
    // `cancelled` event; `failed` and `cancelled` both roll back.
    ['a cancellation during a later step', 'svc-cancel', 'cancel', 'failed', 1],
  ])(
    'removes what the run created when %s fails',
    async (_, name, failAt, status, journaled) => {
      const api = client(backend);
      if (failAt === 'own') {
        // The repository exists, then the push fails for good.
        github.failNext(100, {
          pathIncludes: `/repos/acme/${name}/git/trees`,
          status: 422,
        });
      }
      const taskId = await api.run({ name, failAt });
      if (failAt === 'cancel') {
        await waitFor('the repository', async () =>
          github.getRepo('acme', name),
        );
        await api.cancel(taskId);
      }
      const ended = await api.finished(taskId);
      expect(ended.status).toBe(status);
      const run = await api.settled(taskId);
      const settledAt = Date.now();

      expect(github.getRepo('acme', name)).toBeUndefined();
      expect(run.resources).toHaveLength(journaled);
      expect(run.resources.map(r => r.state)).toEqual(
        Array(journaled).fill('rolled_back'),
      );
      // Rollback starts within 5 seconds of the failure and this one is quick.
      expect(settledAt - ended.at).toBeLessThan(5_000);
      expect(
        (await api.logLines(taskId)).filter(l => l.startsWith('Rolled back')),
      ).toEqual(
        Array(journaled).fill(
          `Rolled back github:repository github.test/acme/${name} (https://github.test/acme/${name}): deleted.`,
        ),
      );
    },
  );

  it('keeps a repository whose step says rollback: false', async () => {
    const api = client(backend);
    const taskId = await api.run({
      name: 'svc-keep',
      failAt: 'after',
      keep: true,
    });
    await api.finished(taskId);
    const run = await api.settled(taskId);
    expect(run.resources.map(r => r.state)).toEqual(['kept']);
    expect(github.getRepo('acme', 'svc-keep')).toBeDefined();
  });

  it('fails on a name that already exists and removes nothing', async () => {
    const api = client(backend);
    const taskId = await api.run({ name: 'existing', failAt: 'none' });
    expect((await api.finished(taskId)).status).toBe('failed');
    expect((await api.logLines(taskId)).join('\n')).toContain(
      'Repository acme/existing already exists on github.test; choose another name',
    );
    expect((await api.getRun(taskId))?.resources ?? []).toEqual([]);
  });

  it('lets one of two runs claiming the same name win, and the other removes nothing of it', async () => {
    const api = client(backend);
    // Latency lets both runs pass the existence check before either creates.
    github.settings.latencyMs = 30;
    try {
      const [a, b] = await Promise.all([
        api.run({ name: 'contested', failAt: 'none' }),
        api.run({ name: 'contested', failAt: 'none' }),
      ]);
      const statuses = [
        (await api.finished(a)).status,
        (await api.finished(b)).status,
      ];
      expect([...statuses].sort()).toEqual(['completed', 'failed']);
      const winner = statuses[0] === 'completed' ? a : b;
      const loser = winner === a ? b : a;
      await api.settled(loser);
      expect(github.getRepo('acme', 'contested')?.homepage).toMatch(
        new RegExp(
          `^http://backstage\\.test/create/tasks/${winner}\\?run=[0-9a-f]{32}$`,
        ),
      );
      expect(
        github.requests.filter(
          r => r.method === 'DELETE' && r.path === '/repos/acme/contested',
        ),
      ).toEqual([]);
    } finally {
      github.settings.latencyMs = 0;
    }
  });

  it('creates the repository again when the user retries a rolled-back run', async () => {
    const api = client(backend);
    catalogDown = true;
    let taskId: string;
    try {
      taskId = await api.run({ name: 'svc-retry', failAt: 'none' });
      expect((await api.finished(taskId)).status).toBe('failed');
      await api.settled(taskId);
      expect(github.getRepo('acme', 'svc-retry')).toBeUndefined();
    } finally {
      catalogDown = false;
    }

    await request(backend.server)
      .post(`/api/scaffolder/v2/tasks/${taskId}/retry`)
      .set('Authorization', mockCredentials.user.header())
      .send({})
      .expect(201);
    await waitFor('the retry to start', async () =>
      FINAL.includes(await api.status(taskId)) ? undefined : true,
    );
    expect((await api.finished(taskId)).status).toBe('completed');
    const run = await api.settled(taskId);
    expect(run.resources.map(r => r.state)).toEqual(['created']);
    expect(github.getRepo('acme', 'svc-retry')?.homepage).toMatch(
      new RegExp(
        `^http://backstage\\.test/create/tasks/${taskId}\\?run=[0-9a-f]{32}$`,
      ),
    );
    expect(Object.keys(github.files('acme', 'svc-retry'))).toEqual([
      'catalog-info.yaml',
    ]);
  });

  it('never touched the repository that existed before every run above', () => {
    expect(JSON.stringify(github.getRepo('acme', 'existing'))).toBe(
      existingSnapshot,
    );
    expect(
      github.requests.filter(
        r => r.path.startsWith('/repos/acme/existing') && r.method !== 'GET',
      ),
    ).toEqual([]);
  });
});

describe('rollback that cannot complete', () => {
  it('says the token lacks delete_repo and stays rollback_failed', async () => {
    const github = await startTestGithub();
    const knex = sqlite();
    const backend = await startBackend(github, {
      knex,
      token: NO_DELETE_TOKEN,
    });
    try {
      const api = client(backend);
      const taskId = await api.run({ name: 'svc-stuck', failAt: 'after' });
      await api.finished(taskId);
      const run = await api.settled(taskId);
      expect(run.resources[0]).toMatchObject({
        state: 'rollback_failed',
        reason: expect.stringContaining(
          'the token lacks the delete_repo scope',
        ),
      });
      expect(github.getRepo('acme', 'svc-stuck')).toBeDefined();
      expect((await api.logLines(taskId)).join('\n')).toContain(
        'Could not roll back github:repository github.test/acme/svc-stuck (https://github.test/acme/svc-stuck): GitHub refused to delete acme/svc-stuck: the token lacks the delete_repo scope',
      );
    } finally {
      await backend.stop();
      await github.close();
    }
  });
});

describe('a backend restart during a rollback', () => {
  it('finishes the rollback after the restart', async () => {
    const github = await startTestGithub();
    const knex = sqlite();
    let backend = await startBackend(github, { knex, leaseSeconds: 1 });
    try {
      const api = client(backend);
      // GitHub keeps failing deletions, so the rollback is under way when the
      // backend goes down.
      github.failNext(1000, { method: 'DELETE', status: 503 });
      const taskId = await api.run({ name: 'svc-restart', failAt: 'after' });
      await api.finished(taskId);
      await waitFor('the rollback to be under way', async () =>
        (await api.getRun(taskId))?.resources[0]?.state === 'rolling_back'
          ? true
          : undefined,
      );
      await backend.stop();
      expect(github.getRepo('acme', 'svc-restart')).toBeDefined();

      github.clearFaults();
      backend = await startBackend(github, { knex, leaseSeconds: 1 });
      const run = await client(backend).settled(taskId);
      expect(run.resources[0].state).toBe('rolled_back');
      expect(github.getRepo('acme', 'svc-restart')).toBeUndefined();
    } finally {
      await backend.stop();
      await github.close();
    }
  });
});

describe('a policy that withholds scaffolder.action.execute for the action', () => {
  it('stops the run before any write to GitHub', async () => {
    const github = await startTestGithub();
    // The policy a platform team writes: everyone may run every action
    // except platform:github:repo:create.
    const permissions = mockServices.permissions.mock({
      authorize: async queries =>
        queries.map(() => ({ result: AuthorizeResult.ALLOW })),
      authorizeConditional: async queries =>
        queries.map(q =>
          q.permission.name === actionExecutePermission.name
            ? createScaffolderActionConditionalDecision(
                actionExecutePermission,
                {
                  not: scaffolderActionConditions.hasActionId({
                    actionId: 'platform:github:repo:create',
                  }),
                },
              )
            : { result: AuthorizeResult.ALLOW },
        ),
    });
    const backend = await startBackend(github, {
      knex: sqlite(),
      permissions: permissions.factory,
    });
    try {
      const api = client(backend);
      const taskId = await api.run({ name: 'svc-denied', failAt: 'none' });
      expect((await api.finished(taskId)).status).toBe('failed');
      expect((await api.logLines(taskId)).join('\n')).toContain(
        'Unauthorized action: platform:github:repo:create',
      );
      expect(github.requests).toEqual([]);
    } finally {
      await backend.stop();
      await github.close();
    }
  });
});
