import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { DatabaseRollbackJournal } from '../DatabaseRollbackJournal';

/**
 * A fresh database with the scaffolder's own tables, as its migrations make
 * them, beside the journal's.
 */
export async function initScaffolderDatabase(
  databases: TestDatabases,
  id: TestDatabaseId,
): Promise<Knex> {
  const db = await databases.init(id);
  await db.migrate.latest({
    directory: resolvePackagePath(
      '@backstage/plugin-scaffolder-backend',
      'migrations',
    ),
  });
  await DatabaseRollbackJournal.runMigrations(db);
  return db;
}
