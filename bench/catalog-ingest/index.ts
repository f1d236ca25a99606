/*
 * Catalog ingest in a real backend on PostgreSQL: what the platform's catalog
 * module costs a catalog that ingests 10,000 Components with 30,000 typed
 * dependencies, against the stock catalog fed the same edges as
 * `spec.dependsOn`.
 *
 * Run from the repository root: yarn tsx bench/catalog-ingest/index.ts
 *
 * Each ingest is a real catalog backend (startTestBackend with
 * @backstage/plugin-catalog-backend and the catalog's defaults, but for a
 * processing interval longer than the ingest) on a fresh database of its
 * own, on a throwaway PostgreSQL server that the benchmark starts, reading
 * the components from one file location as an app reads catalog-info files.
 * Three configurations, one after another in this process:
 *
 * - stock: no platform module, each typed dependency given to the catalog
 *   as a plain `spec.dependsOn` target (the baseline);
 * - ours: the stock catalog with the platform's catalog module, fed the
 *   typed `spec.dependencies`;
 * - stock fed the typed `spec.dependencies`: what the typed field costs a
 *   catalog that ignores it (no relations come of it), to tell the cost of
 *   the larger documents from the module's.
 *
 * An ingest is over when every entity has been processed and stitched: the
 * benchmark reads the catalog's own tables (read-only, on a connection of
 * its own, once a second) until every row of refresh_state is processed,
 * the stitch queue is empty, every entity has its final form, and the
 * relation count has not moved since the previous look. The figures are
 * from the start of the backend (which begins the ingest) to that moment:
 * wall time, this process's CPU time (user + system, process.cpuUsage; the
 * catalog runs in this process) and PostgreSQL's CPU time (its server
 * processes, read from /proc), then, with the backend stopped, the size of
 * the database as the ingest left it and after VACUUM FULL (its live data
 * alone), its largest tables and its relation rows. An untimed small
 * ingest of each configuration comes first, and the order of the
 * configurations alternates from round to round, so that neither warm-up
 * nor position favours one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import catalogBackend from '@backstage/plugin-catalog-backend';
import {
  findPostgresBinDir,
  startTestPostgres,
  TestPostgres,
} from '@internal/platform-test-utils';
import catalogModulePlatform from '@internal/plugin-catalog-backend-module-platform';
import knexFactory, { Knex } from 'knex';
import { generateComponents, writeCatalogFile } from '../lib/catalog';

const COMPONENTS = 10_000;
const ROUNDS = 2;
/** An untimed ingest of each configuration first, so that no timed one pays for the JIT's warm-up. */
const WARM_UP_COMPONENTS = 500;
const POLL_MS = 1_000;
const INGEST_TIMEOUT_MS = 30 * 60_000;
/** Linux reports process times in USER_HZ, 100 on every architecture it ships. */
const CLOCK_TICKS_PER_SECOND = 100;

type Configuration = {
  label: string;
  platformModule: boolean;
  edges: 'dependsOn' | 'typed';
};

const STOCK: Configuration = {
  label: 'stock, spec.dependsOn',
  platformModule: false,
  edges: 'dependsOn',
};
const OURS: Configuration = {
  label: 'stock + platform module, spec.dependencies',
  platformModule: true,
  edges: 'typed',
};
const STOCK_TYPED: Configuration = {
  label: 'stock, spec.dependencies ignored',
  platformModule: false,
  edges: 'typed',
};
const CONFIGURATIONS = [STOCK, OURS, STOCK_TYPED];

type Ingest = {
  configuration: Configuration;
  seconds: number;
  cpuSeconds: number;
  postgresCpuSeconds: number;
  /** pg_database_size as the ingest left it, dead rows and all. */
  databaseBytes: number;
  /** pg_database_size after VACUUM FULL: the live data alone. */
  compactedBytes: number;
  /** The largest tables after VACUUM FULL, with their indexes. */
  largestTables: Array<{ name: string; bytes: number }>;
  /** Rows of the catalog's search table, by key. */
  searchRowsByKey: Record<string, number>;
  relationsByType: Record<string, number>;
  relations: number;
  entities: number;
};

/** The same edges, untyped, as the stock catalog reads them. */
function withDependsOn(entity: Entity): Entity {
  const { dependencies, ...spec } = entity.spec as {
    dependencies: Array<{ target: string }>;
  };
  return {
    ...entity,
    spec: { ...spec, dependsOn: dependencies.map(d => d.target) },
  };
}

/** utime + stime (+ the reaped children's, when asked) of one process, in seconds. */
function processCpuSeconds(pid: number, withReapedChildren: boolean) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces; the fields after it do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  const ticks = utime + stime + (withReapedChildren ? cutime + cstime : 0);
  return ticks / CLOCK_TICKS_PER_SECOND;
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * CPU time of the whole PostgreSQL server: the postmaster, the server
 * processes that still run, and those that ended (the postmaster reaps them).
 */
