import { mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  createSqliteDatabase,
  testDatabases,
} from '@internal/platform-test-utils';
import { DatabaseRollbackJournal } from './DatabaseRollbackJournal';
import {
  ScaffolderDatabaseTaskReader,
  ScaffolderTaskEventLog,
} from './scaffolderTasks';
import { initScaffolderDatabase } from './__testUtils__/databases';

// initdb and a server start take a while on a busy machine.
jest.setTimeout(120_000);

const { databases, ids } = testDatabases();

describe.each(ids)('ScaffolderDatabaseTaskReader on %s', databaseId => {
  let db: Knex;
  let journal: DatabaseRollbackJournal;
  const fallback = { getTask: jest.fn() };

  beforeAll(async () => {
    db = await initScaffolderDatabase(databases, databaseId);
    journal = new DatabaseRollbackJournal(db);
  });

  beforeEach(async () => {
    await db('platform_journal').delete();
    await db('platform_runs').delete();
    await db('tasks').delete();
  });

  async function task(status: string, createdBy?: string): Promise<string> {
    const taskId = randomUUID();
    await db('tasks').insert({
      id: taskId,
      status,
      created_by: createdBy,
      spec: JSON.stringify({
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        steps: [],
        templateInfo: { entityRef: 'template:default/service' },
      }),
    });
    return taskId;
  }

  /** A run journaled for the task, the engine having last seen it `seen`. */
  async function run(taskId: string, seen?: string) {
    await journal.recordIntent({
      taskId,
      stepId: 'repo',
      kind: 'github:repository',
      identity: `acme/${taskId}`,
    });
    if (seen) {
      await journal.recordTask(taskId, { status: seen });
    }
  }

  const reader = () =>
    new ScaffolderDatabaseTaskReader({
      db,
      fallback,
      logger: mockServices.logger.mock(),
    });

  it('tells in one query which unsettled runs moved on, and leaves out those still running as recorded', async () => {
    const running = await task('processing');
    await run(running, 'processing');
    const failed = await task('failed');
    await run(failed, 'processing');
    const rollingBack = await task('failed');
    await run(rollingBack, 'failed');
    const unseen = await task('open');
    await run(unseen);
    const gone = randomUUID();
    await run(gone, 'processing');
    await run('not-a-task-id', 'processing');
    const settled = await task('completed');
    await run(settled, 'completed');
    await journal.settleRun(settled);
    const tasks = reader();
    // The first read checks the table's columns.
    await tasks.getRunsToLookAt();

    let queries = 0;
    const count = () => queries++;
    db.on('query', count);
    let runs;
    try {
      runs = await tasks.getRunsToLookAt();
    } finally {
      db.off('query', count);
    }
    expect(queries).toBe(1);
    const byTask = new Map(runs!.map(r => [r.taskId, r]));
    expect([...byTask.keys()].sort()).toEqual(
      [failed, rollingBack, unseen, gone, 'not-a-task-id'].sort(),
    );
    expect(byTask.get(failed)).toEqual({
      taskId: failed,
      status: 'processing',
      seen: true,
      taskStatus: 'failed',
    });
    expect(byTask.get(rollingBack)).toMatchObject({ taskStatus: 'failed' });
    expect(byTask.get(unseen)).toMatchObject({
      seen: false,
      taskStatus: 'open',
    });
    expect(byTask.get(gone)).toMatchObject({ taskStatus: undefined });
    expect(byTask.get('not-a-task-id')).toMatchObject({
      taskStatus: undefined,
    });
    expect(fallback.getTask).not.toHaveBeenCalled();
  });

  it('reads who started a task, from which template and when', async () => {
    const taskId = await task('completed', 'user:default/ada');
    const summary = await reader().getTask(taskId);
    expect(summary).toEqual({
      status: 'completed',
      templateRef: 'template:default/service',
      createdBy: 'user:default/ada',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
    expect(Math.abs(Date.parse(summary!.createdAt!) - Date.now())).toBeLessThan(
      60_000,
    );
    expect(await reader().getTask(randomUUID())).toBeUndefined();
    expect(await reader().getTask('not-a-task-id')).toBeUndefined();
  });
});

describe('ScaffolderDatabaseTaskReader on a tasks table it does not know', () => {
  it('reads through the scaffolder API instead, and says so once', async () => {
    const db = createSqliteDatabase();
    try {
      await db.schema.createTable('tasks', table => {
        table.string('id');
        table.text('state');
      });
      const logger = mockServices.logger.mock();
      const fallback = {
        getTask: jest.fn(async (taskId: string) =>
          taskId === 'known' ? { status: 'failed' } : undefined,
        ),
      };
      const tasks = new ScaffolderDatabaseTaskReader({ db, fallback, logger });
      expect(await tasks.getRunsToLookAt()).toBeUndefined();
      expect(await tasks.getTask('known')).toEqual({ status: 'failed' });
      expect(await tasks.getTask('unknown')).toBeUndefined();
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn).toHaveBeenCalledWith(
        'The scaffolder tasks table does not have the expected columns (id, status, spec, created_by, created_at); task status is read through the scaffolder API instead',
      );
    } finally {
      await db.destroy();
    }
  });
});

describe('ScaffolderTaskEventLog', () => {
  let db: Knex;

  beforeEach(() => {
    db = createSqliteDatabase();
  });
  afterEach(() => db.destroy());

  it('adds a log event the task page shows under the step', async () => {
    // The columns the scaffolder's own migrations create.
    await db.schema.createTable('task_events', table => {
      table.bigIncrements('id');
      table.string('task_id');
      table.text('body');
      table.text('event_type');
    });
    const log = new ScaffolderTaskEventLog({
      db,
      logger: mockServices.logger.mock(),
    });
    await log.append({ taskId: 't1', stepId: 'repo', message: 'Rolled back' });
    expect(
      await db('task_events').select('task_id', 'event_type', 'body'),
    ).toEqual([
      {
        task_id: 't1',
        event_type: 'log',
        body: JSON.stringify({ message: 'Rolled back', stepId: 'repo' }),
      },
    ]);
  });

  it('writes nothing and warns once when the table is not what it expects', async () => {
    await db.schema.createTable('task_events', table => {
      table.bigIncrements('id');
      table.text('payload');
    });
    const logger = mockServices.logger.mock();
    const log = new ScaffolderTaskEventLog({ db, logger });
    await log.append({ taskId: 't1', stepId: 'repo', message: 'one' });
    await log.append({ taskId: 't1', stepId: 'repo', message: 'two' });
    expect(await db('task_events')).toEqual([]);
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });
});
