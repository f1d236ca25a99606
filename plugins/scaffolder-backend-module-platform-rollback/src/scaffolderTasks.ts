import {
  AuthService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { ResponseError, toError } from '@backstage/errors';
import { Knex } from 'knex';
import {
  toIso,
  toUnsettledRun,
  unsettledRunsQuery,
  UnsettledRunRow,
} from './DatabaseRollbackJournal';
import {
  RunToLookAt,
  TaskLogWriter,
  TaskStatusReader,
  TaskSummary,
} from './RollbackEngine';

/**
 * Checks, once, that a scaffolder table has the columns this module uses:
 * the scaffolder's tables are not a public contract, so a release may change
 * them. Says once what the module does instead if they differ.
 */
function columnCheck(options: {
  db: Knex;
  logger: LoggerService;
  table: string;
  columns: string[];
  otherwise: string;
}): () => Promise<boolean> {
  const { db, logger, table, columns, otherwise } = options;
  let usable: Promise<boolean> | undefined;
  return () => {
    usable ??= Promise.all(columns.map(c => db.schema.hasColumn(table, c)))
      .then(present => {
        const ok = present.every(Boolean);
        if (!ok) {
          logger.warn(
            `The scaffolder ${table} table does not have the expected columns (${columns.join(
              ', ',
            )}); ${otherwise}`,
          );
        }
        return ok;
      })
      .catch(e => {
        // A check that failed said nothing: check again next time.
        usable = undefined;
        throw e;
      });
    return usable;
  };
}

/** The scaffolder names its tasks with `randomUUID()`. */
const TASK_ID =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Scaffolder task statuses of a task that has not ended yet. */
const RUNNING = ['open', 'processing'];

type TaskRow = {
  id: string;
  status: string;
  spec: string;
  created_by: string | null;
  created_at: Date | string | number;
};

function templateRefOf(spec: string): string | undefined {
  try {
    return JSON.parse(spec)?.templateInfo?.entityRef;
  } catch {
    // The scaffolder cannot read such a task either; its status still counts.
    return undefined;
  }
}

/**
 * Reads task status straight from the scaffolder's `tasks` table, which a
 * scaffolder module shares through `coreServices.database`: joined to the
 * journal's unsettled runs, one query tells the engine which runs moved on,
 * where the REST API takes a request, and a freshly signed token, per run.
 * The table is not a public contract, so its columns are checked once; if
 * they ever differ, every read goes to `fallback` (the REST API) instead.
 *
 * @public
 */
export class ScaffolderDatabaseTaskReader implements TaskStatusReader {
  private readonly usable: () => Promise<boolean>;

  constructor(
    private readonly options: {
      db: Knex;
      fallback: TaskStatusReader;
      logger: LoggerService;
    },
  ) {
    this.usable = columnCheck({
      ...options,
      table: 'tasks',
      columns: ['id', 'status', 'spec', 'created_by', 'created_at'],
      otherwise: 'task status is read through the scaffolder API instead',
    });
  }

  /**
   * Whether the `tasks` table has the columns this module reads, so that
   * the runs list can read it beside the journal.
   */
  async readsTasksTable(): Promise<boolean> {
    return this.usable();
  }

  async getTask(taskId: string): Promise<TaskSummary | undefined> {
    const { db, fallback } = this.options;
    if (!(await this.usable())) {
      return fallback.getTask(taskId);
    }
    // PostgreSQL refuses anything but a UUID in the uuid id column.
    if (!TASK_ID.test(taskId)) {
      return undefined;
    }
    const row = await db<TaskRow>('tasks')
      .where({ id: taskId })
      .first('status', 'spec', 'created_by', 'created_at');
    return (
      row && {
        status: row.status,
        templateRef: templateRefOf(row.spec),
        createdBy: row.created_by || undefined,
        createdAt: toIso(row.created_at),
      }
    );
  }

  async getRunsToLookAt(): Promise<RunToLookAt[] | undefined> {
    const { db } = this.options;
    if (!(await this.usable())) {
      return undefined;
    }
    // PostgreSQL compares its uuid id column only with a uuid, and refuses
    // to make one of anything but a UUID.
    const taskIdOfRun =
      db.client.dialect === 'postgresql'
        ? db.raw('CASE WHEN r.task_id ~* ? THEN CAST(r.task_id AS uuid) END', [
            TASK_ID.source,
          ])
        : db.ref('r.task_id');
    // A scalar subquery per run, rather than a join or EXISTS, which
    // PostgreSQL answers by hashing every task the scaffolder ever ran: it
    // looks each task up by its primary key.
    const taskStatus = db('tasks as t')
      .select('t.status')
      .where('t.id', '=', taskIdOfRun);
    const rows: (UnsettledRunRow & { task_status: string | null })[] =
      await unsettledRunsQuery(db)
        .whereNot(unchanged =>
          unchanged
            .whereNotNull('r.task_seen_at')
            .whereIn('r.status', RUNNING)
            // A task that is gone has no status, which '' stands for.
            .whereRaw('coalesce(?, ?) = ??', [taskStatus, '', 'r.status']),
        )
        .select({ task_status: taskStatus })
        .orderBy('r.created_at', 'asc');
    return rows.map(row => ({
      ...toUnsettledRun(row),
      taskStatus: row.task_status ?? undefined,
    }));
  }
}

/**
 * Reads task status through the scaffolder's public REST API
 * (`GET /v2/tasks/:taskId`) with this module's service token, the same way
 * any other plugin would.
 *
 * @public
 */
export class ScaffolderApiTaskReader implements TaskStatusReader {
  constructor(
    private readonly options: {
      discovery: DiscoveryService;
      auth: AuthService;
      timeoutMs?: number;
    },
  ) {}

  async getTask(taskId: string): Promise<TaskSummary | undefined> {
    const { discovery, auth } = this.options;
    const baseUrl = await discovery.getBaseUrl('scaffolder');
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: 'scaffolder',
    });
    const response = await fetch(
      `${baseUrl}/v2/tasks/${encodeURIComponent(taskId)}`,
      {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      },
    );
    if (response.status === 404) {
      return undefined;
    }
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    const task = (await response.json()) as {
      status: string;
      createdAt?: string;
      createdBy?: string;
      spec?: { templateInfo?: { entityRef?: string } };
    };
    return {
      status: task.status,
      createdAt: task.createdAt,
      createdBy: task.createdBy || undefined,
      templateRef: task.spec?.templateInfo?.entityRef,
    };
  }
}

