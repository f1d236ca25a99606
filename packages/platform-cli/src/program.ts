import { toError } from '@backstage/errors';
import { Command } from 'commander';
import { version } from '../package.json';
import { registerLoginCommands } from './commands/login';
import { registerServicesCommands } from './commands/services';
import { registerValidateCommands } from './commands/validate';

/**
 * The command groups, one file each under commands/; a new group (create,
 * runs) is one more file and one more entry here.
 */
const commandGroups = [
  registerValidateCommands,
  registerLoginCommands,
  registerServicesCommands,
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
 * Runs the command line. A failure ends as one line on stderr and exit code
 * 1, in the form commander uses for its own usage errors; a stack trace would
 * help only the CLI's authors.
 */
export async function run(argv: string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (error) {
    const message = toError(error).message.split('\n')[0];
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = 1;
  }
}
