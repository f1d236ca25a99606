import { parseEntityRef } from '@backstage/catalog-model';
import { JsonObject } from '@backstage/types';
import type {
  LogEvent,
  ScaffolderTask,
  TemplateParameterSchema,
} from '@backstage/plugin-scaffolder-common';
import { PlatformRun } from '@internal/plugin-platform-common';
import { BackendError, PlatformBackend } from './backend';

/** A task as `GET /v2/tasks/:id` answers it, which names its creator too. */
export type Task = ScaffolderTask & { createdBy?: string };

/** What `scaffolder:create-service` answers for a plan. */
export interface Plan {
  /** False when the platform's preflight would refuse the run. */
  accepted: boolean;
  steps: Array<{ id: string; name: string; action: string }>;
  /** The dry run's log lines, or why the run would be refused. */
  log: string[];
}

const SCAFFOLDER = '/api/scaffolder';

/**
 * The scaffolder's task API, the platform's runs API and the platform's
 * create-service action. Not `ScaffolderClient` from scaffolder-common: its
 * `scaffold` folds the answer of a refused start into a string, its log
 * polling retries a refused request forever, and it cannot list by status
 * or creator.
 */
export class ScaffolderRuns {
  constructor(private readonly backend: PlatformBackend) {}

  async parameterSchema(templateRef: string): Promise<TemplateParameterSchema> {
    const { kind, namespace, name } = parseEntityRef(templateRef);
    return this.backend.request(
      `${SCAFFOLDER}/v2/templates/${encodeURIComponent(
        namespace,
      )}/${encodeURIComponent(kind)}/${encodeURIComponent(
        name,
      )}/parameter-schema`,
    );
  }

  async plan(templateRef: string, values: JsonObject): Promise<Plan> {
    const { output } = await this.backend.request<{ output: Plan }>(
      `${SCAFFOLDER}/.backstage/actions/v1/actions/scaffolder:create-service/invoke`,
      { method: 'POST', body: { templateRef, values, plan: true } },
    );
    return output;
  }

  async start(templateRef: string, values: JsonObject): Promise<string> {
    const { id } = await this.backend.request<{ id: string }>(
      `${SCAFFOLDER}/v2/tasks`,
      { method: 'POST', body: { templateRef, values } },
    );
    return id;
  }

  async task(taskId: string): Promise<Task> {
    return this.backend.request(
      `${SCAFFOLDER}/v2/tasks/${encodeURIComponent(taskId)}`,
    );
  }

  /**
   * The run's log events after the event `after`. The scaffolder holds the
   * request until there is one, for up to 30 seconds, then answers `[]`.
   */
  async events(taskId: string, after?: number): Promise<LogEvent[]> {
    return this.backend.request(
      `${SCAFFOLDER}/v2/tasks/${encodeURIComponent(taskId)}/events`,
      { query: { after } },
    );
  }

  async cancel(taskId: string): Promise<void> {
    await this.backend.request(
      `${SCAFFOLDER}/v2/tasks/${encodeURIComponent(taskId)}/cancel`,
      { method: 'POST' },
    );
  }

  async retry(taskId: string): Promise<void> {
    await this.backend.request(
      `${SCAFFOLDER}/v2/tasks/${encodeURIComponent(taskId)}/retry`,
      { method: 'POST', body: {} },
    );
  }

  /**
   * The run's resources as the rollback journal has them; undefined for a
   * run that journaled nothing, such as one refused by its preflight.
   */
  async platformRun(taskId: string): Promise<PlatformRun | undefined> {
    try {
      return await this.backend.request<PlatformRun>(
        `${SCAFFOLDER}/platform/runs/${encodeURIComponent(taskId)}`,
      );
    } catch (error) {
      if (error instanceof BackendError && error.statusCode === 404) {
        return undefined;
      }
      throw error;
    }
  }
}
