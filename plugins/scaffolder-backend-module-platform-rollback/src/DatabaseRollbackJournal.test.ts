import { Knex } from 'knex';
import {
  DatabaseRollbackJournal,
  MIGRATIONS_TABLE,
} from './DatabaseRollbackJournal';
import { testDatabases } from '@internal/platform-test-utils';
import { queryRuns } from './runsQuery';

// initdb and a server start take a while on a busy machine.
jest.setTimeout(120_000);

const { databases, ids } = testDatabases();

describe.each(ids)('DatabaseRollbackJournal on %s', databaseId => {
  let db: Knex;
  let journal: DatabaseRollbackJournal;

  beforeAll(async () => {
    db = await databases.init(databaseId);
    await DatabaseRollbackJournal.runMigrations(db);
    journal = new DatabaseRollbackJournal(db);
  });

  beforeEach(async () => {
    await db('platform_journal').delete();
    await db('platform_runs').delete();
  });

  const unsettled = async () =>
    (await journal.listUnsettledRuns()).map(run => run.taskId);

  const intent = {
    taskId: 'task-1',
    stepId: 'repo',
    kind: 'github:repository',
    identity: 'acme/payments',
    data: { marker: 'm-1' },
  };

  it('keeps its migrations apart from the scaffolder’s', async () => {
    expect(await db.schema.hasTable(MIGRATIONS_TABLE)).toBe(true);
    expect(await db.schema.hasTable('knex_migrations')).toBe(false);
    await DatabaseRollbackJournal.runMigrations(db);
  });

  it('records an intent once even when the step runs twice', async () => {
    const first = await journal.recordIntent(intent);
    const second = await journal.recordIntent(intent);
    expect(second.id).toBe(first.id);
    expect(first).toMatchObject({ state: 'pending', data: { marker: 'm-1' } });
    expect(await journal.listByTask('task-1')).toHaveLength(1);
    expect(new Date(first.createdAt).toISOString()).toBe(first.createdAt);
  });

  it('marks an intent created with the facts that prove ownership', async () => {
    const { id } = await journal.recordIntent(intent);
    const created = await journal.markCreated(id, {
      url: 'https://github.com/acme/payments',
      data: { repoId: 42 },
    });
    expect(created).toMatchObject({
      state: 'created',
      url: 'https://github.com/acme/payments',
      data: { marker: 'm-1', repoId: 42 },
    });
  });

  it('does not turn a kept resource back into a created one on replay', async () => {
    const { id } = await journal.recordIntent(intent);
    await journal.markKept(id);
    const replayed = await journal.markCreated(id, { data: { repoId: 42 } });
    expect(replayed.state).toBe('kept');
  });

  it.each(['rolled_back', 'rollback_failed'] as const)(
    'starts a %s entry over when a retried run records it again',
    async state => {
      const first = await journal.recordIntent(intent);
      await journal.markCreated(first.id, { data: { repoId: 42 } });
      await journal.setState(first.id, state, 'why');
      await journal.settleRun('task-1');

      const retried = await journal.recordIntent(intent);
      expect(retried).toMatchObject({
        id: first.id,
        state: 'pending',
        reason: undefined,
        data: { marker: 'm-1', attempt: 1 },
      });
      expect(retried.data).not.toHaveProperty('repoId');
      expect(await unsettled()).toEqual(['task-1']);
      await journal.setState(first.id, state);
      expect((await journal.recordIntent(intent)).data.attempt).toBe(2);
    },
  );

  it('discards only intents whose outcome is still pending', async () => {
    const pending = await journal.recordIntent(intent);
    const created = await journal.recordIntent({ ...intent, stepId: 'other' });
    await journal.markCreated(created.id);
    await journal.discard(pending.id);
    await journal.discard(created.id);
    expect((await journal.listByTask('task-1')).map(e => e.stepId)).toEqual([
      'other',
    ]);
  });

  it('lists a task’s entries oldest first', async () => {
    for (const identity of ['a/one', 'a/two', 'a/three']) {
      await journal.recordIntent({ ...intent, identity });
    }
    expect((await journal.listByTask('task-1')).map(e => e.identity)).toEqual([
      'a/one',
      'a/two',
      'a/three',
    ]);
  });

  it('lets one engine instance hold a run until its lease runs out', async () => {
    await journal.recordIntent(intent);
    expect(await journal.acquireLease('task-1', 'a', 60_000)).toBe(true);
    expect(await journal.acquireLease('task-1', 'b', 60_000)).toBe(false);
    expect(await journal.acquireLease('task-1', 'a', 60_000)).toBe(true);
    await journal.releaseLease('task-1', 'a');
    expect(await journal.acquireLease('task-1', 'b', 1)).toBe(true);
    await new Promise(r => setTimeout(r, 20));
    expect(await journal.acquireLease('task-1', 'c', 60_000)).toBe(true);
  });

  it('settles a run and wakes it again when a step records anew', async () => {
    await journal.recordIntent(intent);
    expect(await unsettled()).toEqual(['task-1']);
    await journal.settleRun('task-1');
    expect(await unsettled()).toEqual([]);
    await journal.recordIntent({ ...intent, stepId: 'again' });
    expect(await unsettled()).toEqual(['task-1']);
  });

  it('lists each unsettled run with its last status, whether its task was read, and who holds it', async () => {
    await journal.recordIntent(intent);
    expect(await journal.listUnsettledRuns()).toEqual([
      { taskId: 'task-1', status: 'processing', seen: false },
    ]);

    await journal.recordTask('task-1', { status: 'processing' });
    await journal.updateStatus('task-1', 'failed');
    const before = Date.now();
    await journal.acquireLease('task-1', 'instance-a', 60_000);
    const [run] = await journal.listUnsettledRuns();
    expect(run).toMatchObject({
      taskId: 'task-1',
      status: 'failed',
      seen: true,
      lease: { owner: 'instance-a' },
    });
    expect(run.lease!.until).toBeGreaterThanOrEqual(before + 60_000);
  });

  it('shows a run whose task is gone as expired and stops listing it, until a step records anew', async () => {
    await journal.recordIntent(intent);
    await journal.expireRun('task-1');
    expect(await unsettled()).toEqual([]);
    expect(await journal.getRun('task-1')).toMatchObject({
      status: 'expired',
      resources: [
        expect.objectContaining({
          state: 'pending',
          reason:
            'left in place: the scaffolder no longer knows the task, so nobody can tell whether the run failed',
        }),
      ],
    });

    await journal.recordIntent({ ...intent, stepId: 'again' });
    expect(await unsettled()).toEqual(['task-1']);
  });

  it('reads a task time without a zone as UTC, whatever the local zone', async () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      await journal.recordIntent(intent);
      // The scaffolder's API on SQLite answers createdAt in this form.
      await journal.recordTask('task-1', {
        status: 'processing',
        createdAt: '2026-02-01 10:00:00',
      });
      expect((await journal.getRun('task-1')).createdAt).toBe(
        '2026-02-01T10:00:00.000Z',
      );
    } finally {
      process.env.TZ = zone;
    }
  });

  it('serves runs newest first without the private ownership facts', async () => {
    await journal.recordIntent({ ...intent, taskId: 'old' });
    await journal.recordTask('old', {
      status: 'failed',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    const entry = await journal.recordIntent({ ...intent, taskId: 'new' });
    await journal.setState(
      entry.id,
      'rollback_failed',
      'token lacks delete_repo',
    );
    await journal.recordTask('new', {
      status: 'failed',
      templateRef: 'template:default/service',
      createdBy: 'user:default/ada',
      createdAt: '2026-02-01T00:00:00.000Z',
    });

    const { runs, totalItems } = await queryRuns(
      db,
      { filter: 'all', limit: 10, offset: 0 },
      { withTasks: false },
    );
    expect(totalItems).toBe(2);
    expect(runs.map(r => r.taskId)).toEqual(['new', 'old']);
    expect(runs[0]).toEqual({
      taskId: 'new',
      status: 'failed',
      templateRef: 'template:default/service',
      createdBy: 'user:default/ada',
      createdAt: '2026-02-01T00:00:00.000Z',
      rollback: { rolledBack: 0, failed: 1, inProgress: 0 },
      resources: [
        expect.objectContaining({
          identity: 'acme/payments',
          state: 'rollback_failed',
          reason: 'token lacks delete_repo',
        }),
      ],
    });
    expect(runs[0].resources[0]).not.toHaveProperty('data');
    await expect(journal.getRun('missing')).rejects.toThrow(
      'No platform run for task missing',
    );
  });
});
