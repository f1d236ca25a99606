/*
 * Runs page: the bytes and time of the Platform → Runs page's request for
 * its first page (GET /api/scaffolder/platform/runs, 20 runs with their
 * resources) against the stock scaffolder's task list page's request for its
 * first page (GET /api/scaffolder/v2/tasks, 20 tasks), answered by the same
 * backend in the same process, with 100 and with 1,000 runs in the database,
 * to show which responses grow with the history.
 *
 * Run from the repository root: yarn tsx bench/runs-page/index.ts
 *
 * A real backend (startTestBackend) with the stock scaffolder and the
 * platform's rollback module, on a PostgreSQL the benchmark starts (SQLite
 * in memory where Debian's PostgreSQL is not installed). The runs are
 * written straight into the scaffolder's and the journal's tables: two in
 * three completed, the others failed, by users of two teams, each with one
 * to six journaled resources; the engine rolls the failed ones back with a
 * compensator that deletes nothing. Every request goes over HTTP; bytes are
 * the JSON bodies before compression. In each pass both requests run once,
 * in alternating order; times are the median of the passes.
 *
 * What this does not measure: rendering in a browser.
 */
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import {
  findPostgresBinDir,
  startTestPostgres,
  TestPostgres,
} from '@internal/platform-test-utils';
import { platformRollbackServiceRef } from '@internal/plugin-platform-node';
import rollback from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { openBenchDatabase, seedScaffolderRuns } from '../lib/scaffolderRuns';

const SIZES = [100, 1_000];
const PAGE_SIZE = 20;
const PASSES = 15;
const KIND = 'bench:thing';

/** Rolls back the failed runs' resources without deleting anything. */
const noopCompensator = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'bench-compensator',
  register({ registerInit }) {
    registerInit({
      deps: { rollback: platformRollbackServiceRef },
      async init({ rollback: service }) {
        service.addCompensators({
          kind: KIND,
          compensate: async () => 'deleted',
        });
      },
    });
  },
});

type Measured = { ms: number; bytes: number; items: number };

async function measure(runs: number, postgres?: TestPostgres) {
  const knex = await openBenchDatabase(postgres?.connection);
  await seedScaffolderRuns(knex, {
    runs,
    status: i => (i % 3 === 2 ? 'failed' : 'completed'),
    createdBy: i => `user:default/${i % 2 ? 'ada' : 'grace'}`,
    resources: i =>
      Array.from({ length: 1 + (i % 6) }, () => ({
        kind: KIND,
        state: 'created' as const,
      })),
  });
  const backend = await startTestBackend({
    features: [
      scaffolderPlugin,
      rollback,
      noopCompensator,
      // The real scheduler, which runs the engine's task on its interval.
      schedulerServiceFactory,
      mockServices.database.factory({ knex }),
      mockServices.rootLogger.factory({ level: 'error' }),
      mockServices.rootConfig.factory({
        data: { app: { baseUrl: 'http://backstage.bench' } },
      }),
    ],
  });
  try {
    // The engine's first look copies each run's template and creator from
    // its task, and it rolls the failed ones back: the page shows both.
    const deadline = Date.now() + 300_000;
    for (;;) {
      const [{ unsettled }] = await knex('platform_runs')
        .where({ settled: false })
        .count({ unsettled: '*' });
      if (Number(unsettled) === 0) break;
      if (Date.now() > deadline) {
        throw new Error(`${unsettled} runs still unsettled after 5 minutes`);
      }
      await delay(500);
    }

    const { port } = backend.server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}/api/scaffolder`;
    const get = async (path: string, itemsOf: (body: any) => unknown[]) => {
      const start = performance.now();
      const response = await fetch(`${base}${path}`, {
        headers: { authorization: mockCredentials.user.header() },
      });
      const body = Buffer.from(await response.arrayBuffer());
      const ms = performance.now() - start;
      if (!response.ok) {
        throw new Error(`${response.status} from ${path}: ${body}`);
      }
      return {
        ms,
        bytes: body.byteLength,
        items: itemsOf(JSON.parse(body.toString())).length,
      };
    };
    const requests: Record<string, () => Promise<Measured>> = {
      'Runs page, first page': () =>
        get(`/platform/runs?whose=all&limit=${PAGE_SIZE}`, b => b.runs),
      'stock task list, first page': () =>
        get(`/v2/tasks?limit=${PAGE_SIZE}&offset=0`, b => b.tasks),
    };
    const names = Object.keys(requests);
    const samples = new Map<string, Measured[]>(names.map(n => [n, []]));
    for (let pass = 0; pass < PASSES; pass++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(pass + k) % names.length];
        samples.get(name)!.push(await requests[name]());
      }
    }
    return new Map(
      names.map(name => {
        const sorted = samples.get(name)!.sort((a, b) => a.ms - b.ms);
        return [name, sorted[Math.floor(sorted.length / 2)]];
      }),
    );
  } finally {
    await backend.stop();
    await knex.destroy();
  }
}

async function main() {
  const binDir = findPostgresBinDir();
  const postgres = binDir ? await startTestPostgres(binDir) : undefined;
  try {
    const results = [];
    for (const size of SIZES) {
      results.push({ size, figures: await measure(size, postgres) });
    }
    console.log(
      `Runs page vs the stock task list, ${PAGE_SIZE} per page, on ${
        postgres ? 'PostgreSQL' : 'SQLite'
      } (median of ${PASSES} passes)`,
    );
    for (const { size, figures } of results) {
      const runsPage = figures.get('Runs page, first page')!;
      const stock = figures.get('stock task list, first page')!;
      console.log(`\n${size.toLocaleString('en-US')} runs in the database:`);
      for (const [name, m] of figures) {
        console.log(
          `  ${name.padEnd(28)} ${m.ms.toFixed(1).padStart(7)} ms  ${(
            m.bytes / 1024
          )
            .toFixed(1)
            .padStart(6)} KB  ${m.items} items`,
        );
      }
      console.log(
        `  ratio Runs page / stock: ${(runsPage.ms / stock.ms).toFixed(
          2,
        )}x time, ${(runsPage.bytes / stock.bytes).toFixed(2)}x bytes`,
      );
    }
    const [small, large] = results.map(
      r => r.figures.get('Runs page, first page')!,
    );
    console.log(
      `\nRuns page first page, 1,000 runs against 100: ${(
        large.ms / small.ms
      ).toFixed(2)}x time, ${(large.bytes / small.bytes).toFixed(2)}x bytes`,
    );
  } finally {
    await postgres?.stop();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
