import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import express from 'express';
import { Knex } from 'knex';
import request from 'supertest';
import { DatabaseRollbackJournal } from '../DatabaseRollbackJournal';
import {
  authAs,
  createSqliteDatabase,
  groupEntities,
  TEAMS,
  testDatabases,
  testPlatformPermissions,
} from '@internal/platform-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  BackstageCredentials,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { createRunsRouter } from './runsRouter';
import { PlatformRuns } from './PlatformRuns';
import { initScaffolderDatabase } from '../__testUtils__/databases';

// initdb and a server start take a while on a busy machine.
jest.setTimeout(120_000);

const { databases, ids } = testDatabases();

const userOf = (credentials: BackstageCredentials) =>
  (credentials.principal as { userEntityRef: string }).userEntityRef;

/** Who is in which team, as the catalog sign-in resolver would say. */
const teamsUserInfo: UserInfoService = {
  async getUserInfo(credentials) {
    const userEntityRef = userOf(credentials);
    const team = TEAMS[userEntityRef.replace('user:default/', '')];
    return {
      userEntityRef,
      ownershipEntityRefs: [userEntityRef, `group:default/${team}`],
    };
  },
};

/**
 * The platform's default policy with `runVisibility: team`: platform admins
 * read every run, everyone else the runs of their own team.
 */
function teamReads(credentials: BackstageCredentials): PolicyDecision {
  const user = userOf(credentials);
  const team = TEAMS[user.replace('user:default/', '')];
  if (team === 'platform-admins') {
    return { result: AuthorizeResult.ALLOW };
  }
  return {
    result: AuthorizeResult.CONDITIONAL,
    pluginId: 'scaffolder',
    resourceType: 'platform-run',
    conditions: {
      rule: 'IS_RUN_STARTED_BY',
      resourceType: 'platform-run',
      params: {
        users: Object.keys(TEAMS)
          .filter(person => TEAMS[person] === team)
          .map(person => `user:default/${person}`),
      },
    },
  };
}