/**
 * Appends rollback outcomes to the run's log after the run has ended.
 *
 * The scaffolder has no public API for writing to a finished task's log, so
 * this inserts `log` events into the scaffolder's own `task_events` table,
 * which a scaffolder module shares through `coreServices.database`. The rows
 * have exactly the shape the scaffolder writes (`{ message, stepId }`), so
 * the task page shows them under the step that created the resource. The
 * table is not a public contract, so its columns are checked once and the
 * writer turns itself off (with a warning; the journal and the runs API
 * still carry every outcome) if they ever change.
 *
 * @public
 */
export class ScaffolderTaskEventLog implements TaskLogWriter {
  private readonly usable: () => Promise<boolean>;

  constructor(private readonly options: { db: Knex; logger: LoggerService }) {
    this.usable = columnCheck({
      ...options,
      table: 'task_events',
      columns: ['task_id', 'event_type', 'body'],
      otherwise:
        'rollback outcomes will be in the platform runs API only, not in the task log',
    });
  }

  async append(options: {
    taskId: string;
    stepId: string;
    message: string;
  }): Promise<void> {
    const { db, logger } = this.options;
    if (!(await this.usable())) {
      return;
    }
    try {
      await db('task_events').insert({
        task_id: options.taskId,
        event_type: 'log',
        body: JSON.stringify({
          message: options.message,
          stepId: options.stepId,
        }),
      });
    } catch (e) {
      // The task may have been cleaned up; the journal still has the outcome.
      logger.warn(
        `Could not add to the log of task ${options.taskId}: ${
          toError(e).message
        }`,
      );
    }
  }
}