function postgresCpuSeconds(postmaster: number): number {
  let seconds = processCpuSeconds(postmaster, true);
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && parentOf(pid) === postmaster) {
      try {
        seconds += processCpuSeconds(pid, false);
      } catch {
        // It ended between the listing and the read; the postmaster has it.
      }
    }
  }
  return seconds;
}

type Progress = {
  components: number;
  unprocessed: number;
  queued: number;
  unstitched: number;
  relations: number;
};

/** Where the catalog's processing and stitching stand, from its own tables. */
async function readProgress(observer: Knex): Promise<Progress> {
  const failed = await observer('refresh_state')
    .select('entity_ref', 'errors')
    .whereNotNull('errors')
    .whereNotIn('errors', ['', '[]'])
    .first();
  if (failed) {
    throw new Error(
      `The catalog could not process ${failed.entity_ref}: ${failed.errors}`,
    );
  }
  const { rows } = await observer.raw(`
    SELECT
      (SELECT count(*) FROM refresh_state WHERE entity_ref LIKE 'component:%') AS components,
      (SELECT count(*) FROM refresh_state WHERE processed_entity IS NULL) AS unprocessed,
      (SELECT count(*) FROM stitch_queue) AS queued,
      (SELECT count(*) FROM refresh_state r
         LEFT JOIN final_entities f ON f.entity_id = r.entity_id
         WHERE f.final_entity IS NULL) AS unstitched,
      (SELECT count(*) FROM relations) AS relations`);
  const [row] = rows;
  return {
    components: Number(row.components),
    unprocessed: Number(row.unprocessed),
    queued: Number(row.queued),
    unstitched: Number(row.unstitched),
    relations: Number(row.relations),
  };
}

/** The clocks, read at one look at the catalog's progress. */
type Reading = { at: number; cpu: NodeJS.CpuUsage; postgresCpu: number };

/**
 * Waits until every entity is processed and stitched. The catalog queues an
 * entity for stitching just after the transaction that stores its
 * processing, so an empty queue counts only when a second look a poll later
 * finds the same relations; the clocks are those of the first look.
 */
async function waitUntilIngested(options: {
  observer: Knex;
  postmaster: number;
  components: number;
  started: number;
}): Promise<Reading> {
  let candidate: (Reading & { relations: number }) | undefined;
  for (;;) {
    const progress = await readProgress(options.observer);
    const reading: Reading = {
      at: performance.now(),
      cpu: process.cpuUsage(),
      postgresCpu: postgresCpuSeconds(options.postmaster),
    };
    const settled =
      progress.components === options.components &&
      progress.unprocessed === 0 &&
      progress.queued === 0 &&
      progress.unstitched === 0;
    if (!settled) {
      candidate = undefined;
    } else if (candidate?.relations === progress.relations) {
      return candidate;
    } else {
      candidate = { ...reading, relations: progress.relations };
    }
    if (reading.at - options.started > INGEST_TIMEOUT_MS) {
      throw new Error(
        `Not ingested after ${
          INGEST_TIMEOUT_MS / 60_000
        } minutes: ${JSON.stringify(progress)}`,
      );
    }
    await delay(POLL_MS);
  }
}