describe('createRunsRouter', () => {
  let db: Knex;
  let journal: DatabaseRollbackJournal;

  beforeEach(async () => {
    db = createSqliteDatabase();
    await DatabaseRollbackJournal.runMigrations(db);
    journal = new DatabaseRollbackJournal(db);
    for (const [taskId, createdBy, createdAt] of [
      ['mine', 'user:default/mock', '2026-02-01T00:00:00.000Z'],
      ['theirs', 'user:default/other', '2026-01-01T00:00:00.000Z'],
    ]) {
      await journal.recordIntent({
        taskId,
        stepId: 'repo',
        kind: 'github:repository',
        identity: `github.test/acme/${taskId}`,
        data: { marker: 'secret-free but private' },
      });
      await journal.recordTask(taskId, {
        status: 'failed',
        createdBy,
        createdAt,
      });
    }
  });

  afterEach(() => db.destroy());

  /** The runs router in front of a stand-in for the scaffolder's own routes. */
  function app(decision: PolicyDecision, taskRecoveryEnabled = false) {
    return express()
      .use(
        createRunsRouter({
          journal,
          runs: new PlatformRuns({
            db,
            tasksReadable: async () => false,
            access: testPlatformPermissions(() => decision),
            userInfo: teamsUserInfo,
            catalog: catalogServiceMock({ entities: groupEntities }),
          }),
          httpAuth: mockServices.httpAuth(),
          access: testPlatformPermissions(() => decision),
          taskRecoveryEnabled,
          tasks: {
            getTask: async taskId =>
              ({
                mine: { status: 'failed', createdBy: 'user:default/mock' },
                theirs: { status: 'failed', createdBy: 'user:default/other' },
                'no-resources': {
                  status: 'failed',
                  createdBy: 'user:default/other',
                },
              }[taskId]),
          },
        }),
      )
      .post('/v2/tasks/:taskId/:verb', (req, res) => {
        res.json({ reached: 'scaffolder', verb: req.params.verb });
      })
      .use(mockErrorHandler());
  }

  // What the platform's default policy answers a user for their own runs.
  const conditional: PolicyDecision = {
    result: AuthorizeResult.CONDITIONAL,
    pluginId: 'scaffolder',
    resourceType: 'platform-run',
    conditions: {
      rule: 'IS_RUN_STARTED_BY',
      resourceType: 'platform-run',
      params: { users: ['user:default/mock'] },
    },
  };

  it('answers 404 for a task that used no platform action', async () => {
    const res = await request(app({ result: AuthorizeResult.ALLOW }))
      .get('/platform/runs/unknown')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(404);
  });

  it.each(['cancel', 'retry'])(
    'refuses to %s a run the conditions do not allow, before the scaffolder sees the request',
    async verb => {
      const router = app(conditional);
      for (const taskId of ['theirs', 'no-resources']) {
        const res = await request(router)
          .post(`/v2/tasks/${taskId}/${verb}`)
          .set('Authorization', mockCredentials.user.header());
        expect(res.status).toBe(403);
        expect(res.body.error.message).toBe(
          `You may not ${verb} run ${taskId}: it was started by user:default/other, and only they, their teams and platform admins may ${verb} it`,
        );
      }
      for (const entry of await journal.listByTask('mine')) {
        await journal.setState(entry.id, 'rolled_back', 'deleted');
      }
      const own = await request(router)
        .post(`/v2/tasks/mine/${verb}`)
        .set('Authorization', mockCredentials.user.header());
      expect(own.body).toEqual({ reached: 'scaffolder', verb });
    },
  );

  it('leaves a task it does not know to the scaffolder', async () => {
    const res = await request(app(conditional))
      .post('/v2/tasks/unknown/cancel')
      .set('Authorization', mockCredentials.user.header());
    expect(res.body).toEqual({ reached: 'scaffolder', verb: 'cancel' });
  });

  it('refuses a retry while the rollback of the run is still under way', async () => {
    const res = await request(app({ result: AuthorizeResult.ALLOW }))
      .post('/v2/tasks/mine/retry')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      'Run mine is still being rolled back (github.test/acme/mine); retry it once its rollback has finished',
    );
  });

  it('refuses a retry after rollback that task recovery would turn into skipped steps', async () => {
    for (const entry of await journal.listByTask('mine')) {
      await journal.setState(entry.id, 'rolled_back', 'deleted');
    }
    const res = await request(app({ result: AuthorizeResult.ALLOW }, true))
      .post('/v2/tasks/mine/retry')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      'Run mine cannot be retried: its rollback removed what its completed steps created (github.test/acme/mine), and with scaffolder.taskRecovery enabled the scaffolder would skip those steps; start a new run instead',
    );
  });
});

