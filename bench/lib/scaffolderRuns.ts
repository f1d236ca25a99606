/*
 * Scaffolder tasks and the rollback journal's records of them, written
 * straight into a database, for the benchmarks that need many runs.
 */
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { DatabaseRollbackJournal } from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import {
  createSqliteDatabase,
  TestPostgres,
} from '@internal/platform-test-utils';
import knexFactory, { Knex } from 'knex';
import { randomUUID } from 'node:crypto';

/**
 * An empty database of the caller's own: a new one on the PostgreSQL server
 * at `postgres`, else SQLite in memory.
 */
export async function openBenchDatabase(
  postgres?: TestPostgres['connection'],
): Promise<Knex> {
  if (!postgres) {
    return createSqliteDatabase();
  }
  const name = `bench_${randomUUID().replace(/-/g, '')}`;
  const admin = knexFactory({ client: 'pg', connection: postgres });
  await admin.raw('CREATE DATABASE ??', [name]);
  await admin.destroy();
  return knexFactory({
    client: 'pg',
    connection: { ...postgres, database: name },
  });
}

/** A spec of the size the golden path's tasks have: parameters and six steps. */
export function taskSpec(i: number): string {
  return JSON.stringify({
    apiVersion: 'scaffolder.backstage.io/v1beta3',
    templateInfo: { entityRef: 'template:default/microservice' },
    parameters: {
      name: `svc-${i}`,
      owner: 'group:default/payments-team',
      description: 'A service made by the benchmark',
      repoUrl: `github.com?owner=acme&repo=svc-${i}`,
    },
    steps: [
      'fetch:template',
      'platform:github:repo:create',
      'publish:github',
      'platform:kubernetes:namespace:create',
      'platform:kubernetes:apply',
      'platform:catalog:register',
    ].map((action, step) => ({
      id: `step-${step}`,
      name: `Step ${step}: ${action}`,
      action,
      input: {
        name: '${{ parameters.name }}',
        owner: '${{ parameters.owner }}',
        repoUrl: '${{ parameters.repoUrl }}',
        labels: { team: 'payments', tier: 'backend', step: String(step) },
      },
    })),
    output: {
      links: [{ title: 'Repository', url: '${{ steps.repo.output.url }}' }],
    },
  });
}

/**
 * Migrates the scaffolder's tables and the journal's, then writes `runs`
 * tasks (task `i` with `status(i)`, created by `createdBy(i)`), each with the
 * journal records `resources(i)` gives, and returns the task ids in order.
 */
export async function seedScaffolderRuns(
  knex: Knex,
  options: {
    runs: number;
    status: (i: number) => string;
    createdBy?: (i: number) => string;
    resources: (i: number) => Array<{ kind: string; state: 'created' }>;
  },
): Promise<string[]> {
  await knex.migrate.latest({
    directory: resolvePackagePath(
      '@backstage/plugin-scaffolder-backend',
      'migrations',
    ),
  });
  await DatabaseRollbackJournal.runMigrations(knex);
  const taskIds = Array.from({ length: options.runs }, () => randomUUID());
  await knex.batchInsert(
    'tasks',
    taskIds.map((id, i) => ({
      id,
      spec: taskSpec(i),
      status: options.status(i),
      created_by: options.createdBy?.(i) ?? 'user:default/bench',
      // As the scaffolder writes it: a JS Date is a number in SQLite, which
      // its stale-task check reads as older than any time.
      last_heartbeat_at: knex.fn.now(),
    })),
    100,
  );
  const journal = new DatabaseRollbackJournal(knex);
  for (const [i, taskId] of taskIds.entries()) {
    for (const [r, resource] of options.resources(i).entries()) {
      const entry = await journal.recordIntent({
        taskId,
        stepId: `step-${r + 1}`,
        kind: resource.kind,
        identity: `acme/${taskId}/${r}`,
      });
      await journal.markCreated(entry.id);
    }
  }
  return taskIds;
}
