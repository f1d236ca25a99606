import {
  findPostgresBinDir,
  startTestDatabaseServer,
  TestDatabaseServer,
} from '@internal/platform-test-utils';
import { Client } from 'pg';
import { DatabaseServer } from '../database/config';

const binDir = findPostgresBinDir();

/** `describe`, or `describe.skip` with a message when Debian's PostgreSQL is missing. */
export const describeWithPostgres: jest.Describe = binDir
  ? describe
  : (() => {
      // eslint-disable-next-line no-console
      console.warn(
        'PostgreSQL tests skipped: no initdb/pg_ctl under /usr/lib/postgresql/*/bin (apt-get install postgresql)',
      );
      return describe.skip;
    })();

export interface TestServer {
  /** The server as platform.databases configures it, with the admin the README describes. */
  server: DatabaseServer;
  /** A connection as the bootstrap superuser, to look and to misbehave. */
  superuser(): Promise<Client>;
  /** A connection as any role, with its password checked (SCRAM over TCP). */
  connectAs(user: string, password: string, database: string): Promise<Client>;
}

/** Debian's PostgreSQL for the calling test file, as the platform manages one. */
export function useTestServer(): () => TestServer {
  let pg: TestDatabaseServer | undefined;
  let current: TestServer | undefined;
  beforeAll(async () => {
    pg = await startTestDatabaseServer(binDir!);
    const { host, port } = pg;
    current = {
      server: {
        name: 'main',
        host,
        port,
        adminUser: pg.adminUser,
        adminPassword: pg.adminPassword,
        adminDatabase: 'postgres',
        serviceHost: host,
        servicePort: port,
        tls: { mode: 'disable' },
      },
      superuser: pg.superuser,
      connectAs: pg.connectAs,
    };
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
  }, 60_000);
  return () => current!;
}