describe.each(ids)('GET /platform/runs on %s', databaseId => {
  let db: Knex;
  let journal: DatabaseRollbackJournal;
  let router: express.Express;

  // Four runs of two teams, newest first: one whose task is gone, one the
  // preflight refused (it journaled nothing), one that completed, one
  // rolled back.
  const EXPIRED = '00000000-0000-4000-8000-000000000004';
  const REFUSED = '00000000-0000-4000-8000-000000000003';
  const COMPLETED = '00000000-0000-4000-8000-000000000002';
  const ROLLED_BACK = '00000000-0000-4000-8000-000000000001';

  /** A timestamp as the scaffolder writes it into this database. */
  const at = (iso: string) =>
    databaseId === 'SQLITE_3'
      ? iso.replace('T', ' ').replace(/\.\d+Z$/, '')
      : new Date(iso);

  async function task(options: {
    id: string;
    user: string;
    status: string;
    template: string;
    serviceName: string;
    createdAt: string;
    finishedAt?: string;
  }) {
    await db('tasks').insert({
      id: options.id,
      status: options.status,
      created_by: `user:default/${options.user}`,
      created_at: at(options.createdAt),
      spec: JSON.stringify({
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        steps: [],
        parameters: { service_name: options.serviceName },
        templateInfo: { entityRef: `template:default/${options.template}` },
      }),
    });
    if (options.finishedAt) {
      await db('task_events').insert({
        task_id: options.id,
        event_type: 'completion',
        body: JSON.stringify({ message: 'Run ended' }),
        created_at: at(options.finishedAt),
      });
    }
  }

  beforeAll(async () => {
    db = await initScaffolderDatabase(databases, databaseId);
    journal = new DatabaseRollbackJournal(db);

    await task({
      id: ROLLED_BACK,
      user: 'ada',
      status: 'failed',
      template: 'microservice',
      serviceName: 'payments-api',
      createdAt: '2026-01-01T10:00:00.000Z',
      finishedAt: '2026-01-01T10:01:30.000Z',
    });
    const repo = await journal.recordIntent({
      taskId: ROLLED_BACK,
      stepId: 'repo',
      kind: 'github:repository',
      identity: 'acme/payments-api',
    });
    await journal.setState(repo.id, 'rolled_back', 'deleted');
    await journal.recordTask(ROLLED_BACK, {
      status: 'failed',
      templateRef: 'template:default/microservice',
      createdBy: 'user:default/ada',
      createdAt: '2026-01-01T10:00:00.000Z',
    });

    await task({
      id: COMPLETED,
      user: 'bob',
      status: 'completed',
      template: 'microservice',
      serviceName: 'ledger',
      createdAt: '2026-02-01T10:00:00.000Z',
      finishedAt: '2026-02-01T10:02:00.000Z',
    });
    await task({
      id: REFUSED,
      user: 'grace',
      status: 'failed',
      template: 'website',
      serviceName: 'checkout-web',
      createdAt: '2026-03-01T10:00:00.000Z',
      finishedAt: '2026-03-01T10:00:02.000Z',
    });

    // A run whose task a cleanup deleted.
    await journal.recordIntent({
      taskId: EXPIRED,
      stepId: 'namespace',
      kind: 'kubernetes:namespace',
      identity: 'local/old-checkout',
    });
    await journal.recordTask(EXPIRED, {
      status: 'processing',
      templateRef: 'template:default/microservice',
      createdBy: 'user:default/grace',
      createdAt: '2026-04-01T10:00:00.000Z',
    });
    await journal.expireRun(EXPIRED);

    const access = testPlatformPermissions(teamReads);
    router = express()
      .use(
        createRunsRouter({
          journal,
          runs: new PlatformRuns({
            db,
            tasksReadable: async () => true,
            access,
            userInfo: teamsUserInfo,
            catalog: catalogServiceMock({ entities: groupEntities }),
          }),
          httpAuth: mockServices.httpAuth(),
          access,
          tasks: { getTask: async () => undefined },
        }),
      )
      .use(mockErrorHandler());
  });

  const list = async (user: string, query: Record<string, string> = {}) => {
    const res = await request(router)
      .get('/platform/runs')
      .query(query)
      .set('Authorization', authAs(user));
    expect(res.status).toBe(200);
    return res.body as {
      runs: Array<Record<string, unknown> & { taskId: string }>;
      totalItems: number;
      nextCursor?: string;
      prevCursor?: string;
    };
  };
  const taskIds = (page: { runs: Array<{ taskId: string }> }) =>
    page.runs.map(run => run.taskId);

  it('lists every run newest first, also one refused before it journaled anything, with its service, template, creator, duration and rollback outcome', async () => {
    const page = await list('linus');
    expect(taskIds(page)).toEqual([EXPIRED, REFUSED, COMPLETED, ROLLED_BACK]);
    expect(page.totalItems).toBe(4);
    expect(page.nextCursor).toBeUndefined();
    expect(page.runs[3]).toMatchObject({
      serviceName: 'payments-api',
      templateRef: 'template:default/microservice',
      createdBy: 'user:default/ada',
      createdAt: '2026-01-01T10:00:00.000Z',
      status: 'failed',
      durationMs: 90_000,
      rollback: { rolledBack: 1, failed: 0, inProgress: 0 },
      resources: [
        expect.objectContaining({
          identity: 'acme/payments-api',
          state: 'rolled_back',
        }),
      ],
    });
    expect(page.runs[1]).toMatchObject({
      serviceName: 'checkout-web',
      templateRef: 'template:default/website',
      createdBy: 'user:default/grace',
      status: 'failed',
      durationMs: 2_000,
      resources: [],
    });
    expect(page.runs[1].rollback).toBeUndefined();
    expect(page.runs[0]).toMatchObject({
      status: 'expired',
      createdBy: 'user:default/grace',
      rollback: { rolledBack: 0, failed: 1, inProgress: 0 },
    });
  });

  it("shows each team only its own runs, and answers 404 for another team's", async () => {
    expect(taskIds(await list('ada'))).toEqual([COMPLETED, ROLLED_BACK]);
    expect(taskIds(await list('grace'))).toEqual([EXPIRED, REFUSED]);
    expect((await list('grace')).totalItems).toBe(2);
    await request(router)
      .get(`/platform/runs/${REFUSED}`)
      .set('Authorization', authAs('grace'))
      .expect(200);
    await request(router)
      .get(`/platform/runs/${REFUSED}`)
      .set('Authorization', authAs('ada'))
      .expect(404);
  });

  it("narrows to the caller's own runs or their teams'", async () => {
    expect(taskIds(await list('ada', { whose: 'mine' }))).toEqual([
      ROLLED_BACK,
    ]);
    expect(taskIds(await list('bob', { whose: 'my-teams' }))).toEqual([
      COMPLETED,
      ROLLED_BACK,
    ]);
    // An admin's team started none of them.
    expect(taskIds(await list('linus', { whose: 'my-teams' }))).toEqual([]);
  });

  it('filters by who started a run, within whose runs were asked for', async () => {
    expect(taskIds(await list('linus', { createdBy: 'bob' }))).toEqual([
      COMPLETED,
    ]);
    expect(
      taskIds(await list('ada', { createdBy: 'grace', whose: 'my-teams' })),
    ).toEqual([]);
  });

  it('filters by status and template', async () => {
    expect(
      taskIds(await list('linus', { status: 'completed,expired' })),
    ).toEqual([EXPIRED, COMPLETED]);
    expect(taskIds(await list('linus', { status: 'failed' }))).toEqual([
      REFUSED,
      ROLLED_BACK,
    ]);
    expect(taskIds(await list('linus', { template: 'microservice' }))).toEqual([
      EXPIRED,
      COMPLETED,
      ROLLED_BACK,
    ]);
    expect(
      taskIds(
        await list('linus', {
          template: 'template:default/website',
          status: 'failed',
        }),
      ),
    ).toEqual([REFUSED]);
  });

  it('pages with a cursor that keeps the filters, or with an offset', async () => {
    const first = await list('linus', { template: 'microservice', limit: '2' });
    expect(taskIds(first)).toEqual([EXPIRED, COMPLETED]);
    expect(first.totalItems).toBe(3);
    const second = await list('linus', {
      cursor: first.nextCursor!,
      limit: '2',
    });
    expect(taskIds(second)).toEqual([ROLLED_BACK]);
    expect(second.nextCursor).toBeUndefined();
    const back = await list('linus', {
      cursor: second.prevCursor!,
      limit: '2',
    });
    expect(taskIds(back)).toEqual([EXPIRED, COMPLETED]);
    expect(back.prevCursor).toBeUndefined();
    expect(taskIds(await list('linus', { offset: '3' }))).toEqual([
      ROLLED_BACK,
    ]);
  });

  it.each([
    [{ whose: 'everyone' }, 'whose is everyone; use mine, my-teams or all'],
    [{ limit: '0' }, 'limit is 0; use a whole number from 1 to 500'],
    [{ offset: '-1' }, 'offset is -1; use a whole number'],
    [
      { cursor: 'nonsense' },
      'The cursor nonsense is not one a runs page gave; start from the first page',
    ],
  ])('refuses %j', async (query, message) => {
    const res = await request(router)
      .get('/platform/runs')
      .query(query)
      .set('Authorization', authAs('ada'));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(message);
  });
});
