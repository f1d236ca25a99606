import { InputError } from '@backstage/errors';
import { PlatformRun, PlatformRunPage } from '@internal/plugin-platform-common';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PlatformBackend } from '../lib/backend';
import { formatEvent, plainProgress, waitForRun } from '../lib/follow';
import { OutputFormat, outputOption, printOutput } from '../lib/output';
import { printRunReport, printRunsTable } from '../lib/runOutput';
import { isRunning, refusing, reportRun } from '../lib/runs';
import { ScaffolderRuns } from '../lib/scaffolder';

/** The scaffolder's task states, and `expired`: the task is gone. */
const STATUSES = [
  'open',
  'processing',
  'completed',
  'failed',
  'cancelled',
  'expired',
];

/** The platform's runs API. */
const RUNS_API = '/api/scaffolder/platform/runs';

/** The most runs the runs API answers at once. */
const MAX_PAGE = 500;

function parseStatuses(value: string): string[] {
  const statuses = value.split(',').map(status => status.trim());
  const unknown = statuses.filter(status => !STATUSES.includes(status));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `${unknown.join(', ')} is not one of ${STATUSES.join(', ')}.`,
    );
  }
  return statuses;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new InvalidArgumentError('It is not a positive whole number.');
  }
  return limit;
}

async function connect(): Promise<ScaffolderRuns> {
  return new ScaffolderRuns(await PlatformBackend.connect());
}

const EXIT_CODES_HELP = `
Exit codes with --wait (and runs logs --follow):
  0  the run completed
  1  it failed or was cancelled, and everything it created was rolled back
  2  it failed or was cancelled, and something it created is left over
  3  refused before anything was written`;

