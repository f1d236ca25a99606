import { mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { createSqliteDatabase } from '@internal/platform-test-utils';
import { ScaffolderTaskEventLog } from './scaffolderTasks';

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