async function ingest(
  server: TestPostgres,
  postmaster: number,
  configuration: Configuration,
  count: number,
): Promise<Ingest> {
  const database = `bench_ingest_${randomUUID().replace(/-/g, '')}`;
  const admin = knexFactory({ client: 'pg', connection: server.connection });
  await admin.raw('CREATE DATABASE ??', [database]);
  await admin.destroy();
  const connection = { ...server.connection, database };
  const knex = knexFactory({ client: 'pg', connection });
  const observer = knexFactory({
    client: 'pg',
    connection,
    pool: { min: 1, max: 1 },
  });
  const components = generateComponents(count);
  const catalogFile = writeCatalogFile(
    configuration.edges === 'dependsOn'
      ? components.map(withDependsOn)
      : components,
    'bench-catalog-ingest-',
  );
  try {
    const postgresCpu = postgresCpuSeconds(postmaster);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const backend = await startTestBackend({
      features: [
        catalogBackend,
        ...(configuration.platformModule ? [catalogModulePlatform] : []),
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            catalog: {
              rules: [{ allow: ['Component', 'Location'] }],
              locations: [{ type: 'file', target: catalogFile.file }],
              // The default (100-150 s) would bring the first entities up
              // for their periodic refresh during an ingest slowed by other
              // load on the machine, charging that to whichever ran slower.
              processingInterval: { minutes: 30 },
            },
          },
        }),
      ],
    });
    const ingested = await waitUntilIngested({
      observer,
      postmaster,
      components: count,
      started,
    });
    await backend.stop();

    const byType = await observer.raw(
      'SELECT type, count(*) AS count FROM relations GROUP BY type ORDER BY type',
    );
    const relationsByType = Object.fromEntries(
      byType.rows.map((r: { type: string; count: string }) => [
        r.type,
        Number(r.count),
      ]),
    );
    const searchKeys = await observer.raw(
      'SELECT key, count(*) AS count FROM search GROUP BY key',
    );
    const { rows } = await observer.raw(
      `SELECT pg_database_size(current_database()) AS database,
              (SELECT count(*) FROM final_entities) AS entities`,
    );
    await observer.raw('VACUUM FULL');
    const compacted = await observer.raw(
      'SELECT pg_database_size(current_database()) AS database',
    );
    const largestTables = await observer.raw(
      `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'
        ORDER BY bytes DESC LIMIT 4`,
    );
    return {
      configuration,
      seconds: (ingested.at - started) / 1000,
      cpuSeconds:
        (ingested.cpu.user - cpu.user + ingested.cpu.system - cpu.system) / 1e6,
      postgresCpuSeconds: ingested.postgresCpu - postgresCpu,
      databaseBytes: Number(rows[0].database),
      compactedBytes: Number(compacted.rows[0].database),
      largestTables: largestTables.rows.map(
        (r: { name: string; bytes: string }) => ({
          name: r.name,
          bytes: Number(r.bytes),
        }),
      ),
      searchRowsByKey: Object.fromEntries(
        searchKeys.rows.map((r: { key: string; count: string }) => [
          r.key,
          Number(r.count),
        ]),
      ),
      relationsByType,
      relations: Object.values(relationsByType).reduce((a, b) => a + b, 0),
      entities: Number(rows[0].entities),
    };
  } finally {
    await observer.destroy();
    await knex.destroy();
    catalogFile.remove();
  }
}

const format = (n: number) => Math.round(n).toLocaleString('en-US');
const megabytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
};

