import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';

const run = promisify(execFile);

/** Debian installs each PostgreSQL major under /usr/lib/postgresql/<major>/bin. */
export function findPostgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) {
    return undefined;
  }
  const majors = fs
    .readdirSync(root)
    .filter(d => fs.existsSync(path.join(root, d, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length ? path.join(root, majors[0], 'bin') : undefined;
}

// util-linux puts runuser in sbin, which a non-login shell's PATH may lack.
function findRunuser(): string {
  return (
    ['/usr/sbin/runuser', '/sbin/runuser'].find(bin => fs.existsSync(bin)) ??
    'runuser'
  );
}

export interface TestPostgres {
  connection: {
    host: string;
    port: number;
    user: string;
    database: string;
  };
  stop(): Promise<void>;
}

/**
 * Starts a throwaway PostgreSQL on a free loopback port. PostgreSQL refuses
 * to run as root, so as root the server runs as Debian's `postgres` user.
 */
export async function startTestPostgres(binDir: string): Promise<TestPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-pg-'));
  const dataDir = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'postgres' : os.userInfo().username;
  const exec = (bin: string, args: string[]) =>
    asRoot
      ? run(findRunuser(), [
          '-u',
          'postgres',
          '--',
          path.join(binDir, bin),
          ...args,
        ])
      : run(path.join(binDir, bin), args);
  if (asRoot) {
    await run('chown', ['postgres', dir]);
  }
  await exec('initdb', [
    '-D',
    dataDir,
    '-U',
    user,
    '--auth=trust',
    '-E',
    'UTF8',
  ]);
  const port = await freePort();
  await exec('pg_ctl', [
    '-D',
    dataDir,
    '-w',
    '-l',
    path.join(dir, 'server.log'),
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    'start',
  ]);
  return {
    connection: { host: '127.0.0.1', port, user, database: 'postgres' },
    async stop() {
      await exec('pg_ctl', ['-D', dataDir, '-m', 'immediate', 'stop']);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
