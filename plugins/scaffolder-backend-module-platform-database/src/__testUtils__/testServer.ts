import {
  findPostgresBinDir,
  startTestPostgres,
  TestPostgres,
} from '@internal/platform-test-utils';
import fs from 'node:fs';
import { Client } from 'pg';
import { DatabaseServer } from '../database/config';

export const ADMIN_USER = 'platform_admin';
export const ADMIN_PASSWORD = 'canary-admin-7c1d4e9a2b6f4038';

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

/**
 * Debian's PostgreSQL for the calling test file, with an admin role that has
 * exactly CREATEROLE and CREATEDB, and password authentication (SCRAM) for
 * every role but the superuser, so the generated credentials are really
 * checked.
 */
export function useTestServer(): () => TestServer {
  let pg: TestPostgres | undefined;
  let current: TestServer | undefined;
  beforeAll(async () => {
    pg = await startTestPostgres(binDir!);
    const { host, port, user } = pg.connection;
    const superuser = async () => {
      const client = new Client({ host, port, user, database: 'postgres' });
      await client.connect();
      return client;
    };
    const su = await superuser();
    try {
      await su.query(
        `CREATE ROLE ${ADMIN_USER} LOGIN CREATEROLE CREATEDB PASSWORD '${ADMIN_PASSWORD}'`,
      );
      const { rows } = await su.query('SHOW hba_file');
      fs.writeFileSync(
        rows[0].hba_file,
        [
          'local all all trust',
          `host all ${user} 127.0.0.1/32 trust`,
          'host all all 127.0.0.1/32 scram-sha-256',
          '',
        ].join('\n'),
      );
      await su.query('SELECT pg_reload_conf()');
    } finally {
      await su.end();
    }
    current = {
      server: {
        name: 'main',
        host,
        port,
        adminUser: ADMIN_USER,
        adminPassword: ADMIN_PASSWORD,
        adminDatabase: 'postgres',
        serviceHost: host,
        servicePort: port,
        tls: { mode: 'disable' },
      },
      superuser,
      async connectAs(role, password, database) {
        const client = new Client({
          host,
          port,
          user: role,
          password,
          database,
        });
        client.on('error', () => {});
        await client.connect();
        return client;
      },
    };
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
  }, 60_000);
  return () => current!;
}
