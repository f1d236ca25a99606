import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { Command, Option } from 'commander';
import { PlatformBackend } from '../lib/backend';
import { waitForRun } from '../lib/follow';
import {
  OutputFormat,
  outputOption,
  printOutput,
  printTable,
} from '../lib/output';
import { cleanMessage, EXIT_CODES, refusing } from '../lib/runs';
import { Plan, ScaffolderRuns } from '../lib/scaffolder';
import {
  parseValueOptions,
  ValueOptions,
  withTemplateDefaults,
} from '../lib/values';

/**
 * Lines of a dry run's log that say nothing a plan reader needs: the step
 * boundaries, which the plan prints as headings, and the dump of each
 * step's inputs, which repeats the values given.
 */
const PLAN_NOISE = [
  /^Starting up task with \d+ steps$/,
  /^Finished step /,
  /^Running \S+ in dry-run mode with inputs/,
];

function printPlan(templateRef: string, plan: Plan): void {
  if (!plan.accepted) {
    process.stdout.write(
      `The platform would refuse this run of ${templateRef}:\n`,
    );
    for (const line of plan.log) {
      process.stdout.write(`${cleanMessage(line)}\n`);
    }
    return;
  }
  process.stdout.write(
    `A run of ${templateRef} would take these steps; nothing was created:\n\n`,
  );
  printTable([
    ['STEP', 'ACTION', 'NAME'],
    ...plan.steps.map(step => [step.id, step.action, step.name]),
  ]);
  process.stdout.write('\nWhat each step would do:\n');
  const headings = new Map(
    plan.steps.map(step => [`Beginning step ${step.name}`, step]),
  );
  for (const line of plan.log.map(cleanMessage)) {
    const step = headings.get(line);
    if (step) {
      process.stdout.write(`\n${step.id} (${step.name})\n`);
    } else if (!PLAN_NOISE.some(noise => noise.test(line))) {
      process.stdout.write(`  ${line.replace(/\n/g, '\n  ')}\n`);
    }
  }
  process.stdout.write(
    "\nThe platform's preflight found nothing in the way: every name is free and every step is permitted.\n",
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface CreateOptions extends ValueOptions {
  plan?: boolean;
  wait?: boolean;
  output: OutputFormat;
}

export function registerCreateCommands(program: Command): void {
  program
    .command('create')
    .description(
      'Create a service from a golden-path template, or plan what that would do',
    )
    .argument(
      '<template>',
      'the template, as microservice or template:default/microservice',
    )
    .option(
      '--set <key=value>',
      'a parameter value, read as JSON when it is JSON (true, 3, ["a"]) and as a string otherwise; repeatable',
      collect,
      [],
    )
    .option(
      '--set-json <key=json>',
      'a parameter value that must be JSON, such as a list; repeatable',
      collect,
      [],
    )
    .option(
      '--set-string <key=value>',
      'a parameter value taken as a string even when it looks like JSON; repeatable',
      collect,
      [],
    )
    .addOption(
      new Option(
        '--plan',
        'only say what the run would do and whether the platform would refuse it; create nothing',
      ).conflicts('wait'),
    )
    .option(
      '--wait',
      'follow the run to its end, and its rollback if it fails, and exit with its outcome',
    )
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
Values not given take the template's defaults, as the form in Backstage fills
them in. Without --wait, prints the id of the run it started.

Exit codes:
  0  the run completed (with --plan: the platform would accept it)
  1  it failed or was cancelled, and everything it created was rolled back
  2  it failed or was cancelled, and something it created is left over
  3  refused before anything was written: bad values, an unknown template,
     no permission, or its preflight found a name taken or a step not permitted

Examples:
  platform create microservice --plan --set service_name=payments \\
    --set owner=group:default/team-payments
  platform create microservice --wait --set service_name=payments \\
    --set owner=group:default/team-payments --set expose_public=true \\
    --set-json 'dependencies=[{"target":"resource:default/orders-db","type":"data"}]'`,
    )
    .action(async (template: string, options: CreateOptions) => {
      const templateRef = stringifyEntityRef(
        parseEntityRef(template, {
          defaultKind: 'template',
          defaultNamespace: 'default',
        }),
      );
      const given = parseValueOptions(options);
      const runs = new ScaffolderRuns(await PlatformBackend.connect());
      const { steps } = await refusing(runs.parameterSchema(templateRef));
      const values = withTemplateDefaults(given, steps);
      if (options.plan) {
        const plan = await refusing(runs.plan(templateRef, values));
        printOutput(options.output, { templateRef, values, ...plan }, () =>
          printPlan(templateRef, plan),
        );
        process.exitCode = plan.accepted
          ? EXIT_CODES.completed
          : EXIT_CODES.refused;
        return;
      }
      const taskId = await refusing(runs.start(templateRef, values));
      if (options.wait) {
        process.stderr.write(`Started run ${taskId} of ${templateRef}\n`);
        await waitForRun({ runs, taskId, output: options.output });
        return;
      }
      process.stderr.write(
        `Started run ${taskId} of ${templateRef}; follow it with: platform runs logs ${taskId} --follow\n`,
      );
      printOutput(options.output, { taskId }, () =>
        process.stdout.write(`${taskId}\n`),
      );
    });
}
