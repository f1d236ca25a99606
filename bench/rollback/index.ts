/*
 * Rollback engine: the time from a step's failure to the end of the rollback
 * of ten journaled GitHub repositories, against the time the same ten
 * deletions take when called directly, in the same process.
 *
 * Run from the repository root: yarn tsx bench/rollback/index.ts
 *
 * Both sides delete through the same Octokit client against the loopback
 * GitHub server (local-targets) with a 5 ms answer latency, one request at a
 * time. The engine side runs the real rollback engine over a journal in
 * SQLite: it must notice the failure (its poll, every 2 s by default), take
 * the lease, and for each repository look it up to prove ownership, delete
 * it, and write the outcome to the journal and the run log. It is measured
 * twice: with the production poll interval (what a user waits for) and with
 * the detection left out (the engine's own work). Each figure is the median
 * of several passes.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { Octokit } from '@octokit/rest';
import knexFactory from 'knex';
import { startGithubApiServer } from 'local-targets';
import { performance } from 'node:perf_hooks';
import {
  createGithubRepositoryCompensator,
  GITHUB_REPOSITORY_KIND,
} from '@internal/plugin-scaffolder-backend-module-platform-github';
import {
  DatabaseRollbackJournal,
  ResourceCompensatorRegistry,
  RollbackEngine,
  TaskSummary,
} from '@internal/plugin-scaffolder-backend-module-platform-rollback';

const RESOURCES = 10;
const PASSES = 5;
const LATENCY_MS = 5;
const TOKEN = 'bench-token';
const HOST = 'github.bench';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const github = await startGithubApiServer({
    host: HOST,
    orgs: ['acme'],
    tokens: { [TOKEN]: { login: 'bot', scopes: ['repo', 'delete_repo'] } },
  });
  github.settings.latencyMs = LATENCY_MS;
  const integrations = ScmIntegrations.fromConfig(
    new ConfigReader({
      integrations: {
        github: [{ host: HOST, apiBaseUrl: github.url, token: TOKEN }],
      },
    }),
  );
  const credentialsProvider =
    DefaultGithubCredentialsProvider.fromIntegrations(integrations);
  const octokit = new Octokit({ auth: TOKEN, baseUrl: github.url });

  const db = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
    pool: { min: 1, max: 1 },
  });
  await DatabaseRollbackJournal.runMigrations(db);
  const journal = new DatabaseRollbackJournal(db);
  const statuses = new Map<string, TaskSummary>();
  const compensators = new ResourceCompensatorRegistry().register(
    createGithubRepositoryCompensator({ integrations, credentialsProvider }),
  );
  const engine = (pollIntervalMs?: number) =>
    new RollbackEngine({
      journal,
      compensators,
      logger: mockServices.rootLogger({ level: 'none' }),
      tasks: { getTask: async id => statuses.get(id) },
      taskLog: { append: async () => {} },
      pollIntervalMs,
    });

  const names = (pass: string) =>
    Array.from({ length: RESOURCES }, (_, i) => `${pass}-repo-${i}`);

  async function journaledRun(taskId: string) {
    statuses.set(taskId, { status: 'processing' });
    for (const repo of names(taskId)) {
      const created = github.seedRepo('acme', repo);
      const entry = await journal.recordIntent({
        taskId,
        stepId: 'repo',
        kind: GITHUB_REPOSITORY_KIND,
        identity: `${HOST}/acme/${repo}`,
        data: { host: HOST, owner: 'acme', repo, marker: 'bench' },
      });
      await journal.markCreated(entry.id, { data: { repoId: created.id } });
    }
  }

  const allGone = (taskId: string) =>
    names(taskId).every(repo => !github.getRepo('acme', repo));

  const direct: number[] = [];
  const engineWork: number[] = [];
  const userWait: number[] = [];

  for (let pass = 0; pass < PASSES; pass++) {
    for (const repo of names(`direct${pass}`)) {
      github.seedRepo('acme', repo);
    }
    let start = performance.now();
    for (const repo of names(`direct${pass}`).reverse()) {
      await octokit.repos.delete({ owner: 'acme', repo });
    }
    direct.push(performance.now() - start);

    const tickTask = `tick${pass}`;
    await journaledRun(tickTask);
    statuses.set(tickTask, { status: 'failed' });
    start = performance.now();
    await engine().tick();
    engineWork.push(performance.now() - start);
    if (!allGone(tickTask)) {
      throw new Error('The engine left repositories behind');
    }

    const pollTask = `poll${pass}`;
    await journaledRun(pollTask);
    const running = engine();
    running.start();
    // Let the engine settle into its polling rhythm before the failure.
    await new Promise(r => setTimeout(r, 500 + pass * 397));
    start = performance.now();
    statuses.set(pollTask, { status: 'failed' });
    while (!allGone(pollTask)) {
      await new Promise(r => setTimeout(r, 5));
    }
    userWait.push(performance.now() - start);
    await running.stop();
  }

  const d = median(direct);
  const w = median(engineWork);
  const u = median(userWait);
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  console.log(
    `Rollback of ${RESOURCES} GitHub repositories, loopback server with ${LATENCY_MS} ms latency, median of ${PASSES} passes`,
  );
  console.log(`  direct deletions (baseline):               ${fmt(d)}`);
  console.log(
    `  engine, failure seen -> all rolled back:   ${fmt(w)}   ratio ${(
      w / d
    ).toFixed(2)}x`,
  );
  console.log(
    `  engine, step failed -> all rolled back:    ${fmt(u)}   ratio ${(
      u / d
    ).toFixed(2)}x (includes the 2 s poll)`,
  );

  await db.destroy();
  await github.close();
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
