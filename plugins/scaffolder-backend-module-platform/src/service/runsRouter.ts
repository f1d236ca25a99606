import {
  AuthService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { taskReadPermission } from '@backstage/plugin-scaffolder-common/alpha';
import { PlatformRun } from '@internal/plugin-platform-common';
import express from 'express';
import Router from 'express-promise-router';
import { DatabaseRollbackJournal } from '../rollback/DatabaseRollbackJournal';

/**
 * `GET /platform/runs` and `GET /platform/runs/:taskId` on the scaffolder's
 * router: the runs that used platform actions and what became of each
 * resource they created.
 *
 * Reading a run needs `scaffolder.task.read`, like reading the task itself.
 * A conditional decision (the usual "only your own tasks" policy) is applied
 * as "only runs you started", the strictest reading of it.
 */
export function createRunsRouter(options: {
  journal: DatabaseRollbackJournal;
  auth: AuthService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
}): express.Router {
  const { journal, auth, httpAuth, permissions } = options;
  const router = Router();

  async function visibility(
    req: express.Request,
  ): Promise<(run: PlatformRun) => boolean> {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const [decision] = await permissions.authorizeConditional(
      [{ permission: taskReadPermission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.ALLOW) {
      return () => true;
    }
    if (decision.result === AuthorizeResult.DENY) {
      throw new NotAllowedError('You may not read scaffolder tasks');
    }
    const userRef = auth.isPrincipal(credentials, 'user')
      ? credentials.principal.userEntityRef
      : undefined;
    return run => userRef !== undefined && run.createdBy === userRef;
  }

  router.get('/platform/runs', async (req, res) => {
    const visible = await visibility(req);
    const runs = await journal.listRuns();
    res.json({ runs: runs.filter(visible) });
  });

  router.get('/platform/runs/:taskId', async (req, res) => {
    const visible = await visibility(req);
    const run = await journal.getRun(req.params.taskId);
    if (!visible(run)) {
      throw new NotFoundError(`No platform run for task ${req.params.taskId}`);
    }
    res.json(run);
  });

  return router;
}
