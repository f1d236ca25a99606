import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { createSqliteDatabase, waitFor } from '@internal/platform-test-utils';
import { DatabaseRollbackJournal } from './DatabaseRollbackJournal';
import { ResourceCompensatorRegistry } from './ResourceCompensatorRegistry';
import { ScaffolderDatabaseTaskReader } from './scaffolderTasks';
import {
  RollbackEngine,
  RollbackEngineOptions,
  TaskSummary,
} from './RollbackEngine';
import {
  CompensationInProgress,
  CompensationResult,
  JournalEntry,
  TransientCompensationError,
} from '@internal/plugin-platform-node';

// Loading the backend libraries takes seconds on a busy machine.
jest.setTimeout(30_000);

describe('RollbackEngine', () => {
  let db: Knex;
  let journal: DatabaseRollbackJournal;
  let statuses: Map<string, TaskSummary>;
  let logLines: { taskId: string; stepId: string; message: string }[];
  let deleted: string[];

  beforeEach(async () => {
    db = createSqliteDatabase();
    await DatabaseRollbackJournal.runMigrations(db);
    journal = new DatabaseRollbackJournal(db);
    statuses = new Map();
    logLines = [];
    deleted = [];
  });

  afterEach(() => db.destroy());

  function engine(
    compensate: (
      entry: JournalEntry,
    ) => Promise<CompensationResult | CompensationInProgress>,
    options?: Partial<RollbackEngineOptions>,
  ) {
    const compensators = new ResourceCompensatorRegistry().register({
      kind: 'test:thing',
      compensate,
    });
    return new RollbackEngine({
      journal,
      compensators,
      logger: mockServices.logger.mock(),
      tasks: { getTask: async id => statuses.get(id) },
      taskLog: { append: async line => void logLines.push(line) },
      initialBackoffMs: 5,
      maxBackoffMs: 20,
      maxDurationPerResourceMs: 500,
      ...options,
    });
  }

  /** The engine on a mock scheduler, whose looks the test runs itself. */
  async function onScheduler(subject: RollbackEngine) {
    const scheduler = mockServices.scheduler.mock();
    await subject.schedule(scheduler);
    const [[scheduled]] = scheduler.scheduleTask.mock.calls;
    return {
      scheduled,
      look: async () => scheduled.fn(new AbortController().signal),
      stop: () => subject.stop(),
    };
  }

  const deleting = async (entry: JournalEntry) => {
    deleted.push(entry.identity);
    return 'deleted' as const;
  };

  async function created(identity: string, stepId = 'step', taskId = 't1') {
    const entry = await journal.recordIntent({
      taskId,
      stepId,
      kind: 'test:thing',
      identity,
    });
    return journal.markCreated(entry.id);
  }

  const unsettled = async () =>
    (await journal.listUnsettledRuns()).map(run => run.taskId);

  const states = async () =>
    Object.fromEntries(
      (await journal.listByTask('t1')).map(e => [e.identity, e.state]),
    );

  it('removes what a failed run created, newest first, and says so in the run log', async () => {
    await created('one', 'a');
    await created('two', 'b');
    statuses.set('t1', { status: 'failed', templateRef: 'template:default/x' });

    await engine(deleting).tick();

    expect(deleted).toEqual(['two', 'one']);
    expect(await states()).toEqual({ one: 'rolled_back', two: 'rolled_back' });
    expect(logLines.map(l => [l.stepId, l.message])).toEqual([
      [
        'b',
        'The run failed: rolling back 2 resource(s) it created, newest first: test:thing two, test:thing one.',
      ],
      ['b', 'Rolled back test:thing two: deleted.'],
      ['a', 'Rolled back test:thing one: deleted.'],
    ]);
    expect(await unsettled()).toEqual([]);
    expect((await journal.getRun('t1')).templateRef).toBe('template:default/x');
  });

  it.each(['completed', 'processing', 'open'])(
    'leaves everything in place while the run is %s',
    async status => {
      await created('one');
      statuses.set('t1', { status });
      await engine(deleting).tick();
      expect(deleted).toEqual([]);
      expect(await states()).toEqual({ one: 'created' });
    },
  );

  it('settles a completed run so it is not polled again', async () => {
    await created('one');
    statuses.set('t1', { status: 'completed' });
    await engine(deleting).tick();
    expect(await unsettled()).toEqual([]);
  });

  it('expires a run whose task is gone before it was seen to end, leaves what it created and never asks again', async () => {
    await created('one');
    const logger = mockServices.logger.mock();
    const getTask = jest.fn(async () => undefined);
    const expiring = engine(deleting, { logger, tasks: { getTask } });

    await expiring.tick();
    expect(deleted).toEqual([]);
    expect(await states()).toEqual({ one: 'created' });
    expect(await journal.getRun('t1')).toMatchObject({
      status: 'expired',
      resources: [
        {
          identity: 'one',
          state: 'created',
          reason: expect.stringContaining('left in place'),
        },
      ],
    });
    expect(await unsettled()).toEqual([]);
    expect(logger.warn.mock.calls.map(([message]) => message)).toEqual([
      'Task t1 no longer exists and was not seen to fail or complete, so its run is marked expired and no longer watched; what it created stays in place: test:thing one',
    ]);

    await expiring.tick();
    expect(getTask).toHaveBeenCalledTimes(1);
  });

  it('still rolls back a run seen to fail whose task has since been deleted', async () => {
    await created('one');
    await journal.recordTask('t1', { status: 'failed' });
    await engine(deleting).tick();
    expect(deleted).toEqual(['one']);
    expect(await journal.getRun('t1')).toMatchObject({
      status: 'failed',
      resources: [expect.objectContaining({ state: 'rolled_back' })],
    });
    expect(await unsettled()).toEqual([]);
  });

  it('keeps what the template asked to keep and says so', async () => {
    await created('one');
    const kept = await created('two');
    await journal.markKept(kept.id);
    statuses.set('t1', { status: 'cancelled' });

    await engine(deleting).tick();

    expect(deleted).toEqual(['one']);
    expect(await states()).toEqual({ one: 'rolled_back', two: 'kept' });
    expect(logLines.map(l => l.message)).toEqual([
      'The run was cancelled: rolling back 1 resource(s) it created, newest first: test:thing one.',
      'Keeping test:thing two because the step asked for rollback: false.',
      'Rolled back test:thing one: deleted.',
    ]);
  });

  it('retries transient failures with backoff, honouring retry-after', async () => {
    await created('one');
    statuses.set('t1', { status: 'failed' });
    const attempts: number[] = [];
    await engine(async () => {
      attempts.push(Date.now());
      if (attempts.length < 3) {
        throw new TransientCompensationError('GitHub answered 502', {
          retryAfterMs: attempts.length === 1 ? 50 : undefined,
        });
      }
      return 'already_gone';
    }).tick();

    expect(attempts).toHaveLength(3);
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(45);
    expect(await states()).toEqual({ one: 'rolled_back' });
    expect((await journal.listByTask('t1'))[0].reason).toBe(
      'it was already gone',
    );
    expect(logLines.at(-1)?.message).toBe(
      'Rolled back test:thing one: it was already gone.',
    );
  });

  it('goes on past a failed compensation and records why it failed', async () => {
    await created('one');
    await created('two');
    statuses.set('t1', { status: 'failed' });
    await engine(async entry => {
      if (entry.identity === 'two') {
        throw new Error('the token lacks the delete_repo scope');
      }
      return deleting(entry);
    }).tick();

    expect(deleted).toEqual(['one']);
    const entries = await journal.listByTask('t1');
    expect(entries.map(e => [e.identity, e.state, e.reason])).toEqual([
      ['one', 'rolled_back', 'deleted'],
      ['two', 'rollback_failed', 'the token lacks the delete_repo scope'],
    ]);
    expect(logLines.map(l => l.message)).toContain(
      'Could not roll back test:thing two: the token lacks the delete_repo scope',
    );
  });

  it('gives up on a failure that does not pass within the time bound', async () => {
    await created('one');
    statuses.set('t1', { status: 'failed' });
    const started = Date.now();
    await engine(
      async () => {
        throw new TransientCompensationError('GitHub answered 503');
      },
      { maxDurationPerResourceMs: 100 },
    ).tick();

    expect(Date.now() - started).toBeLessThan(1000);
    const [entry] = await journal.listByTask('t1');
    expect(entry.state).toBe('rollback_failed');
    expect(entry.reason).toMatch(
      /^gave up after \d+ attempt\(s\): GitHub answered 503$/,
    );
  });

  it('reports a resource kind nobody can remove', async () => {
    await journal.recordIntent({
      taskId: 't1',
      stepId: 's',
      kind: 'unknown:kind',
      identity: 'x',
    });
    statuses.set('t1', { status: 'failed' });
    await engine(deleting).tick();
    const [entry] = await journal.listByTask('t1');
    expect(entry).toMatchObject({
      state: 'rollback_failed',
      reason: 'no compensator is registered for resource kind unknown:kind',
    });
  });

  it('stops on shutdown mid-retry and a new instance finishes the job', async () => {
    await created('one');
    statuses.set('t1', { status: 'failed' });
    let calls = 0;
    const first = engine(
      async () => {
        calls++;
        throw new TransientCompensationError('GitHub answered 502');
      },
      {
        initialBackoffMs: 10_000,
        maxDurationPerResourceMs: 60_000,
        leaseMs: 50,
      },
    );
    const ticking = first.tick();
    await new Promise(r => setTimeout(r, 50));
    await first.stop();
    await ticking;
    expect(calls).toBe(1);
    expect(await states()).toEqual({ one: 'rolling_back' });

    await new Promise(r => setTimeout(r, 60));
    await engine(deleting).tick();
    expect(deleted).toEqual(['one']);
    expect(await states()).toEqual({ one: 'rolled_back' });
  });

  it('rolls back one run while another is still stuck retrying', async () => {
    await created('stuck');
    await created('quick', 'step', 't2');
    statuses.set('t1', { status: 'failed' });
    statuses.set('t2', { status: 'processing' });
    const { look, stop } = await onScheduler(
      engine(
        async entry => {
          if (entry.identity === 'stuck') {
            throw new TransientCompensationError('GitHub answered 503');
          }
          return deleting(entry);
        },
        {
          initialBackoffMs: 60_000,
          maxDurationPerResourceMs: 120_000,
        },
      ),
    );
    try {
      await look();
      statuses.set('t2', { status: 'failed' });
      await look();
      await waitFor('the second run to roll back', async () =>
        deleted.length > 0 ? deleted : undefined,
      );
      expect(deleted).toEqual(['quick']);
      expect(await states()).toEqual({ stuck: 'rolling_back' });
    } finally {
      await stop();
    }
  });

  describe('a resource whose deletion the remote system is still finishing', () => {
    const TERMINATING =
      'deletion requested; Kubernetes is still terminating it';

    /** `repository` first, then `namespace`: rolled back the other way round. */
    async function repositoryAndNamespace() {
      await created('repository', 'repo');
      await created('namespace', 'ns');
      statuses.set('t1', { status: 'failed' });
    }

    /** Deletes; the namespace stays terminating until `gone()`. */
    function terminatingUntil(gone: () => boolean, maxWaitMs?: number) {
      const calls: string[] = [];
      const compensate = async (entry: JournalEntry) => {
        calls.push(entry.identity);
        if (entry.identity !== 'namespace') {
          return deleting(entry);
        }
        if (!gone()) {
          return new CompensationInProgress(TERMINATING, { maxWaitMs });
        }
        return 'already_gone' as const;
      };
      return { calls, compensate };
    }

    /** Deletes; the namespace stays terminating for `checks` calls. */
    function terminatingFor(checks: number, maxWaitMs?: number) {
      let left = checks;
      return terminatingUntil(() => left-- <= 0, maxWaitMs);
    }

    const reason = async (identity: string) =>
      (await journal.listByTask('t1')).find(e => e.identity === identity)
        ?.reason;

    const logged = (message: string) =>
      logLines.some(l => l.message === message);

    it('is set aside while older resources are rolled back, then checked again until it is gone', async () => {
      await repositoryAndNamespace();
      const { calls, compensate } = terminatingUntil(() =>
        logged('Rolled back test:thing repository: deleted.'),
      );
      let namespaceWhileRepository: unknown;
      await engine(async entry => {
        if (entry.identity === 'repository') {
          namespaceWhileRepository = (await journal.listByTask('t1')).find(
            e => e.identity === 'namespace',
          );
        }
        return compensate(entry);
      }).tick();

      expect(calls.slice(0, 2)).toEqual(['namespace', 'repository']);
      expect(calls.slice(2)).toEqual(expect.arrayContaining(['namespace']));
      expect(namespaceWhileRepository).toMatchObject({
        state: 'rolling_back',
        reason: TERMINATING,
      });
      expect(await states()).toEqual({
        repository: 'rolled_back',
        namespace: 'rolled_back',
      });
      expect(await reason('namespace')).toBe('deleted');
      expect(logLines.map(l => [l.stepId, l.message])).toEqual([
        [
          'ns',
          'The run failed: rolling back 2 resource(s) it created, newest first: test:thing namespace, test:thing repository.',
        ],
        [
          'ns',
          `Rolling back test:thing namespace: ${TERMINATING}. Checking it again while the rest of the rollback goes on.`,
        ],
        ['repo', 'Rolled back test:thing repository: deleted.'],
        ['ns', 'Rolled back test:thing namespace: deleted.'],
      ]);
      expect(await unsettled()).toEqual([]);
    });

    it('is recorded as done while an older resource is still being retried', async () => {
      await repositoryAndNamespace();
      const { compensate } = terminatingFor(1);
      await engine(async entry => {
        if (
          entry.identity === 'repository' &&
          !logged('Rolled back test:thing namespace: deleted.')
        ) {
          throw new TransientCompensationError('GitHub answered 502');
        }
        return compensate(entry);
      }).tick();

      expect(await states()).toEqual({
        repository: 'rolled_back',
        namespace: 'rolled_back',
      });
      expect(logLines.slice(-2).map(l => l.message)).toEqual([
        'Rolled back test:thing namespace: deleted.',
        'Rolled back test:thing repository: deleted.',
      ]);
    });

    it.each<[string, { maxWaitMs?: number }, Partial<RollbackEngineOptions>]>([
      ['its own bound', { maxWaitMs: 100 }, {}],
      ['the bound per resource', {}, { maxDurationPerResourceMs: 100 }],
    ])(
      'fails once it is still under way after %s',
      async (_, { maxWaitMs }, options) => {
        await repositoryAndNamespace();
        const { calls, compensate } = terminatingFor(Infinity, maxWaitMs);
        const started = Date.now();
        await engine(compensate, options).tick();

        expect(Date.now() - started).toBeLessThan(1000);
        expect(calls.slice(0, 2)).toEqual(['namespace', 'repository']);
        expect(await states()).toEqual({
          repository: 'rolled_back',
          namespace: 'rollback_failed',
        });
        const why = await reason('namespace');
        expect(why).toMatch(
          /^gave up waiting after 0\.\d s: deletion requested; Kubernetes is still terminating it$/,
        );
        expect(logLines.at(-1)?.message).toBe(
          `Could not roll back test:thing namespace: ${why}`,
        );
      },
    );

    it('keeps the run through the wait, against another instance', async () => {
      await repositoryAndNamespace();
      const { calls, compensate } = terminatingFor(Infinity, 60_000);
      const waiting = engine(compensate, {
        leaseMs: 150,
        initialBackoffMs: 10_000,
      });
      const first = waiting.tick();
      await new Promise(r => setTimeout(r, 300));

      const other = terminatingFor(0);
      await engine(other.compensate, { leaseMs: 150 }).tick();
      expect(other.calls).toEqual([]);

      await waiting.stop();
      await first;
      expect(calls).toEqual(['namespace', 'repository']);
    });

    it('is checked again by the next backend after a restart, within the bound counted from when it was set aside', async () => {
      await repositoryAndNamespace();
      const first = terminatingFor(Infinity, 60_000);
      const stopped = engine(first.compensate, { initialBackoffMs: 10_000 });
      const ticking = stopped.tick();
      await new Promise(r => setTimeout(r, 100));
      await stopped.stop();
      await ticking;
      expect(first.calls).toEqual(['namespace', 'repository']);
      expect(await states()).toEqual({
        repository: 'rolled_back',
        namespace: 'rolling_back',
      });
      expect(await reason('namespace')).toBe(TERMINATING);

      // Still terminating: the wait goes on from where it was.
      const resumed = terminatingFor(1, 60_000);
      await engine(resumed.compensate).tick();
      expect(resumed.calls).toEqual(['namespace', 'namespace']);
      expect(await states()).toEqual({
        repository: 'rolled_back',
        namespace: 'rolled_back',
      });
      expect(await reason('namespace')).toBe('deleted');
      expect(deleted).toEqual(['repository']);
      expect(
        logLines.filter(l => l.message.startsWith('Rolling back')),
      ).toHaveLength(1);
    });

    it('fails at once after a restart that came later than its bound', async () => {
      await repositoryAndNamespace();
      const stopped = engine(terminatingFor(Infinity, 60_000).compensate, {
        initialBackoffMs: 10_000,
      });
      const ticking = stopped.tick();
      await new Promise(r => setTimeout(r, 100));
      await stopped.stop();
      await ticking;
      await new Promise(r => setTimeout(r, 200));

      const resumed = terminatingFor(Infinity, 150);
      await engine(resumed.compensate, { initialBackoffMs: 10_000 }).tick();
      expect(resumed.calls).toEqual(['namespace']);
      expect(await states()).toMatchObject({ namespace: 'rollback_failed' });
      const [, waited] =
        /^gave up waiting after ([\d.]+) s: /.exec(
          (await reason('namespace')) ?? '',
        ) ?? [];
      expect(Number(waited)).toBeGreaterThanOrEqual(0.3);
    });
  });

  it('keeps its hold on a run through an attempt longer than the lease', async () => {
    await created('slow');
    statuses.set('t1', { status: 'failed' });
    let calls = 0;
    const slowDeleting = async () => {
      calls++;
      await new Promise(r => setTimeout(r, 600));
      return 'deleted' as const;
    };
    const first = engine(slowDeleting, { leaseMs: 150 }).tick();
    await new Promise(r => setTimeout(r, 300));
    await engine(slowDeleting, { leaseMs: 150 }).tick();
    await first;

    expect(calls).toBe(1);
    expect(await states()).toEqual({ slow: 'rolled_back' });
  });

  it('leaves a run alone while another instance holds it', async () => {
    await created('one');
    statuses.set('t1', { status: 'failed' });
    await journal.acquireLease('t1', 'other-instance', 60_000);
    await engine(deleting).tick();
    expect(deleted).toEqual([]);
    expect(await states()).toEqual({ one: 'created' });
  });

  it('rolls back each run exactly once with two engines on one database', async () => {
    const taskIds = Array.from({ length: 20 }, (_, i) => `run-${i}`);
    for (const taskId of taskIds) {
      await created(`thing-of-${taskId}`, 'step', taskId);
      statuses.set(taskId, { status: 'failed' });
    }
    const slowDeleting = async (entry: JournalEntry) => {
      await new Promise(r => setTimeout(r, 5));
      return deleting(entry);
    };
    const first = engine(slowDeleting);
    const second = engine(slowDeleting);

    await Promise.all([first.tick(), second.tick()]);
    await Promise.all([first.tick(), second.tick()]);

    expect([...deleted].sort()).toEqual(
      taskIds.map(taskId => `thing-of-${taskId}`).sort(),
    );
    expect(await unsettled()).toEqual([]);
  });

  describe('reading task status from the scaffolder database', () => {
    beforeEach(async () => {
      // The scaffolder's own tables, beside the journal as in a backend.
      await db.migrate.latest({
        directory: resolvePackagePath(
          '@backstage/plugin-scaffolder-backend',
          'migrations',
        ),
      });
    });

    /** Runs whose tasks are processing, each with a resource journaled. */
    async function processingRuns(count: number): Promise<string[]> {
      const taskIds = Array.from({ length: count }, () => randomUUID());
      await db.batchInsert(
        'tasks',
        taskIds.map(id => ({
          id,
          status: 'processing',
          spec: JSON.stringify({
            templateInfo: { entityRef: 'template:default/x' },
          }),
        })),
        100,
      );
      for (const taskId of taskIds) {
        await created(`thing-of-${taskId}`, 'step', taskId);
      }
      return taskIds;
    }

    function watching() {
      return engine(deleting, {
        tasks: new ScaffolderDatabaseTaskReader({
          db,
          fallback: {
            getTask: () => Promise.reject(new Error('unexpected API call')),
          },
          logger: mockServices.logger.mock(),
        }),
      });
    }

    async function queriesDuring(fn: () => Promise<void>): Promise<number> {
      let queries = 0;
      const count = () => queries++;
      db.on('query', count);
      try {
        await fn();
      } finally {
        db.off('query', count);
      }
      return queries;
    }

    it.each([1, 10, 500])(
      'looks at %i waiting runs in one query',
      async count => {
        const [first] = await processingRuns(count);
        const looking = watching();
        // The first look copies each new run's template from its task.
        await looking.tick();
        expect((await journal.getRun(first)).templateRef).toBe(
          'template:default/x',
        );

        expect(await queriesDuring(() => looking.tick())).toBe(1);
        expect((await unsettled()).length).toBe(count);
      },
    );

    it('rolls back the one run that failed among many', async () => {
      const taskIds = await processingRuns(50);
      const looking = watching();
      await looking.tick();
      await db('tasks').where({ id: taskIds[7] }).update({ status: 'failed' });

      await looking.tick();

      expect(deleted).toEqual([`thing-of-${taskIds[7]}`]);
      expect(await unsettled()).toHaveLength(49);
    });
  });

  it('looks at the runs in a global task on the scheduler, every poll interval', async () => {
    await created('one');
    statuses.set('t1', { status: 'processing' });
    const { scheduled, look, stop } = await onScheduler(
      engine(deleting, { pollIntervalMs: 250 }),
    );
    try {
      expect(scheduled).toMatchObject({
        id: 'platform-rollback',
        scope: 'global',
        frequency: { milliseconds: 250 },
      });
      await look();
      expect(deleted).toEqual([]);

      statuses.set('t1', { status: 'failed' });
      await look();
      await waitFor('the rollback', async () =>
        deleted.length > 0 ? deleted : undefined,
      );
      expect(deleted).toEqual(['one']);
    } finally {
      await stop();
    }
  });

  it('starts polling on its own and rolls back within the interval', async () => {
    await created('one');
    const running = engine(deleting, { pollIntervalMs: 20 });
    running.start();
    try {
      statuses.set('t1', { status: 'failed' });
      for (let i = 0; i < 100 && deleted.length === 0; i++) {
        await new Promise(r => setTimeout(r, 10));
      }
      expect(deleted).toEqual(['one']);
    } finally {
      await running.stop();
    }
  });
});