function report(results: Ingest[], postgresVersion: string) {
  const of = (configuration: Configuration) =>
    results.filter(r => r.configuration === configuration);
  const figure = (configuration: Configuration, pick: (r: Ingest) => number) =>
    median(of(configuration).map(pick));
  const seconds = (configuration: Configuration, pick: (r: Ingest) => number) =>
    `${figure(configuration, pick).toFixed(1)} s`;
  const size = (configuration: Configuration, pick: (r: Ingest) => number) =>
    megabytes(figure(configuration, pick));
  const columns: Array<[string, (c: Configuration) => string]> = [
    ['ingest', c => seconds(c, r => r.seconds)],
    ['CPU', c => seconds(c, r => r.cpuSeconds)],
    ['PG CPU', c => seconds(c, r => r.postgresCpuSeconds)],
    ['database', c => size(c, r => r.databaseBytes)],
    ['vacuumed', c => size(c, r => r.compactedBytes)],
    ['relations', c => format(figure(c, r => r.relations))],
  ];

  console.log(
    `Catalog ingest of ${format(COMPONENTS)} components with ${format(
      COMPONENTS * 3,
    )} dependencies in a real catalog backend on PostgreSQL ${postgresVersion}, a fresh database each (${ROUNDS} round${
      ROUNDS > 1 ? 's, medians' : ''
    })`,
  );
  console.log(
    `  ${'configuration'.padEnd(44)}${columns
      .map(([title]) => title.padStart(11))
      .join('')}`,
  );
  for (const configuration of CONFIGURATIONS) {
    console.log(
      `  ${configuration.label.padEnd(44)}${columns
        .map(([, value]) => value(configuration).padStart(11))
        .join('')}`,
    );
  }
  console.log(
    '  (ingest: backend start to every entity processed and stitched; CPU: this process, user + system; PG CPU: the PostgreSQL server; database: pg_database_size as the ingest left it, vacuumed: after VACUUM FULL)',
  );
  console.log(
    '  entities, relations by type, largest tables after VACUUM FULL:',
  );
  for (const configuration of CONFIGURATIONS) {
    const [first] = of(configuration);
    console.log(
      `    ${configuration.label.padEnd(42)} ${format(
        first.entities,
      )} entities; ${Object.entries(first.relationsByType)
        .map(([type, count]) => `${type} ${format(count)}`)
        .join(', ')}`,
    );
    console.log(
      `    ${''.padEnd(42)} ${first.largestTables
        .map(t => `${t.name} ${megabytes(t.bytes)}`)
        .join(', ')}`,
    );
  }

  // The search table holds a row per field of every final entity, so it
  // shows which fields make the difference in size. An array of strings
  // also gets a row per value under `<key>.<value>`; those count under
  // their array.
  const [ours] = of(OURS);
  const [stock] = of(STOCK);
  const byField = (rowsByKey: Record<string, number>) => {
    const keys = new Set(Object.keys(rowsByKey));
    const fields = new Map<string, number>();
    for (const [key, count] of Object.entries(rowsByKey)) {
      const segments = key.split('.');
      const array = segments
        .map((_, n) => segments.slice(0, n).join('.'))
        .find(prefix => prefix !== '' && keys.has(prefix));
      const field = array ? `${array}.<value>` : key;
      fields.set(field, (fields.get(field) ?? 0) + count);
    }
    return fields;
  };
  const oursByField = byField(ours.searchRowsByKey);
  const stockByField = byField(stock.searchRowsByKey);
  const extraSearchRows = [
    ...new Set([...oursByField.keys(), ...stockByField.keys()]),
  ]
    .map((field): [string, number] => [
      field,
      (oursByField.get(field) ?? 0) - (stockByField.get(field) ?? 0),
    ])
    .filter(([, extra]) => extra !== 0)
    .sort((a, b) => b[1] - a[1]);
  const searchRows = (r: Ingest) =>
    Object.values(r.searchRowsByKey).reduce((a, b) => a + b, 0);
  console.log(
    `  search rows: ours ${format(searchRows(ours))}, stock ${format(
      searchRows(stock),
    )}; ours has more of ${extraSearchRows
      .filter(([, extra]) => extra > 0)
      .slice(0, 8)
      .map(([field, extra]) => `${field} +${format(extra)}`)
      .join(', ')}; fewer of ${
      extraSearchRows
        .filter(([, extra]) => extra < 0)
        .map(([field, extra]) => `${field} ${format(extra)}`)
        .join(', ') || 'none'
    }`,
  );

  const ratio = (configuration: Configuration, pick: (r: Ingest) => number) => {
    // Each round's ratio against the stock ingest of the same round.
    const perRound = Array.from({ length: ROUNDS }, (_, round) => {
      const ours = of(configuration)[round];
      const stock = of(STOCK)[round];
      return pick(ours) / pick(stock);
    });
    const value = median(perRound);
    const each =
      ROUNDS > 1 ? ` [${perRound.map(r => r.toFixed(2)).join(', ')}]` : '';
    return `${value.toFixed(2)}x${each}`;
  };
  for (const configuration of [OURS, STOCK_TYPED]) {
    console.log(`  ${configuration.label} / stock:`);
    console.log(
      `    CPU ${ratio(configuration, r => r.cpuSeconds)}, database ${ratio(
        configuration,
        r => r.databaseBytes,
      )}, vacuumed ${ratio(configuration, r => r.compactedBytes)}${
        configuration === OURS
          ? '   (target: within 1.10x of stock on CPU and database size)'
          : ''
      }`,
    );
    console.log(
      `    ingest time ${ratio(
        configuration,
        r => r.seconds,
      )}, PostgreSQL CPU ${ratio(
        configuration,
        r => r.postgresCpuSeconds,
      )}, relations ${ratio(configuration, r => r.relations)}`,
    );
  }
}

async function main() {
  const binDir = findPostgresBinDir();
  if (!binDir) {
    throw new Error(
      'This benchmark needs PostgreSQL: apt-get install postgresql',
    );
  }
  const server = await startTestPostgres(binDir);
  try {
    const admin = knexFactory({ client: 'pg', connection: server.connection });
    const { rows } = await admin.raw(
      'SELECT pg_backend_pid() AS pid, current_setting($$server_version$$) AS version',
    );
    // Read while the connection's server process still runs.
    const postmaster = parentOf(rows[0].pid);
    await admin.destroy();
    if (!postmaster) {
      throw new Error('Could not find the PostgreSQL server process');
    }
    for (const configuration of CONFIGURATIONS) {
      await ingest(server, postmaster, configuration, WARM_UP_COMPONENTS);
    }
    const results: Ingest[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order =
        round % 2 === 0 ? CONFIGURATIONS : [...CONFIGURATIONS].reverse();
      for (const configuration of order) {
        const result = await ingest(
          server,
          postmaster,
          configuration,
          COMPONENTS,
        );
        console.error(
          `  round ${round + 1}, ${
            configuration.label
          }: ${result.seconds.toFixed(1)} s, CPU ${result.cpuSeconds.toFixed(
            1,
          )} s`,
        );
        results.push(result);
      }
    }
    report(results, rows[0].version);
  } finally {
    await server.stop();
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
