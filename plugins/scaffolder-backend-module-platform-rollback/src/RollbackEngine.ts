import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { toError } from '@backstage/errors';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  DatabaseRollbackJournal,
  EXPIRED_STATUS,
  UnsettledRun,
  UNRESOLVED_STATES,
} from './DatabaseRollbackJournal';
import {
  CompensationInProgress,
  CompensationResult,
  JournalEntry,
  PlatformRollbackService,
  ResourceCompensator,
  scrubbedLogger,
  SecretScrubber,
  TransientCompensationError,
} from '@internal/plugin-platform-node';

/**
 * What the engine needs to know about a scaffolder task.
 *
 * @public
 */
export interface TaskSummary {
  status: string;
  templateRef?: string;
  createdBy?: string;
  createdAt?: string;
}

/**
 * An unsettled run with the status its task has now.
 *
 * @public
 */
export interface RunToLookAt extends UnsettledRun {
  /** `undefined` when the scaffolder does not know the task. */
  taskStatus: string | undefined;
}

/**
 * Reads a task's status; `undefined` when the scaffolder does not know it.
 *
 * @public
 */
export interface TaskStatusReader {
  getTask(taskId: string): Promise<TaskSummary | undefined>;
  /**
   * The unsettled runs with their tasks' status, in one go, leaving out each
   * run whose task was read before and still runs as recorded: there is
   * nothing to decide about it. `undefined` when the reader cannot; the
   * engine then lists the runs and asks for each task.
   */
  getRunsToLookAt?(): Promise<RunToLookAt[] | undefined>;
}

/**
 * Appends a line to the log a user sees for a run.
 *
 * @public
 */
export interface TaskLogWriter {
  append(options: {
    taskId: string;
    stepId: string;
    message: string;
  }): Promise<void>;
}

/** @public */
export interface RollbackEngineOptions {
  journal: DatabaseRollbackJournal;
  compensators: Pick<PlatformRollbackService, 'getCompensator'>;
  tasks: TaskStatusReader;
  taskLog: TaskLogWriter;
  logger: LoggerService;
  /**
   * Scrubs the reasons the journal stores (and the runs API shows), the
   * lines written to the run's log and the backend log; a compensator's
   * error may carry what an API echoed back. Default: credential shapes only.
   */
  scrubber?: SecretScrubber;
  /**
   * How often runs are looked at; rollback starts within about one interval.
   * Default 1 second.
   */
  pollIntervalMs?: number;
  /** How long one engine instance holds a run it is rolling back. */
  leaseMs?: number;
  /** Backoff between attempts on a transient failure. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * The bound on retrying one resource, and on waiting for one set aside
   * whose compensator states no bound of its own; then it is
   * `rollback_failed`.
   */
  maxDurationPerResourceMs?: number;
  /** The bound on one compensation attempt. */
  attemptTimeoutMs?: number;
}

const FINAL_FAILURES = new Set(['failed', 'cancelled']);

/** The engine's task on the scheduler, in the scaffolder plugin's scope. */
const SCHEDULED_TASK_ID = 'platform-rollback';

/**
 * The bound on one look at the runs (a few milliseconds with the database
 * reader; a look cut short leaves the rest for the next). A replica that dies
 * in the middle of a look holds up the others' looks until then, and until
 * the scheduler's janitor, which runs once a minute, frees the task.
 */
const LOOK_TIMEOUT = { seconds: 10 };

/** The outcome in words, as the journal's reason and the run's log show it. */
const OUTCOMES: Record<CompensationResult, string> = {
  deleted: 'deleted',
  already_gone: 'it was already gone',
  restored: 'restored the values it had before the run',
};

