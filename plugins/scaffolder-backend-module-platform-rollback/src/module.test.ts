import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { createSqliteDatabase } from '@internal/platform-test-utils';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import rollback from '.';
import { DatabaseRollbackJournal } from './DatabaseRollbackJournal';

// Starting the scaffolder backend takes seconds on a busy machine.
jest.setTimeout(60_000);

describe('the rollback module', () => {
  async function startBackend() {
    const knex = createSqliteDatabase();
    const scheduler = mockServices.scheduler.mock();
    const backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        rollback,
        scheduler.factory,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: { platform: { rollback: { pollInterval: '3s' } } },
        }),
      ],
    });
    const [engineTask] = scheduler.scheduleTask.mock.calls
      .map(([task]) => task)
      .filter(task => task.id === 'platform-rollback');
    return { backend, knex, engineTask };
  }

  it('serves the runs API from the scaffolder', async () => {
    const { backend } = await startBackend();
    try {
      const response = await request(backend.server)
        .get('/api/scaffolder/platform/runs')
        .set('Authorization', mockCredentials.user.header());
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ runs: [], totalItems: 0 });
    } finally {
      await backend.stop();
    }
  });

  it('looks at the runs on the scheduler, one replica at a time, every poll interval', async () => {
    const { backend, engineTask } = await startBackend();
    try {
      expect(engineTask).toMatchObject({
        scope: 'global',
        frequency: { milliseconds: 3000 },
      });
    } finally {
      await backend.stop();
    }
  });

  it('shows a run whose task is gone as expired', async () => {
    const { backend, knex, engineTask } = await startBackend();
    try {
      const taskId = randomUUID();
      await new DatabaseRollbackJournal(knex).recordIntent({
        taskId,
        stepId: 'repo',
        kind: 'github:repository',
        identity: 'github.test/acme/gone',
      });

      await engineTask.fn(new AbortController().signal);

      const response = await request(backend.server)
        .get(`/api/scaffolder/platform/runs/${taskId}`)
        .set('Authorization', mockCredentials.user.header());
      expect(response.body).toMatchObject({
        taskId,
        status: 'expired',
        resources: [{ identity: 'github.test/acme/gone', state: 'pending' }],
      });
    } finally {
      await backend.stop();
    }
  });
});
