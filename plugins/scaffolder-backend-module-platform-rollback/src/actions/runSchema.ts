import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { PlatformRun } from '@internal/plugin-platform-common';

/** The zod the actions registry hands an action's schema functions. */
type Zod = Parameters<
  Parameters<ActionsRegistryService['register']>[0]['schema']['input']
>[0];

/** A run as the platform's run actions answer it. */
export function runSchema(z: Zod) {
  return z.object({
    taskId: z.string().describe('The scaffolder task id'),
    status: z
      .string()
      .describe(
        'processing, completed, failed, cancelled, or expired (the task is gone; what it created was left in place)',
      ),
    serviceName: z
      .string()
      .optional()
      .describe('The service the run creates, from its service_name parameter'),
    templateRef: z.string().optional().describe('The golden-path template'),
    createdBy: z.string().optional().describe('Who started the run'),
    cancelledBy: z.string().optional().describe('Who cancelled it'),
    createdAt: z.string().describe('When it started (ISO 8601)'),
    durationMs: z.number().optional().describe('How long it took, once ended'),
    rollback: z
      .object({
        rolledBack: z.number(),
        failed: z.number().describe('Left over: see each resource reason'),
        inProgress: z.number(),
      })
      .optional()
      .describe(
        'What rollback did with the resources; absent when it had nothing to do',
      ),
    resources: z.array(
      z.object({
        stepId: z.string(),
        kind: z.string().describe('e.g. github:repository'),
        identity: z.string().describe('e.g. acme/payments'),
        url: z.string().optional(),
        state: z
          .string()
          .describe(
            'pending, created, kept, rolling_back, rolled_back or rollback_failed',
          ),
        reason: z
          .string()
          .optional()
          .describe('What the rollback did, or why it failed'),
      }),
    ),
  });
}

/** The run without the journal's internal ids, for an action's output. */
export function toRunOutput(run: PlatformRun) {
  return {
    ...run,
    resources: run.resources.map(
      ({ id: _id, taskId: _taskId, createdAt: _c, updatedAt: _u, ...r }) => r,
    ),
  };
}