export function registerRunsCommands(program: Command): void {
  const runs = program
    .command('runs')
    .description(
      'Runs of golden-path templates: what each created and what became of it, logs, cancel and retry',
    );

  runs
    .command('ls')
    .description(
      'List runs you may see, newest first: the service each creates, its template, who started it, and what became of the resources it created',
    )
    .option('--mine', 'only runs you started (needs a Backstage user token)')
    .addOption(
      new Option(
        '--teams',
        'only runs started by you or anyone in your teams (needs a Backstage user token)',
      ).conflicts('mine'),
    )
    .addOption(
      new Option('--all', 'every run you may see (the default)').conflicts([
        'mine',
        'teams',
      ]),
    )
    .option(
      '--created-by <user>',
      'only runs this user started, as ada or user:default/ada',
    )
    .option(
      '--status <statuses>',
      `only runs in these states, comma-separated: ${STATUSES.join(', ')}`,
      parseStatuses,
    )
    .option(
      '--template <template>',
      'only runs of this template, as microservice or template:default/microservice',
    )
    .option(
      '--limit <n>',
      'at most this many runs, read page by page',
      parseLimit,
      20,
    )
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
The JSON output is a list of runs, each { taskId, serviceName, status,
templateRef, createdBy, createdAt, durationMs, cancelledBy, rollback,
resources }, as the platform's runs API describes them; resources is [] for
a run that created nothing, such as one refused before any write.

Examples:
  platform runs ls --mine --status failed
  platform runs ls --teams --template microservice --limit 100
  platform runs ls -o json | jq -r '.[] | select(.status == "failed") | .taskId'`,
    )
    .action(
      async (options: {
        mine?: boolean;
        teams?: boolean;
        createdBy?: string;
        status?: string[];
        template?: string;
        limit: number;
        output: OutputFormat;
      }) => {
        const backend = await PlatformBackend.connect();
        let whose = 'all';
        if (options.mine) {
          whose = 'mine';
        } else if (options.teams) {
          whose = 'my-teams';
        }
        const listed: PlatformRun[] = [];
        let page: PlatformRunPage | undefined;
        do {
          page = await backend.request<PlatformRunPage>(RUNS_API, {
            query: {
              ...(page?.nextCursor
                ? { cursor: page.nextCursor }
                : {
                    whose,
                    createdBy: options.createdBy,
                    status: options.status?.join(','),
                    template: options.template,
                  }),
              limit: Math.min(options.limit - listed.length, MAX_PAGE),
            },
          });
          listed.push(...page.runs);
        } while (page.nextCursor && listed.length < options.limit);
        printOutput(options.output, listed, printRunsTable);
        if (listed.length < page.totalItems) {
          process.stderr.write(
            `Showing the newest ${listed.length} of ${page.totalItems} runs; --limit shows more.\n`,
          );
        }
      },
    );

  runs
    .command('show')
    .description(
      'Show one run: how it ended, the step it failed at, and what became of each resource it created',
    )
    .argument('<id>', 'the run (scaffolder task) id')
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
The JSON output is the run as runs ls prints it, with cancelled, failedStep
({ id, name, action, message }) and outcome: running, rolling_back,
completed, rolled_back, left_over or refused.`,
    )
    .action(async (id: string, options: { output: OutputFormat }) => {
      const scaffolder = await connect();
      const task = await scaffolder.task(id);
      const [events, run] = await Promise.all([
        // Only an ended run has a failed step to find; the log of a run
        // no worker has picked up yet would keep the request waiting.
        isRunning(task) ? [] : scaffolder.events(id),
        scaffolder.platformRun(id),
      ]);
      printOutput(
        options.output,
        reportRun({ task, events, run }),
        printRunReport,
      );
    });

  runs
    .command('logs')
    .description("Print a run's log; with --follow, until it ends")
    .argument('<id>', 'the run (scaffolder task) id')
    .option(
      '--follow',
      'keep printing until the run and its rollback end, then report and exit with its outcome',
    )
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (id: string, options: { follow?: boolean }) => {
      const scaffolder = await connect();
      if (options.follow) {
        await waitForRun({
          runs: scaffolder,
          taskId: id,
          output: 'table',
          progress: () => plainProgress(process.stdout),
        });
        return;
      }
      await scaffolder.task(id);
      for (const event of await scaffolder.events(id)) {
        process.stdout.write(formatEvent(event));
      }
    });

  runs
    .command('cancel')
    .description(
      'Cancel a running run; the platform rolls back what it created',
    )
    .argument('<id>', 'the run (scaffolder task) id')
    .option(
      '--wait',
      'wait for the run to stop and its rollback to end, and exit with its outcome',
    )
    .addOption(outputOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(
      async (id: string, options: { wait?: boolean; output: OutputFormat }) => {
        const scaffolder = await connect();
        const task = await scaffolder.task(id);
        // The scaffolder answers a cancel of an ended run as if it worked.
        if (!isRunning(task)) {
          throw new InputError(
            `Run ${id} has already ended (${task.status}); there is nothing to cancel`,
          );
        }
        await refusing(scaffolder.cancel(id));
        process.stderr.write(
          `Cancelled run ${id}; the platform rolls back what it created\n`,
        );
        if (options.wait) {
          await waitForRun({
            runs: scaffolder,
            taskId: id,
            output: options.output,
          });
        }
      },
    );

  runs
    .command('retry')
    .description(
      'Run a failed or cancelled run again, once its rollback has ended',
    )
    .argument('<id>', 'the run (scaffolder task) id')
    .option(
      '--wait',
      'follow the new attempt to its end, and exit with its outcome',
    )
    .addOption(outputOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(
      async (id: string, options: { wait?: boolean; output: OutputFormat }) => {
        const scaffolder = await connect();
        const task = await scaffolder.task(id);
        // The scaffolder would retry a completed run too, and if the
        // attempt failed (its names now taken), the rollback would remove
        // what the completed attempt created.
        if (task.status !== 'failed' && task.status !== 'cancelled') {
          throw new InputError(
            `Run ${id} is ${task.status}; only a failed or cancelled run can be retried`,
          );
        }
        const before = await scaffolder.events(id);
        await refusing(scaffolder.retry(id));
        process.stderr.write(`Retrying run ${id}\n`);
        if (options.wait) {
          await waitForRun({
            runs: scaffolder,
            taskId: id,
            output: options.output,
            after: before.at(-1)?.id,
          });
        }
      },
    );
}
