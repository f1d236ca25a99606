import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import type { ScaffolderTaskStatus } from '@backstage/plugin-scaffolder-common';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PlatformBackend } from '../lib/backend';
import { formatEvent, plainProgress, waitForRun } from '../lib/follow';
import { userOfToken } from '../lib/identity';
import { OutputFormat, outputOption, printOutput } from '../lib/output';
import { printRunReport, printRunTable } from '../lib/runOutput';
import { isRunning, refusing, reportRun, toPlatformRun } from '../lib/runs';
import { ScaffolderRuns } from '../lib/scaffolder';

const STATUSES: ScaffolderTaskStatus[] = [
  'open',
  'processing',
  'completed',
  'failed',
  'cancelled',
];

function parseStatuses(value: string): ScaffolderTaskStatus[] {
  const statuses = value.split(',').map(status => status.trim());
  const unknown = statuses.filter(
    status => !STATUSES.includes(status as ScaffolderTaskStatus),
  );
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `${unknown.join(', ')} is not one of ${STATUSES.join(', ')}.`,
    );
  }
  return statuses as ScaffolderTaskStatus[];
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
      'List runs you may see, newest first, with what became of the resources each created',
    )
    .option('--mine', 'only runs you started (needs a Backstage user token)')
    .addOption(
      new Option(
        '--created-by <user>',
        'only runs this user started, as ada or user:default/ada',
      ).conflicts('mine'),
    )
    .option(
      '--status <statuses>',
      `only runs in these states, comma-separated: ${STATUSES.join(', ')}`,
      parseStatuses,
    )
    .option('--limit <n>', 'at most this many runs', parseLimit, 20)
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
The JSON output is a list of runs, each { taskId, status, templateRef,
createdBy, createdAt, cancelledBy, resources }, as the platform's runs API
describes them; resources is [] for a run that created nothing.

Examples:
  platform runs ls --mine --status failed
  platform runs ls -o json | jq -r '.[] | select(.status == "failed") | .taskId'`,
    )
    .action(
      async (options: {
        mine?: boolean;
        createdBy?: string;
        status?: ScaffolderTaskStatus[];
        limit: number;
        output: OutputFormat;
      }) => {
        const backend = await PlatformBackend.connect();
        const scaffolder = new ScaffolderRuns(backend);
        let createdBy: string | undefined;
        if (options.mine) {
          createdBy = userOfToken(backend.token);
        } else if (options.createdBy) {
          createdBy = stringifyEntityRef(
            parseEntityRef(options.createdBy, {
              defaultKind: 'user',
              defaultNamespace: 'default',
            }),
          );
        }
        const [tasks, journaled] = await Promise.all([
          scaffolder.tasks({
            createdBy,
            status: options.status,
            limit: options.limit,
          }),
          scaffolder.platformRuns(),
        ]);
        const runsByTask = new Map(journaled.map(run => [run.taskId, run]));
        const listed = tasks.map(task =>
          toPlatformRun(task, runsByTask.get(task.id)),
        );
        printOutput(options.output, listed, printRunTable);
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
