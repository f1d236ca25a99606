import { InputError } from '@backstage/errors';
import {
  DEFAULT_LIFECYCLES,
  lifecycleListProblem,
} from '@internal/plugin-platform-common';
import { Command } from 'commander';
import { checkCatalogFile } from '../lib/catalogFiles';

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
    .addHelpText(
      'after',
      `
Prints each problem as FILE:LINE: MESSAGE on stdout and a summary on stderr.
Exits with 1 when there is any problem, 0 when there is none.

Example:
  platform validate catalog-info.yaml catalog/*.yaml`,
    )
    .action(async (files: string[], options: { lifecycles: string }) => {
      const lifecycles = readLifecycleOption(options.lifecycles);
      let entities = 0;
      let problems = 0;
      for (const file of files) {
        const checked = await checkCatalogFile({ file, lifecycles });
        entities += checked.entities;
        problems += checked.problems.length;
        for (const { line, message } of checked.problems) {
          const where = line === undefined ? file : `${file}:${line}`;
          process.stdout.write(`${where}: ${message}\n`);
        }
      }
      const found =
        problems === 0
          ? 'no problems'
          : `${problems} problem${problems === 1 ? '' : 's'}`;
      process.stderr.write(
        `Checked ${entities} entit${entities === 1 ? 'y' : 'ies'} in ${
          files.length
        } file${files.length === 1 ? '' : 's'}: ${found}\n`,
      );
      if (problems > 0) {
        process.exitCode = 1;
      }
    });
}
