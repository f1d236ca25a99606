import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { PlatformRuns } from '../service/PlatformRuns';
import { runSchema, toRunOutput } from './runSchema';

/**
 * `scaffolder:get-platform-run`: one run the caller may read, with what it
 * created and what rollback did with each.
 */
export function registerGetPlatformRunAction(options: {
  actionsRegistry: ActionsRegistryService;
  runs: PlatformRuns;
}): void {
  const { actionsRegistry, runs } = options;
  actionsRegistry.register({
    name: 'get-platform-run',
    title: 'Get a platform run',
    description:
      "Describes one golden-path run (scaffolder task): the service it creates, its template, who started and who cancelled it, when, how long it took, its status, and each resource it created (repository, namespace, database, deployment, catalog entry) with its state and what rollback did with it, or why a rollback failed and the resource was left over. A run the caller may not read is not found. Find task ids with scaffolder:list-platform-runs; the run's log is scaffolder:get-scaffolder-task-logs.",
    attributes: { destructive: false, readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z.object({
          taskId: z.string().describe("The run's scaffolder task id"),
        }),
      output: runSchema,
    },
    async action({ input, credentials }) {
      return {
        output: toRunOutput(await runs.get(credentials, input.taskId)),
      };
    },
  });
}
