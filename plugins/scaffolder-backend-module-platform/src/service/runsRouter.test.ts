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
import { DatabaseRollbackJournal } from '../rollback/DatabaseRollbackJournal';
import { createSqliteDatabase } from '../__testUtils__/database';
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
      await journal.updateRun(taskId, {
        status: 'failed',
        createdBy,
        createdAt,
      });
    }
  });

  afterEach(() => db.destroy());

  function app(decision: PolicyDecision) {
    const permissions = mockServices.permissions.mock({
      authorizeConditional: async () => [decision],
    });
    return express()
      .use(
        createRunsRouter({
          journal,
          auth: mockServices.auth(),
          httpAuth: mockServices.httpAuth(),
          permissions,
        }),
      )
      .use(mockErrorHandler());
  }

  const conditional: PolicyDecision = {
    result: AuthorizeResult.CONDITIONAL,
    pluginId: 'scaffolder',
    resourceType: 'scaffolder-task',
    conditions: {
      rule: 'IS_TASK_OWNER',
      resourceType: 'scaffolder-task',
      params: {},
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

  it('shows only your own runs under a conditional task-read decision', async () => {
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

  it('refuses someone who may not read tasks', async () => {
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
});
