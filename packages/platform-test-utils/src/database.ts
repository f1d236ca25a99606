import knexFactory, { Knex } from 'knex';

/**
 * An in-memory SQLite database. One connection, because every connection to
 * `:memory:` would be a database of its own.
 */
export function createSqliteDatabase(): Knex {
  return knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
    pool: { min: 1, max: 1 },
  });
}
