import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const bin = resolve(__dirname, '../../bin/platform');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the platform command as a user would, in a child process of its own.
 * Asynchronously, so that a backend started by the test keeps answering
 * while the command runs.
 */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise(done => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        cwd: options.cwd,
        // Only what the test passes, so that a developer's own login or
        // PLATFORM_TOKEN cannot leak into a result.
        env: { PATH: process.env.PATH ?? '', ...options.env },
      },
      (error, stdout, stderr) => {
        const code = error ? Number(error.code ?? 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}
