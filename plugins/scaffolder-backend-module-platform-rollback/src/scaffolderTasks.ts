import {
  AuthService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { ResponseError, toError } from '@backstage/errors';
import { Knex } from 'knex';
import { TaskLogWriter, TaskStatusReader, TaskSummary } from './RollbackEngine';

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
 * the task page shows them under the step that created the resource. This is
 * the module's single dependency on a non-public scaffolder detail: it checks
 * the table's columns once and turns itself off (with a warning; the journal
 * and the runs API still carry every outcome) if they ever change.
 *
 * @public
 */
export class ScaffolderTaskEventLog implements TaskLogWriter {
  private usable?: Promise<boolean>;

  constructor(private readonly options: { db: Knex; logger: LoggerService }) {}

  private async check(): Promise<boolean> {
    const { db, logger } = this.options;
    const columns = ['task_id', 'event_type', 'body'];
    const present = await Promise.all(
      columns.map(c => db.schema.hasColumn('task_events', c)),
    );
    if (present.every(Boolean)) {
      return true;
    }
    logger.warn(
      'The scaffolder task_events table does not have the expected columns; rollback outcomes will be in the platform runs API only, not in the task log',
    );
    return false;
  }

  async append(options: {
    taskId: string;
    stepId: string;
    message: string;
  }): Promise<void> {
    const { db, logger } = this.options;
    this.usable ??= this.check();
    if (!(await this.usable)) {
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
