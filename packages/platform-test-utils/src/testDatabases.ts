import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import path from 'node:path';
import {
  findPostgresBinDir,
  startTestPostgres,
  TestPostgres,
} from './postgres';

const POSTGRES_IDS: TestDatabaseId[] = [
  'POSTGRES_18',
  'POSTGRES_17',
  'POSTGRES_16',
  'POSTGRES_15',
  'POSTGRES_14',
  'POSTGRES_13',
  'POSTGRES_12',
  'POSTGRES_11',
  'POSTGRES_9',
];

/** The variable TestDatabases reads a server of that version from. */
function connectionVariable(id: TestDatabaseId): string {
  return `BACKSTAGE_TEST_DATABASE_${id.replace('_', '')}_CONNECTION_STRING`;
}

/**
 * The databases a test file runs on, as `TestDatabases` ids: SQLite, and
 * PostgreSQL without Docker, which these machines lack. A PostgreSQL named by
 * TestDatabases' own variable (for example
 * `BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING`) is used as it is;
 * otherwise Debian's PostgreSQL, if installed, is started for the file and
 * handed to TestDatabases under that variable. Call it at the top of a test
 * file: it adds the hooks that start and stop the server.
 */
export function testDatabases(): {
  databases: TestDatabases;
  ids: TestDatabaseId[];
} {
  const configured = POSTGRES_IDS.filter(
    id => process.env[connectionVariable(id)],
  );
  if (configured.length > 0) {
    const databases = TestDatabases.create({
      ids: ['SQLITE_3', ...configured],
    });
    return { databases, ids: databases.eachSupportedId().map(([id]) => id) };
  }

  const binDir = findPostgresBinDir();
  const debian =
    binDir &&
    (`POSTGRES_${path.basename(path.dirname(binDir))}` as TestDatabaseId);
  if (!binDir || !debian || !POSTGRES_IDS.includes(debian)) {
    // eslint-disable-next-line no-console
    console.warn(
      'PostgreSQL tests skipped: no connection string in a BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING variable, and no initdb/pg_ctl under /usr/lib/postgresql/*/bin (apt-get install postgresql)',
    );
    return {
      databases: TestDatabases.create({ ids: ['SQLITE_3'] }),
      ids: ['SQLITE_3'],
    };
  }
  // TestDatabases takes an id without a server only where it may start
  // Docker; it never does here, since the variable is set before the first
  // init() reads it.
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', debian],
    disableDocker: false,
  });
  let server: TestPostgres | undefined;
  beforeAll(async () => {
    server = await startTestPostgres(binDir);
    const { user, host, port, database } = server.connection;
    process.env[
      connectionVariable(debian)
    ] = `postgresql://${user}@${host}:${port}/${database}`;
  }, 120_000);
  // After the hook TestDatabases.create added, which drops its databases:
  // Jest runs afterAll hooks in the order they were added.
  afterAll(async () => {
    await server?.stop();
    delete process.env[connectionVariable(debian)];
  }, 60_000);
  return { databases, ids: ['SQLITE_3', debian] };
}
