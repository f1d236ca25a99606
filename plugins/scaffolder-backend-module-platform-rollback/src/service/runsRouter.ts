import {
  BackstageCredentials,
  HttpAuthService,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  PlatformRun,
  PlatformRunOwnerFilter,
  PlatformRunPage,
} from '@internal/plugin-platform-common';
import express from 'express';
import Router from 'express-promise-router';
import { PlatformPermissions } from '@internal/plugin-platform-node';
import {
  DatabaseRollbackJournal,
  UNRESOLVED_STATES,
} from '../DatabaseRollbackJournal';
import { TaskStatusReader } from '../RollbackEngine';
import { ROLLED_BACK_STATES } from '@internal/plugin-platform-node';
import { PlatformRuns } from './PlatformRuns';

/**
 * `GET /platform/runs` and `GET /platform/runs/:taskId` on the scaffolder's
 * router: the scaffolder's runs and what became of each resource they
 * created, as far as `platform.run.read` allows. The list takes `whose`
 * (mine, my-teams, all), `createdBy`, `status` (one, or several
 * comma-separated), `template`, `limit` and `offset` or the
 * `cursor` of another page, and answers one page of runs, newest first,
 * with `totalItems`, `nextCursor` and `prevCursor`.
 *
 * It also guards the scaffolder's own `POST /v2/tasks/:taskId/cancel` and
 * `/retry` with `platform.run.manage`: a cancelled run is rolled back, so
 * cancelling decides who may have a run's resources deleted, and the stock
 * scaffolder checks nothing but `scaffolder.task.read` before a retry. This
 * router is mounted by a scaffolder module, and modules start before their
 * plugin, so these handlers run before the scaffolder's own.
 *
 * @public
 */
export function createRunsRouter(options: {
  journal: DatabaseRollbackJournal;
  runs: PlatformRuns;
  httpAuth: HttpAuthService;
  access: PlatformPermissions;
  tasks: TaskStatusReader;
  /**
   * `scaffolder.taskRecovery.enabled`: the scaffolder then skips, on a
   * retry, every step it saved as completed, even one whose resources the
   * rollback removed, so such a retry could never succeed.
   */
  taskRecoveryEnabled?: boolean;
}): express.Router {
  const { journal, runs, httpAuth, access, tasks } = options;
  const router = Router();
  const credentialsOf = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  router.get('/platform/runs', async (req, res) => {
    const text = (name: string) => {
      const value = req.query[name];
      if (value !== undefined && typeof value !== 'string') {
        throw new InputError(`Give ${name} once, as text`);
      }
      return value || undefined;
    };
    const whole = (name: string) => {
      const value = text(name);
      if (value !== undefined && !/^\d+$/.test(value)) {
        throw new InputError(`${name} is ${value}; use a whole number`);
      }
      return value === undefined ? undefined : Number(value);
    };
    const page: PlatformRunPage = await runs.list(await credentialsOf(req), {
      whose: text('whose') as PlatformRunOwnerFilter | undefined,
      status: text('status'),
      createdBy: text('createdBy'),
      template: text('template'),
      limit: whole('limit'),
      offset: whole('offset'),
      cursor: text('cursor'),
    });
    res.json(page);
  });

  router.get('/platform/runs/:taskId', async (req, res) => {
    res.json(await runs.get(await credentialsOf(req), req.params.taskId));
  });

  /**
   * The run as permission rules see it, also for a task that journaled
   * nothing. Who started it comes from the scaffolder, which knows it from
   * the start; the journal learns it only when the engine next looks.
   */
  async function runOf(taskId: string): Promise<PlatformRun | undefined> {
    const task = await tasks.getTask(taskId);
    if (!task) {
      return undefined;
    }
    const run = await journal.findRun(taskId);
    return {
      taskId,
      status: task.status,
      templateRef: task.templateRef,
      createdAt: task.createdAt ?? new Date(0).toISOString(),
      resources: [],
      ...run,
      createdBy: task.createdBy,
    };
  }

  for (const verb of ['cancel', 'retry'] as const) {
    router.post(`/v2/tasks/:taskId/${verb}`, async req => {
      const { taskId } = req.params;
      const run = await runOf(taskId);
      const credentials = await credentialsOf(req);
      // An unknown task is the scaffolder's to answer (404).
      if (run && !(await access.canManageRun(credentials, run))) {
        throw new NotAllowedError(
          `You may not ${verb} run ${taskId}: it was started by ${
            run.createdBy ?? 'an unknown user'
          }, and only they, their teams and platform admins may ${verb} it`,
        );
      }
      // A retry while the rollback still runs would race it: the retried
      // steps would find the old resources and replay instead of creating.
      const rollingBack = (run?.resources ?? []).filter(r =>
        UNRESOLVED_STATES.includes(r.state),
      );
      if (verb === 'retry' && rollingBack.length > 0) {
        throw new ConflictError(
          `Run ${taskId} is still being rolled back (${rollingBack
            .map(r => r.identity)
            .join(', ')}); retry it once its rollback has finished`,
        );
      }
      const rolledBack = (run?.resources ?? []).filter(r =>
        ROLLED_BACK_STATES.includes(r.state),
      );
      if (
        verb === 'retry' &&
        options.taskRecoveryEnabled &&
        rolledBack.length > 0
      ) {
        throw new ConflictError(
          `Run ${taskId} cannot be retried: its rollback removed what its completed steps created (${rolledBack
            .map(r => r.identity)
            .join(
              ', ',
            )}), and with scaffolder.taskRecovery enabled the scaffolder would skip those steps; start a new run instead`,
        );
      }
      if (verb === 'cancel' && run?.status === 'processing') {
        // The scaffolder keeps no record of who cancelled; the rollback says.
        await journal.recordCancellation(taskId, describeCaller(credentials));
      }
      return 'next';
    });
  }

  return router;
}

function describeCaller(credentials: BackstageCredentials): string {
  const principal = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  return principal.userEntityRef ?? principal.subject ?? principal.type;
}
