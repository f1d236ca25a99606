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
import { createSqliteDatabase } from '@internal/platform-test-utils';
import { testPlatformPermissions } from '@internal/platform-test-utils';
import { createRunsRouter } from './runsRouter';

jest.setTimeout(30_000);

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

  it('lists every run, newest first, to someone who may read all tasks', async () => {
    const res = await request(app({ result: AuthorizeResult.ALLOW }))
      .get('/platform/runs')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.body.runs.map((r: { taskId: string }) => r.taskId)).toEqual([
      'mine',
      'theirs',
    ]);
    expect(res.body.runs[0].resources[0]).toMatchObject({
      identity: 'github.test/acme/mine',
      state: 'pending',
    });
    expect(JSON.stringify(res.body)).not.toContain('private');
  });

  it('shows only the runs the conditions allow, filtered in the database', async () => {
    const router = app(conditional);
    const list = await request(router)
      .get('/platform/runs')
      .set('Authorization', mockCredentials.user.header());
    expect(list.body.runs.map((r: { taskId: string }) => r.taskId)).toEqual([
      'mine',
    ]);
    await request(router)
      .get('/platform/runs/mine')
      .set('Authorization', mockCredentials.user.header())
      .expect(200);
    await request(router)
      .get('/platform/runs/theirs')
      .set('Authorization', mockCredentials.user.header())
      .expect(404);
  });

  it('refuses someone who may not read runs', async () => {
    const res = await request(app({ result: AuthorizeResult.DENY }))
      .get('/platform/runs')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(403);
  });

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
