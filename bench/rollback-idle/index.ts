/*
 * Rollback engine at rest and on failure: what 1,000 unsettled runs cost a
 * backend that has the rollback module, against the stock scaffolder alone
 * at rest on the same data, and how soon a failed run's rollback starts,
 * with one backend and with two on one database.
 *
 * Run from the repository root: yarn tsx bench/rollback-idle/index.ts
 *
 * Each measurement runs in a process of its own, started the same way, so
 * that no backend's heap or timers weigh on another's figures: a real
 * backend (startTestBackend with the backend's real scheduler) with the
 * stock scaffolder plugin, and on the platform side the rollback module and
 * a compensator that only records when it is called. Each process seeds its
 * own database with 1,000 scaffolder tasks that are processing, each with a
 * journaled resource: SQLite in memory, and, where Debian's PostgreSQL is
 * installed, a database of its own on a throwaway PostgreSQL server.
 *
 * - At rest: CPU time of the backend's process (user + system) per minute,
 *   and SQL statements per second through its database client, over a
 *   window after a warm-up. Stock and platform take turns, so that load from
 *   other processes on a shared machine falls on both; the figure is the
 *   mean of the rounds.
 * - On failure: a task is marked failed in the scaffolder's table, as the
 *   scaffolder does when a step fails; the figure is the time until the
 *   compensator is called. The failures come at staggered moments so that
 *   they sample every phase of the engine's poll, and every failed run must
 *   be rolled back exactly once, whichever backend does it.
 *
 * PostgreSQL's own CPU is not in the figures: it is another process.
 */
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import {
  findPostgresBinDir,
  startTestPostgres,
  TestPostgres,
} from '@internal/platform-test-utils';
import { platformRollbackServiceRef } from '@internal/plugin-platform-node';
import rollback from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import { Knex } from 'knex';
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { openBenchDatabase, seedScaffolderRuns } from '../lib/scaffolderRuns';

const RUNS = 1_000;
const FAILURES = 50;
const ROUNDS = 2;
const WARM_UP_S = 30;
const WINDOW_S = 45;
/** The engine's default; the failures are staggered across it. */
const POLL_INTERVAL_MS = 1_000;
const KIND = 'bench:thing';
const PHASE_VARIABLE = 'ROLLBACK_IDLE_PHASE';

type Database =
  | { client: 'sqlite' }
  | { client: 'pg'; connection: TestPostgres['connection'] };

type Phase = {
  database: Database;
  kind: 'rest' | 'failures';
  platform: boolean;
  backends: number;
};

type Rest = { cpuPerMinute: number; sqlPerSecond: number };
type Failures = {
  p50: number;
  p99: number;
  byBackend: Record<string, number>;
};

type Call = { backend: string; identity: string; at: number };
type Backend = Awaited<ReturnType<typeof startTestBackend>>;

/** Records each compensation, when and by which backend, and deletes nothing. */
function recordingCompensator(backend: string, calls: Call[]) {
  return createBackendModule({
    pluginId: 'scaffolder',
    moduleId: 'bench-compensator',
    register({ registerInit }) {
      registerInit({
        deps: { rollback: platformRollbackServiceRef },
        async init({ rollback: service }) {
          service.addCompensators({
            kind: KIND,
            async compensate(entry) {
              calls.push({
                backend,
                identity: entry.identity,
                at: performance.now(),
              });
              return 'deleted';
            },
          });
        },
      });
    },
  });
}

async function startBackends(
  knex: Knex,
  phase: Phase,
  calls: Call[],
): Promise<Backend[]> {
  const backends: Backend[] = [];
  for (let i = 0; i < phase.backends; i++) {
    backends.push(
      await startTestBackend({
        features: [
          scaffolderPlugin,
          ...(phase.platform
            ? [rollback, recordingCompensator(`backend ${i + 1}`, calls)]
            : []),
          schedulerServiceFactory,
          mockServices.database.factory({ knex }),
          mockServices.rootLogger.factory({ level: 'error' }),
          mockServices.rootConfig.factory({
            data: { app: { baseUrl: 'http://backstage.bench' } },
          }),
        ],
      }),
    );
  }
  return backends;
}

/** RUNS processing tasks, each with a resource journaled. */
async function seed(knex: Knex): Promise<string[]> {
  return await seedScaffolderRuns(knex, {
    runs: RUNS,
    status: () => 'processing',
    resources: () => [{ kind: KIND, state: 'created' }],
  });
}

async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 120_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await delay(5);
  }
}

async function atRest(knex: Knex, phase: Phase): Promise<Rest> {
  if (phase.platform) {
    // The first look copies each run's template and creator from its task.
    await waitUntil('the engine to have read every task once', async () => {
      const [{ unseen }] = await knex('platform_runs')
        .where({ settled: false })
        .whereNull('task_seen_at')
        .count({ unseen: '*' });
      return Number(unseen) === 0;
    });
  }
  await delay(WARM_UP_S * 1000);
  let statements = 0;
  const count = () => statements++;
  knex.on('query', count);
  const cpu = process.cpuUsage();
  const start = performance.now();
  await delay(WINDOW_S * 1000);
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - start) / 1000;
  knex.off('query', count);
  return {
    cpuPerMinute: ((used.user + used.system) / 1e6 / seconds) * 60,
    sqlPerSecond: statements / seconds,
  };
}

