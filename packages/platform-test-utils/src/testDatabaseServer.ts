import fs from 'node:fs';
import { Client } from 'pg';
import { startTestPostgres } from './postgres';

/** The admin role of the test database server, as `platform.databases` names it. */
export const TEST_DATABASE_ADMIN = {
  user: 'platform_admin',
  password: 'canary-admin-7c1d4e9a2b6f4038',
};

/** A PostgreSQL server as the platform manages one, for tests. */
export interface TestDatabaseServer {
  host: string;
  port: number;
  adminUser: string;
  adminPassword: string;
  /** A connection as the bootstrap superuser, to look and to misbehave. */
  superuser(): Promise<Client>;
  /** A connection as any role, with its password checked (SCRAM over TCP). */
  connectAs(user: string, password: string, database: string): Promise<Client>;
  stop(): Promise<void>;
}

/**
 * Debian's PostgreSQL with the admin role the database module's README
 * asks for, exactly `CREATEROLE CREATEDB`, and password authentication
 * (SCRAM) for every role but the bootstrap superuser, so that generated
 * credentials are really checked.
 */
export async function startTestDatabaseServer(
  binDir: string,
): Promise<TestDatabaseServer> {
  const pg = await startTestPostgres(binDir);
  const { host, port, user } = pg.connection;
  const superuser = async () => {
    const client = new Client({ host, port, user, database: 'postgres' });
    await client.connect();
    return client;
  };
  const su = await superuser();
  try {
    await su.query(
      `CREATE ROLE ${TEST_DATABASE_ADMIN.user} LOGIN CREATEROLE CREATEDB PASSWORD '${TEST_DATABASE_ADMIN.password}'`,
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
  return {
    host,
    port,
    adminUser: TEST_DATABASE_ADMIN.user,
    adminPassword: TEST_DATABASE_ADMIN.password,
    superuser,
    async connectAs(role, password, database) {
      const client = new Client({ host, port, user: role, password, database });
      client.on('error', () => {});
      await client.connect();
      return client;
    },
    stop: () => pg.stop(),
  };
}
