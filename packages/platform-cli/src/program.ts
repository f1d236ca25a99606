import { toError } from '@backstage/errors';
import { Command } from 'commander';
import { version } from '../package.json';
import { registerCreateCommands } from './commands/create';
import { registerLoginCommands } from './commands/login';
import { registerRunsCommands } from './commands/runs';
import { registerServicesCommands } from './commands/services';
import { registerValidateCommands } from './commands/validate';

/** The command groups, one file each under commands/. */
const commandGroups = [
  registerValidateCommands,
  registerLoginCommands,
  registerServicesCommands,
  registerCreateCommands,
  registerRunsCommands,
];

function createProgram(): Command {
  const program = new Command('platform')
    .description('The internal developer platform from the command line')
    .version(version);
  for (const register of commandGroups) {
    register(program);
  }
  return program;
}

/**
 * Runs the command line. A failure ends as one line on stderr, in the form
 * commander uses for its own usage errors, and exit code 1, or the code the
 * error carries (3 for a request the platform refused); a stack trace would
 * help only the CLI's authors.
 */
export async function run(argv: string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (error) {
    const failure = toError(error);
    process.stderr.write(`error: ${failure.message.split('\n')[0]}\n`);
    process.exitCode =
      'exitCode' in failure && typeof failure.exitCode === 'number'
        ? failure.exitCode
        : 1;
  }
}