function describe(entry: JournalEntry): string {
  return `${entry.kind} ${entry.identity}${entry.url ? ` (${entry.url})` : ''}`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * An entry whose compensation the remote system is still finishing (a
 * namespace Kubernetes is terminating), set aside while the rest of the run's
 * rollback goes on.
 */
interface SetAside {
  entry: JournalEntry;
  /** When it was set aside. */
  since: number;
  /** When the engine stops waiting for it. */
  deadline: number;
}

/**
 * When an earlier pass, maybe of a backend since restarted, set the entry
 * aside. Only then does the engine record `rolling_back` with a reason, and
 * it leaves the entry untouched while it waits, so the entry's last update is
 * the moment it was set aside and bounds the wait across restarts.
 */
function setAsideSince(entry: JournalEntry): number | undefined {
  return entry.state === 'rolling_back' && entry.reason
    ? Date.parse(entry.updatedAt)
    : undefined;
}

/** Ends work on a run without an outcome: shutdown, or another instance took the run over. */
class WorkInterrupted extends Error {}

/**
 * Undoes what a failed or cancelled scaffolder run created, newest first. A
 * resource whose deletion the remote system is still finishing (a namespace
 * Kubernetes is terminating) is set aside and checked again meanwhile, so it
 * holds up nothing older. All state is in the journal, so a restarted
 * backend picks up where the previous one stopped.
 *
 * @public
 */
export class RollbackEngine {
  private readonly instanceId = randomUUID();
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxDurationPerResourceMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly stopController = new AbortController();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** Rollbacks under way, by task id: one slow run never holds up another. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly options: RollbackEngineOptions;
  private readonly scrubber: SecretScrubber;

  constructor(options: RollbackEngineOptions) {
    const scrubber = options.scrubber ?? SecretScrubber.create();
    this.scrubber = scrubber;
    // Every line the engine writes, to either log, passes the scrubber.
    this.options = {
      ...options,
      logger: scrubbedLogger(options.logger, scrubber),
      taskLog: {
        append: line =>
          options.taskLog.append({
            ...line,
            message: scrubber.scrub(line.message),
          }),
      },
    };
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.initialBackoffMs = options.initialBackoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.maxDurationPerResourceMs =
      options.maxDurationPerResourceMs ?? 5 * 60_000;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 60_000;
  }

  /**
   * Looks at the runs every poll interval on the backend's scheduler. In the
   * `global` scope the scheduler's lock in the database lets one replica at a
   * time look, so N replicas read the runs once per interval, not N times,
   * and each failure is picked up by whichever replica looks next. A rollback
   * goes on after the look that started it; the lease on the run keeps the
   * other replicas' looks off it meanwhile.
   */
  async schedule(scheduler: SchedulerService): Promise<void> {
    await scheduler.scheduleTask({
      id: SCHEDULED_TASK_ID,
      scope: 'global',
      frequency: { milliseconds: this.pollIntervalMs },
      timeout: LOOK_TIMEOUT,
      signal: this.stopController.signal,
      fn: signal => {
        this.running = this.poll(signal);
        return this.running;
      },
    });
  }

  /**
   * Looks at the runs every poll interval on a timer of its own, for use
   * outside a backend; a backend uses {@link RollbackEngine.schedule}.
   */
  start(): void {
    const loop = () => {
      if (this.stopController.signal.aborted) {
        return;
      }
      this.running = this.poll().finally(() => {
        if (!this.stopController.signal.aborted) {
          this.timer = setTimeout(loop, this.pollIntervalMs);
        }
      });
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Stops polling and interrupts a rollback in progress; the journal keeps its place. */
  async stop(): Promise<void> {
    this.stopController.abort();
    clearTimeout(this.timer);
    await this.running;
    await Promise.all(this.inFlight.values());
  }

  /** One pass over every run, waiting for the rollbacks it started. */
  async tick(): Promise<void> {
    await this.poll();
    await Promise.all(this.inFlight.values());
  }

  /**
   * Looks at every run that may need work and starts the rollbacks that are
   * due. However many runs are waiting, that is one query with a reader that
   * joins task status to the journal; only runs whose status changed cost
   * more.
   */
  private async poll(signal?: AbortSignal): Promise<void> {
    const { logger } = this.options;
    const stopped = () =>
      this.stopController.signal.aborted || signal?.aborted === true;
    const failed = (taskId: string) => (e: unknown) => {
      if (!(e instanceof WorkInterrupted)) {
        logger.warn(
          `Rollback of task ${taskId} was interrupted and will be retried: ${
            toError(e).message
          }`,
        );
      }
    };
    try {
      for await (const run of this.runsToLookAt()) {
        if (stopped()) {
          return;
        }
        const { taskId } = run;
        const status = await this.checkRun(run).catch(failed(taskId));
        if (status && FINAL_FAILURES.has(status)) {
          this.inFlight.set(
            taskId,
            this.rollBack(taskId, status)
              .catch(failed(taskId))
              .finally(() => this.inFlight.delete(taskId)),
          );
        }
      }
    } catch (e) {
      logger.warn(
        `Could not look at the runs to roll back: ${toError(e).message}`,
      );
    }
  }

  /**
   * The unsettled runs with their tasks' status, but for those rolling back
   * here or under another instance's lease: in one query from a reader that
   * can, or else from the journal, asking for each task as the look reaches
   * it, so that a look cut short by its timeout has still got somewhere.
   */
  private async *runsToLookAt(): AsyncGenerator<RunToLookAt> {
    const { journal, tasks, logger } = this.options;
    const now = Date.now();
    const due = (run: UnsettledRun) =>
      !this.inFlight.has(run.taskId) &&
      !(
        run.lease &&
        run.lease.owner !== this.instanceId &&
        run.lease.until > now
      );
    const joined = await tasks.getRunsToLookAt?.();
    if (joined) {
      yield* joined.filter(due);
      return;
    }
    for (const run of (await journal.listUnsettledRuns()).filter(due)) {
      let task: TaskSummary | undefined;
      try {
        task = await tasks.getTask(run.taskId);
      } catch (e) {
        // Left for the next look: only the scaffolder saying it does not
        // know a task makes it gone.
        logger.warn(
          `Could not read the status of task ${run.taskId}: ${
            toError(e).message
          }`,
        );
        continue;
      }
      yield { ...run, taskStatus: task?.status };
    }
  }

  /**
   * Brings the journal up to date with the run's task status and settles a
   * completed run; returns the status the rollback goes by.
   */
  private async checkRun(run: RunToLookAt): Promise<string | undefined> {
    const { journal, tasks } = this.options;
    const { taskId, taskStatus: status } = run;
    if (status === undefined) {
      // Seen to fail before its task went: the journal is proof enough.
      if (FINAL_FAILURES.has(run.status)) {
        return run.status;
      }
      await this.expire(taskId);
      return undefined;
    }
    let current = status;
    if (!run.seen) {
      const task = await tasks.getTask(taskId);
      if (!task) {
        // Gone since its status was read: the next look expires it.
        return undefined;
      }
      await journal.recordTask(taskId, task);
      current = task.status;
    } else if (status !== run.status) {
      await journal.updateStatus(taskId, status);
    }
    if (current === 'completed') {
      await journal.settleRun(taskId);
    }
    return current;
  }

  /**
   * Nobody can say any more whether the run failed, so nothing is rolled
   * back: rollback on a guess could delete what a completed run delivered.
   * The run shows as expired and what it created is named in the log.
   */
  private async expire(taskId: string): Promise<void> {
    const { journal, logger } = this.options;
    await journal.expireRun(taskId);
    const left = (await journal.listByTask(taskId)).filter(e =>
      UNRESOLVED_STATES.includes(e.state),
    );
    logger.warn(
      `Task ${taskId} no longer exists and was not seen to fail or complete, so its run is marked ${EXPIRED_STATUS} and no longer watched${
        left.length > 0
          ? `; what it created stays in place: ${left.map(describe).join(', ')}`
          : ''
      }`,
    );
  }

  private async rollBack(taskId: string, status: string): Promise<void> {
    const { journal, taskLog } = this.options;
    if (!(await journal.acquireLease(taskId, this.instanceId, this.leaseMs))) {
      return;
    }
    // Each resource set aside is watched on its own while the rollback goes
    // on; a watch ends with its failure, if any, rather than rejecting
    // before anyone awaits it.
    const watches: Promise<unknown>[] = [];
    try {
      const entries = (await journal.listByTask(taskId)).reverse();
      const todo = entries.filter(e => UNRESOLVED_STATES.includes(e.state));
      if (todo.length > 0) {
        const cancelledBy = (await journal.findRun(taskId))?.cancelledBy;
        let ended = status === 'cancelled' ? 'was cancelled' : 'failed';
        if (cancelledBy) {
          ended = `was cancelled by ${cancelledBy}`;
        }
        await taskLog.append({
          taskId,
          stepId: todo[0].stepId,
          message: `The run ${ended}: rolling back ${
            todo.length
          } resource(s) it created, newest first: ${todo
            .map(describe)
            .join(', ')}.`,
        });
      }
      for (const entry of entries) {
        if (entry.state === 'kept' && todo.length > 0) {
          await taskLog.append({
            taskId,
            stepId: entry.stepId,
            message: `Keeping ${describe(
              entry,
            )} because the step asked for rollback: false.`,
          });
        }
        if (UNRESOLVED_STATES.includes(entry.state)) {
          const setAside = await this.compensate(entry, setAsideSince(entry));
          if (setAside) {
            watches.push(
              this.watch(setAside).then(
                () => undefined,
                e => e,
              ),
            );
          }
        }
      }
      const failure = (await Promise.all(watches)).find(e => e !== undefined);
      if (failure !== undefined) {
        throw failure;
      }
      await journal.settleRun(taskId);
    } finally {
      await Promise.all(watches);
      await journal.releaseLease(taskId, this.instanceId);
    }
  }

  /**
   * Checks again, with backoff, on an entry set aside until it is done or
   * past its bound, while the rest of the run's rollback goes on: only the
   * waiting is deferred, every deletion is started in order, newest first.
   */
  private async watch(setAside: SetAside): Promise<void> {
    let waiting: SetAside | undefined = setAside;
    let backoff = this.initialBackoffMs;
    while (waiting) {
      const { entry, since, deadline } = waiting;
      const wait = Math.min(backoff, Math.max(0, deadline - Date.now()));
      await this.holdingLease(entry.taskId, () => this.sleep(wait));
      backoff = Math.min(backoff * 2, this.maxBackoffMs);
      waiting = await this.compensate(entry, since);
    }
  }

  /**
   * Compensates one entry, or checks again on one set aside at `since`, and
   * records the outcome as it happens. Returns the entry while it is set aside.
   */
  private async compensate(
    entry: JournalEntry,
    since?: number,
  ): Promise<SetAside | undefined> {
    const { journal, compensators, taskLog } = this.options;
    const compensator = compensators.getCompensator(entry.kind);
    if (!compensator) {
      return this.fail(
        entry,
        `no compensator is registered for resource kind ${entry.kind}`,
      );
    }
    if (since === undefined) {
      await journal.setState(entry.id, 'rolling_back');
    }
    const result = await this.attempts(entry, compensator);
    if (result instanceof Error) {
      return this.fail(entry, result.message);
    }
    if (result instanceof CompensationInProgress) {
      const bound = result.maxWaitMs ?? this.maxDurationPerResourceMs;
      if (since === undefined) {
        const reason = this.scrubber.scrub(result.reason);
        await journal.setState(entry.id, 'rolling_back', reason);
        await taskLog.append({
          taskId: entry.taskId,
          stepId: entry.stepId,
          message: `Rolling back ${describe(
            entry,
          )}: ${reason}. Checking it again while the rest of the rollback goes on.`,
        });
        const now = Date.now();
        return { entry, since: now, deadline: now + bound };
      }
      const waited = Date.now() - since;
      if (waited >= bound) {
        return this.fail(
          entry,
          `gave up waiting after ${seconds(waited)}: ${result.reason}`,
        );
      }
      return { entry, since, deadline: since + bound };
    }
    // A deletion that was under way and is now gone is the one we started.
    const outcome =
      OUTCOMES[
        since !== undefined && result === 'already_gone' ? 'deleted' : result
      ];
    await journal.setState(entry.id, 'rolled_back', outcome);
    await taskLog.append({
      taskId: entry.taskId,
      stepId: entry.stepId,
      message: `Rolled back ${describe(entry)}: ${outcome}.`,
    });
    return undefined;
  }

  /** Records that the entry could not be rolled back, and why. */
  private async fail(entry: JournalEntry, why: string): Promise<undefined> {
    const { journal, taskLog, logger } = this.options;
    const reason = this.scrubber.scrub(why);
    await journal.setState(entry.id, 'rollback_failed', reason);
    await taskLog.append({
      taskId: entry.taskId,
      stepId: entry.stepId,
      message: `Could not roll back ${describe(entry)}: ${reason}`,
    });
    logger.warn(
      `Rollback of ${entry.kind} ${entry.identity} for task ${entry.taskId} failed: ${reason}`,
    );
    return undefined;
  }

  /**
   * Calls the compensator, retrying transient failures with backoff until the
   * bound per resource; a failure is returned, not thrown.
   */
  private async attempts(
    entry: JournalEntry,
    compensator: ResourceCompensator,
  ): Promise<CompensationResult | CompensationInProgress | Error> {
    const { journal, logger } = this.options;
    const deadline = Date.now() + this.maxDurationPerResourceMs;
    let backoff = this.initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      // Renewed before every attempt, so a long backoff never lets another
      // instance start on the same run meanwhile.
      if (
        !(await journal.acquireLease(
          entry.taskId,
          this.instanceId,
          this.leaseMs,
        ))
      ) {
        throw new WorkInterrupted();
      }
      const signal = AbortSignal.any([
        this.stopController.signal,
        AbortSignal.timeout(this.attemptTimeoutMs),
      ]);
      try {
        return await this.holdingLease(entry.taskId, () =>
          compensator.compensate(entry, { signal }),
        );
      } catch (e) {
        if (this.stopController.signal.aborted) {
          // Shutdown: the entry stays `rolling_back` and the next backend resumes it.
          throw new WorkInterrupted();
        }
        const error = toError(e);
        const transient =
          error instanceof TransientCompensationError ||
          error.name === 'TimeoutError' ||
          error.name === 'AbortError';
        const wait = Math.max(
          backoff,
          e instanceof TransientCompensationError ? e.retryAfterMs ?? 0 : 0,
        );
        if (!transient) {
          return error;
        }
        if (Date.now() + wait > deadline) {
          return new Error(
            `gave up after ${attempt} attempt(s): ${error.message}`,
          );
        }
        logger.info(
          `Rollback of ${entry.kind} ${entry.identity} will be retried in ${wait} ms: ${error.message}`,
        );
        await this.sleep(wait);
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
      }
    }
  }

  /**
   * Runs `fn` (a compensation attempt, or the wait before checking again on
   * an entry set aside) while renewing the run's lease: either may outlast
   * the lease, and an expired lease would let another instance roll back the
   * same run at the same time.
   */
  private async holdingLease<T>(
    taskId: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    const { journal, logger } = this.options;
    let renewing: Promise<unknown> = Promise.resolve();
    const renewal = setInterval(() => {
      renewing = journal
        .acquireLease(taskId, this.instanceId, this.leaseMs)
        .catch(e =>
          logger.warn(
            `Could not renew the rollback lease of task ${taskId}: ${
              toError(e).message
            }`,
          ),
        );
    }, this.leaseMs / 3);
    try {
      return await fn();
    } finally {
      clearInterval(renewal);
      // A renewal still in flight must not land after the lease is released.
      await renewing;
    }
  }

  private async sleep(ms: number): Promise<void> {
    try {
      await delay(ms, undefined, { signal: this.stopController.signal });
    } catch {
      throw new WorkInterrupted();
    }
  }
}
