import { InputError } from '@backstage/errors';
import {
  DEFAULT_LIFECYCLES,
  lifecycleListProblem,
} from '@internal/plugin-platform-common';
import { Command } from 'commander';
import { checkCatalogFileAt } from '../lib/catalogFiles';
import { OutputFormat, outputOption, printOutput } from '../lib/output';

/** One problem of `validate -o json`; `line` is left out when it has none. */
interface ValidateProblem {
  file: string;
  line?: number;
  message: string;
}

function readLifecycleOption(value: string): ReadonlySet<string> {
  const lifecycles = value.split(',').map(lifecycle => lifecycle.trim());
  const problem = lifecycleListProblem(lifecycles, '--lifecycles');
  if (problem) {
    throw new InputError(problem);
  }
  return new Set(lifecycles);
}

export function registerValidateCommands(program: Command): void {
  program
    .command('validate')
    .description(
      "Check catalog files offline with the catalog's own checks and the platform's rules",
    )
    .argument(
      '[files...]',
      'catalog YAML files, each with one or more entities',
      ['catalog-info.yaml'],
    )
    .option(
      '--lifecycles <names>',
      "the allowed lifecycle stages, comma-separated: the backend's platform.catalog.lifecycles",
      DEFAULT_LIFECYCLES.join(','),
    )
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
Prints each problem as FILE:LINE: MESSAGE on stdout and a summary on stderr.
With -o json, stdout holds one object instead:
  { "entities": 4, "problems": [{ "file": "bad.yaml", "line": 8, "message": "..." }] }
where line is left out for a problem that has none (a file that cannot be read).
Exits with 1 when there is any problem, 0 when there is none.

Examples:
  platform validate catalog-info.yaml catalog/*.yaml
  platform validate -o json catalog-info.yaml | jq -r '.problems[].message'`,
    )
    .action(
      async (
        files: string[],
        options: { lifecycles: string; output: OutputFormat },
      ) => {
        const lifecycles = readLifecycleOption(options.lifecycles);
        let entities = 0;
        const problems: ValidateProblem[] = [];
        for (const file of files) {
          const checked = await checkCatalogFileAt({ file, lifecycles });
          entities += checked.entities;
          problems.push(
            ...checked.problems.map(problem => ({ file, ...problem })),
          );
        }
        printOutput(options.output, { entities, problems }, () => {
          for (const { file, line, message } of problems) {
            const where = line === undefined ? file : `${file}:${line}`;
            process.stdout.write(`${where}: ${message}\n`);
          }
        });
        const count = problems.length;
        const found =
          count === 0
            ? 'no problems'
            : `${count} problem${count === 1 ? '' : 's'}`;
        process.stderr.write(
          `Checked ${entities} entit${entities === 1 ? 'y' : 'ies'} in ${
            files.length
          } file${files.length === 1 ? '' : 's'}: ${found}\n`,
        );
        if (count > 0) {
          process.exitCode = 1;
        }
      },
    );
}
