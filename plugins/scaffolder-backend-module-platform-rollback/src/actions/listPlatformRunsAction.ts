import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { PlatformRuns } from '../service/PlatformRuns';
import { runSchema, toRunOutput } from './runSchema';

/**
 * `scaffolder:list-platform-runs`: one page of the runs the caller may
 * read, newest first.
 */
export function registerListPlatformRunsAction(options: {
  actionsRegistry: ActionsRegistryService;
  runs: PlatformRuns;
}): void {
  const { actionsRegistry, runs } = options;
  actionsRegistry.register({
    name: 'list-platform-runs',
    title: 'List platform runs',
    description:
      "Lists golden-path runs (scaffolder tasks) that the caller may read, newest first: the service each creates, its template, who started it, when, how long it took, its status and what rollback did with what it created. A run refused before it created anything is listed too. whose narrows to the caller's own runs (mine), runs started by anyone in the caller's teams (my-teams) or every run the caller may read (all). totalItems counts every match; when nextCursor is set, call again with only that cursor (and limit) for the next page. Use scaffolder:get-platform-run for one run with its resources and their rollback outcomes.",
    attributes: { destructive: false, readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z.object({
          whose: z
            .enum(['mine', 'my-teams', 'all'])
            .default('all')
            .describe(
              'mine: runs the caller started; my-teams: runs started by anyone who shares a team with the caller; all: every run the caller may read',
            ),
          status: z
            .string()
            .optional()
            .describe(
              'Only runs in this status: processing, completed, failed, cancelled or expired',
            ),
          template: z
            .string()
            .optional()
            .describe(
              'Only runs of this template: microservice or template:default/microservice',
            ),
          limit: z
            .number()
            .int()
            .min(1)
            .max(200)
            .default(20)
            .describe('At most this many runs in the answer'),
          cursor: z
            .string()
            .optional()
            .describe(
              'nextCursor of the previous answer; it carries the filters, which are then ignored',
            ),
        }),
      output: z =>
        z.object({
          runs: z.array(runSchema(z)),
          totalItems: z
            .number()
            .describe('How many runs match, across all pages'),
          nextCursor: z
            .string()
            .optional()
            .describe('Pass as cursor for the next page; absent on the last'),
        }),
    },
    async action({ input, credentials }) {
      const {
        runs: page,
        totalItems,
        nextCursor,
      } = await runs.list(credentials, input);
      return {
        output: { runs: page.map(toRunOutput), totalItems, nextCursor },
      };
    },
  });
}