/** Fails FAILURES runs one after another; the time from each failure to its compensation. */
async function failures(
  knex: Knex,
  taskIds: string[],
  calls: Call[],
): Promise<Failures> {
  await delay(WARM_UP_S * 1000);
  const latencies: number[] = [];
  const failed: string[] = [];
  for (let k = 0; k < FAILURES; k++) {
    // The golden ratio spreads the failures evenly over the poll's phases.
    await delay(((k * 0.618034) % 1) * POLL_INTERVAL_MS + 100);
    const taskId = taskIds[k];
    const identity = `acme/${taskId}`;
    await knex('tasks').where({ id: taskId }).update({ status: 'failed' });
    const failedAt = performance.now();
    failed.push(identity);
    await waitUntil(
      `the rollback of ${taskId}`,
      () => calls.some(c => c.identity === identity),
      30_000,
    );
    latencies.push(calls.find(c => c.identity === identity)!.at - failedAt);
  }
  // Time for a second compensation, were one to happen.
  await delay(3 * POLL_INTERVAL_MS);
  const called = calls.map(c => c.identity).sort();
  if (JSON.stringify(called) !== JSON.stringify([...failed].sort())) {
    throw new Error(
      `Expected each failed run to be rolled back exactly once, got ${called.length} compensations for ${failed.length} failures`,
    );
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const percentile = (p: number) => sorted[Math.ceil(p * sorted.length) - 1];
  const byBackend: Record<string, number> = {};
  for (const call of calls) {
    byBackend[call.backend] = (byBackend[call.backend] ?? 0) + 1;
  }
  return { p50: percentile(0.5), p99: percentile(0.99), byBackend };
}

/** One measurement, in the process started for it. */
async function runPhase(phase: Phase) {
  const knex = await openBenchDatabase(
    phase.database.client === 'pg' ? phase.database.connection : undefined,
  );
  const taskIds = await seed(knex);
  const calls: Call[] = [];
  await startBackends(knex, phase, calls);
  const result =
    phase.kind === 'rest'
      ? await atRest(knex, phase)
      : await failures(knex, taskIds, calls);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // The backends are not stopped: the process ends with the measurement.
  process.exit(0);
}

function inOwnProcess<T>(phase: Phase): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, __filename], {
      env: { ...process.env, [PHASE_VARIABLE]: JSON.stringify(phase) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', chunk => {
      output += chunk;
    });
    child.on('exit', code => {
      const line = output.trim().split('\n').at(-1);
      if (code === 0 && line) {
        resolve(JSON.parse(line));
      } else {
        reject(new Error(`The ${phase.kind} measurement exited with ${code}`));
      }
    });
  });
}

const mean = (values: number[]) =>
  values.reduce((a, b) => a + b, 0) / values.length;

async function measure(name: string, database: Database) {
  const rest = (platform: boolean, backends: number) =>
    inOwnProcess<Rest>({ database, kind: 'rest', platform, backends });
  const stock: Rest[] = [];
  const platform: Rest[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    stock.push(await rest(false, 1));
    platform.push(await rest(true, 1));
  }
  const stockPair = await rest(false, 2);
  const platformPair = await rest(true, 2);
  const fail = (backends: number) =>
    inOwnProcess<Failures>({
      database,
      kind: 'failures',
      platform: true,
      backends,
    });
  const one = await fail(1);
  const two = await fail(2);

  const cpu = (r: Rest[]) => mean(r.map(x => x.cpuPerMinute));
  const sql = (r: Rest[]) => mean(r.map(x => x.sqlPerSecond));
  const row = (label: string, s: Rest[], p: Rest[]) =>
    console.log(
      `  ${label.padEnd(30)} ${cpu(s).toFixed(2).padStart(6)} ${cpu(p)
        .toFixed(2)
        .padStart(9)} ${(cpu(p) / cpu(s)).toFixed(2).padStart(6)}x ${sql(s)
        .toFixed(1)
        .padStart(12)} ${sql(p).toFixed(1).padStart(9)}`,
    );
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const latency = (label: string, f: Failures) =>
    console.log(
      `    ${label} p50 ${seconds(f.p50)}  p99 ${seconds(
        f.p99,
      )}   each run rolled back exactly once (${Object.entries(f.byBackend)
        .map(([backend, n]) => `${n} by ${backend}`)
        .join(', ')})`,
    );

  console.log(
    `\n${name}: ${RUNS.toLocaleString(
      'en-US',
    )} unsettled journaled runs, poll interval ${POLL_INTERVAL_MS / 1000} s`,
  );
  console.log(
    `  at rest, ${WINDOW_S} s windows            CPU-s/min: stock  platform  ratio   SQL/s: stock  platform`,
  );
  row(`one backend (${ROUNDS} rounds)`, stock, platform);
  row('two backends on one database', [stockPair], [platformPair]);
  console.log('  (target: platform idle CPU within 2x of stock)');
  console.log(
    `  failure -> compensator called, ${FAILURES} failures (p99 is the slowest of them; target under 2 s):`,
  );
  latency('one engine: ', one);
  latency('two engines:', two);
}

async function main() {
  await measure('SQLite in memory', { client: 'sqlite' });
  const binDir = findPostgresBinDir();
  if (!binDir) {
    console.log(
      '\nPostgreSQL skipped: apt-get install postgresql to measure it too',
    );
    return;
  }
  const server = await startTestPostgres(binDir);
  try {
    await measure(`PostgreSQL ${binDir.split('/').at(-2)}`, {
      client: 'pg',
      connection: server.connection,
    });
  } finally {
    await server.stop();
  }
}

const phase = process.env[PHASE_VARIABLE];
(phase ? runPhase(JSON.parse(phase)) : main()).catch(error => {
  console.error(error);
  process.exit(1);
});
