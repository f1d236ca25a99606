/*
 * Entity page: the page of the most depended-on service with the platform's
 * cards (Dependencies and Ownership) against the same page without them, in
 * Chromium, against the real backend serving the built app.
 *
 * Run from the repository root: yarn tsx bench/entity-page/index.ts
 * (needs Debian's postgresql and chromium, and packages/app/dist from
 * `yarn workspace app build`; about 5 to 10 minutes, most of it ingestion).
 *
 * The backend is packages/backend as `yarn workspace backend start` runs it
 * (the same transpiler, app-config.yaml), without the file watcher, so that
 * edits elsewhere in the tree cannot restart it mid-run. A second config
 * file puts its database on a PostgreSQL the benchmark starts and adds a
 * file location with 10,000 generated services and 30,000 typed
 * dependencies (30% critical, skewed so that a few services collect
 * hundreds of dependents). Timing starts once the catalog holds all of them
 * and the hub's summary matches the graph computed in memory.
 *
 * Both variants are served by that one backend, so that they share its
 * catalog, caches and background work. The app-backend writes its frontend
 * config into the bundle once at start, so the "without" variant switches
 * the two cards off where the frontend reads config last: the
 * window.__APP_CONFIG__ hook of the config loader, set by an init script
 * before the app's scripts run. Both variants get that script and an
 * app.extensions list (the one from app-config.yaml, plus the two cards
 * disabled for "without"), so they differ only in the two cards.
 *
 * Each load runs in a fresh browser context: one untimed load signs in as
 * the guest and fills the context's HTTP cache with the app's bundle, then
 * a new tab opens the page again, signed in with a warm cache, as a user
 * who comes back to the portal. A load is complete when what the user came
 * for is on screen, taken from navigation start by the page's own clock (a
 * MutationObserver records when each element is first laid out): the About
 * card's description in both variants, and with the cards also the
 * Dependencies card's blast radius and the Ownership card's facts (the
 * latest of the three). Bytes are the JSON bodies of the page's /api/
 * responses (with their gzip size beside them) until the network is idle
 * after the page is complete. Loads alternate between the variants;
 * figures are medians.
 */
import { ChildProcess, spawn } from 'node:child_process';
import {
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DependencySummary } from '@internal/plugin-platform-common';
import {
  findPostgresBinDir,
  freePort,
  startTestPostgres,
  waitFor,
} from '@internal/platform-test-utils';
import { Browser, chromium, Page, Response } from 'playwright';
import { chromiumLaunchOptions } from '../../packages/app/e2e-tests/chromium';
import { parse as parseYaml } from 'yaml';
import { writeCatalogFile } from '../lib/catalog';
import { generateSkewedCatalog, rankByDependents } from '../lib/skewedCatalog';

const SERVICES = 10_000;
const DEPENDENCIES_PER_SERVICE = 3;
const LOADS_PER_VARIANT = 9;
const BACKEND_START_TIMEOUT_MS = 5 * 60_000;
const INGEST_TIMEOUT_MS = 20 * 60_000;
const LOAD_TIMEOUT_MS = 120_000;
const SETTLE_TIMEOUT_MS = 15_000;
/** The issue's targets for the hub's page. */
const PAGE_RATIO_TARGET = 1.2;
const CARD_BYTES_TARGET = 200 * 1024;

const REPO_ROOT = path.resolve(__dirname, '../..');
const BACKEND_DIR = path.join(REPO_ROOT, 'packages/backend');
const PLATFORM_CARDS = [
  'entity-card:platform/dependencies',
  'entity-card:platform/ownership',
];
const VIEWPORT = { width: 1600, height: 1000 };

type Variant = 'with' | 'without';

/** What a load waits for, by name; each is recorded when first laid out. */
type Targets = Record<string, { css?: string; xpath?: string }>;

/** One /api/ response: "GET /api/catalog/...", and its JSON and gzip bytes. */
type ApiResponse = { endpoint: string; bytes: number; gzipBytes: number };

type Load = {
  /** ms from navigation start until each target was first laid out. */
  seen: Record<string, number>;
  completeMs: number;
  /** What the page fetched from the backend until the network was idle. */
  responses: ApiResponse[];
};

const PLATFORM_API = '/api/catalog/platform/';

const format = (n: number) => Math.round(n).toLocaleString('en-US');
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function ratio(a: number, b: number): string {
  return a / b >= 10 ? `${format(a / b)}x` : `${(a / b).toFixed(2)}x`;
}

/**
 * packages/backend, started as `backstage-cli package start` starts it but
 * without its watcher, with app-config.yaml and the benchmark's config.
 */
async function startBackend(options: { config: object; logFile: string }) {
  const configDir = mkdtempSync(path.join(tmpdir(), 'bench-entity-page-'));
  const configFile = path.join(configDir, 'app-config.bench.json');
  writeFileSync(configFile, JSON.stringify(options.config, null, 2));
  const log = openSync(options.logFile, 'w');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--enable-source-maps',
      '--require',
      require.resolve('@backstage/cli-node/config/nodeTransform.cjs', {
        paths: [BACKEND_DIR],
      }),
      'src/index.ts',
      '--config',
      path.join(REPO_ROOT, 'app-config.yaml'),
      '--config',
      configFile,
    ],
    {
      cwd: BACKEND_DIR,
      env: {
        ...process.env,
        NODE_ENV: 'development',
        ESBK_TSCONFIG_PATH: path.join(REPO_ROOT, 'tsconfig.json'),
      },
      stdio: ['ignore', log, log],
    },
  );
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  // Also when the benchmark fails outright: no backend left running.
  process.once('exit', () => child.kill('SIGKILL'));
  return {
    exited: () => exited,
    async stop() {
      if (!exited) {
        const gone = new Promise(resolve => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([gone, sleep(15_000)]);
        if (!exited) child.kill('SIGKILL');
      }
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}

/**
 * In every document of a context, before the app's scripts: the variant's
 * frontend config, and a MutationObserver that records when each target is
 * first laid out, in ms from navigation start.
 */
function pageInitScript(args: { appConfig: object; targets: Targets }) {
  const w = window as any;
  w.__APP_CONFIG__ = args.appConfig;
  const seen: Record<string, number> = {};
  w.__entityPageSeen = seen;
  // No named functions inside: tsx's esbuild would wrap them in a helper
  // that does not exist in the page.
  new MutationObserver(() => {
    for (const [name, target] of Object.entries(args.targets)) {
      if (name in seen) continue;
      const element = target.xpath
        ? (document.evaluate(
            target.xpath,
            document,
            null,
            XPathResult.FIRST_ORDERED_NODE_TYPE,
            null,
          ).singleNodeValue as Element | null)
        : document.querySelector(target.css!);
      if (element && element.getClientRects().length > 0) {
        seen[name] = performance.now();
      }
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
}

async function main() {
  const binDir = findPostgresBinDir();
  if (!binDir) {
    throw new Error(
      'This benchmark needs PostgreSQL: apt-get install postgresql',
    );
  }
  const entities = generateSkewedCatalog({
    services: SERVICES,
    dependenciesPerService: DEPENDENCIES_PER_SERVICE,
    criticalShare: 0.3,
  });
  // The benchmark times nothing until the backend's answers agree with these.
  const [
    {
      entity: hub,
      ref: hubRef,
      dependents: hubDependents,
      blastRadius: hubRadius,
    },
  ] = rankByDependents(entities);
  const owners = [
    ...new Set(entities.map(e => `group:default/${e.spec!.owner as string}`)),
  ];

  const appConfigYaml = parseYaml(
    readFileSync(path.join(REPO_ROOT, 'app-config.yaml'), 'utf8'),
  );
  // Lists in a later config replace the earlier list, so both are extended.
  const stockExtensions: unknown[] = appConfigYaml.app?.extensions ?? [];
  const stockLocations: unknown[] = appConfigYaml.catalog?.locations ?? [];

  const catalogFile = writeCatalogFile(entities, 'bench-entity-page-');
  const postgres = await startTestPostgres(binDir);
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  const logFile = path.join(tmpdir(), `bench-entity-page-backend-${port}.log`);
  const backend = await startBackend({
    logFile,
    config: {
      app: { baseUrl },
      backend: {
        baseUrl,
        listen: { port },
        cors: { origin: baseUrl },
        database: {
          client: 'pg',
          connection: { ...postgres.connection, password: 'unused' },
        },
      },
      catalog: {
        locations: [
          ...stockLocations,
          { type: 'file', target: catalogFile.file },
        ],
      },
      // The stock schedule, which app-config.yaml's comment says a catalog
      // this large on PostgreSQL should use: the one-minute reindex of
      // 10,000 entities would land in the middle of the loads.
      search: {
        collators: { catalog: { schedule: { frequency: { minutes: 10 } } } },
      },
    },
  });
  let browser: Browser | undefined;
  try {
    const startedAt = Date.now();
    await waitFor(
      `the backend at ${baseUrl} (log: ${logFile})`,
      async () => {
        const exited = backend.exited();
        if (exited) {
          throw new Error(`The backend ${exited}; see ${logFile}`);
        }
        await sleep(1000);
        const response = await fetch(
          `${baseUrl}/.backstage/health/v1/readiness`,
        ).catch(() => undefined);
        return response?.ok ? true : undefined;
      },
      BACKEND_START_TIMEOUT_MS,
    );
    const backendSeconds = (Date.now() - startedAt) / 1000;

    // The guest's token: the identity the browser signs in with.
    const guestResponse = await fetch(`${baseUrl}/api/auth/guest/refresh`, {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    });
    if (!guestResponse.ok) {
      throw new Error(
        `Guest sign-in failed: ${
          guestResponse.status
        } ${await guestResponse.text()}`,
      );
    }
    const token = ((await guestResponse.json()) as any).backstageIdentity
      .token as string;
    const getJson = async <T>(apiPath: string): Promise<T | undefined> => {
      const response = await fetch(`${baseUrl}/api/catalog${apiPath}`, {
        headers: { authorization: `Bearer ${token}` },
      }).catch(() => undefined);
      return response?.ok ? ((await response.json()) as T) : undefined;
    };
    const ingestStart = Date.now();
    await waitFor(
      'the catalog to ingest and stitch the generated services',
      async () => {
        await sleep(3000);
        // One filter parameter per owner: any of them matches.
        const counted = await getJson<{ totalItems: number }>(
          `/entities/by-query?limit=0&${owners
            .map(
              owner =>
                `filter=${encodeURIComponent(
                  `kind=component,relations.ownedBy=${owner}`,
                )}`,
            )
            .join('&')}`,
        );
        if (counted?.totalItems !== SERVICES) return undefined;
        const summary = await getJson<Partial<DependencySummary>>(
          `/platform/dependencies?entityRef=${encodeURIComponent(hubRef)}`,
        );
        return summary?.blastRadius?.total === hubRadius &&
          summary.dependents?.totalItems === hubDependents
          ? true
          : undefined;
      },
      INGEST_TIMEOUT_MS,
    );
    const ingestSeconds = (Date.now() - ingestStart) / 1000;

    browser = await chromium.launch(chromiumLaunchOptions);
    const hubPath = `/catalog/default/component/${hub.metadata.name}`;
    const description = hub.metadata.description!;
    const aboutTarget = {
      xpath: `//*[normalize-space(text())='${description}']`,
    };
    const targets: Record<Variant, Targets> = {
      with: {
        about: aboutTarget,
        dependencies: { css: '[data-testid="blast-radius"]' },
        ownership: { css: '[data-testid="platform-ownership-card"]' },
      },
      without: { about: aboutTarget },
    };
    const appConfigs: Record<Variant, object> = {
      with: { app: { extensions: stockExtensions } },
      without: {
        app: {
          extensions: [
            ...stockExtensions,
            ...PLATFORM_CARDS.map(id => ({ [id]: false })),
          ],
        },
      },
    };

    const waitUntilComplete = async (page: Page, variant: Variant) => {
      const names = Object.keys(targets[variant]);
      try {
        const seen = await page.waitForFunction(
          expected => {
            const recorded = (window as any).__entityPageSeen ?? {};
            return expected.every(n => n in recorded) && recorded;
          },
          names,
          { timeout: LOAD_TIMEOUT_MS, polling: 100 },
        );
        return (await seen.jsonValue()) as Record<string, number>;
      } catch (error) {
        const screenshot = path.join(
          tmpdir(),
          `bench-entity-page-${variant}-${Date.now()}.png`,
        );
        await page.screenshot({ path: screenshot, fullPage: true });
        const seen = await page.evaluate(
          () => (window as any).__entityPageSeen,
        );
        throw new Error(
          `The page ${variant} the cards showed ${JSON.stringify(
            seen,
          )} of ${names.join(', ')} at ${page.url()}; see ${screenshot}`,
          { cause: error },
        );
      }
    };

    const load = async (variant: Variant): Promise<Load> => {
      const context = await browser!.newContext({
        baseURL: baseUrl,
        viewport: VIEWPORT,
      });
      try {
        await context.addInitScript(pageInitScript, {
          appConfig: appConfigs[variant],
          targets: targets[variant],
        });
        const warmUp = await context.newPage();
        await warmUp.goto(hubPath);
        await warmUp.getByRole('button', { name: 'Enter' }).click();
        await waitUntilComplete(warmUp, variant);
        await warmUp.close();

        const page = await context.newPage();
        const responses: Array<Promise<ApiResponse>> = [];
        // Responses after the page has settled (and reading them after the
        // context closes) are left out.
        let settled = false;
        page.on('response', (response: Response) => {
          const { pathname } = new URL(response.url());
          if (settled || !pathname.startsWith('/api/')) return;
          responses.push(
            // A redirect or an aborted request has no body to count.
            response
              .body()
              .catch(() => Buffer.alloc(0))
              .then(body => ({
                endpoint: `${response.request().method()} ${pathname}`,
                bytes: body.byteLength,
                gzipBytes: gzipSync(body).byteLength,
              })),
          );
        });
        await page.goto(hubPath);
        const seen = await waitUntilComplete(page, variant);
        // The page goes on fetching after it is complete (for the stock
        // cards too), so the bytes count what it fetches until the network
        // is idle, the same for both variants whatever their time.
        await Promise.race([
          page.waitForLoadState('networkidle'),
          sleep(SETTLE_TIMEOUT_MS),
        ]);
        settled = true;
        if (await page.getByRole('button', { name: 'Enter' }).isVisible()) {
          throw new Error('The measured load showed the sign-in page');
        }
        const cards = await page
          .locator('[data-testid^="platform-"][data-testid$="-card"]')
          .count();
        if ((variant === 'with') !== cards > 0) {
          throw new Error(
            `The page ${variant} the cards shows ${cards} platform cards`,
          );
        }
        return {
          seen,
          completeMs: Math.max(...Object.values(seen)),
          responses: await Promise.all(responses),
        };
      } finally {
        await context.close();
      }
    };

    const loads: Record<Variant, Load[]> = { with: [], without: [] };
    for (let round = 0; round < LOADS_PER_VARIANT; round++) {
      const order: Variant[] =
        round % 2 === 0 ? ['with', 'without'] : ['without', 'with'];
      for (const variant of order) {
        loads[variant].push(await load(variant));
      }
    }

    const sum = (responses: ApiResponse[], pick: (r: ApiResponse) => number) =>
      responses.reduce((total, r) => total + pick(r), 0);
    const platformOf = (l: Load) =>
      l.responses.filter(r => r.endpoint.includes(PLATFORM_API));
    const summarize = (variant: Variant) => {
      const all = loads[variant];
      const of = (pick: (l: Load) => number) => median(all.map(pick));
      return {
        complete: of(l => l.completeMs),
        about: of(l => l.seen.about),
        dependencies: of(l => l.seen.dependencies ?? NaN),
        ownership: of(l => l.seen.ownership ?? NaN),
        apiRequests: of(l => l.responses.length),
        apiBytes: of(l => sum(l.responses, r => r.bytes)),
        apiGzipBytes: of(l => sum(l.responses, r => r.gzipBytes)),
        // The largest of the loads, for the target.
        platformRequests: Math.max(...all.map(l => platformOf(l).length)),
        platformBytes: Math.max(
          ...all.map(l => sum(platformOf(l), r => r.bytes)),
        ),
        platformGzipBytes: Math.max(
          ...all.map(l => sum(platformOf(l), r => r.gzipBytes)),
        ),
      };
    };
    const withCards = summarize('with');
    const withoutCards = summarize('without');

    console.log(
      `Entity page of the most depended-on service, ${hubRef} (${format(
        hubDependents,
      )} direct dependents, blast radius ${format(
        hubRadius,
      )}), in Chromium against the real backend on PostgreSQL with ${format(
        SERVICES,
      )} services and ${format(
        SERVICES * DEPENDENCIES_PER_SERVICE,
      )} typed dependencies (backend ready in ${backendSeconds.toFixed(
        0,
      )} s, then ingested and stitched in ${ingestSeconds.toFixed(0)} s)`,
    );
    console.log(
      `  each load in a fresh browser context with its cache warmed by one untimed load (signed in, bundle cached); ms from navigation start; API requests and bytes until the network is idle; median of ${LOADS_PER_VARIANT} loads each, alternating`,
    );
    const ms = (value: number) =>
      Number.isNaN(value) ? '-'.padStart(9) : `${format(value).padStart(6)} ms`;
    console.log(
      `  ${'page'.padEnd(24)} ${'complete'.padStart(9)} ${'About'.padStart(
        9,
      )} ${'Depend.'.padStart(9)} ${'Owner.'.padStart(9)} ${'API req'.padStart(
        8,
      )} ${'API JSON bytes'.padStart(15)} ${'gzip'.padStart(9)}`,
    );
    for (const [label, s] of [
      ['with the platform cards', withCards],
      ['without them', withoutCards],
    ] as const) {
      console.log(
        `  ${label.padEnd(24)} ${ms(s.complete)} ${ms(s.about)} ${ms(
          s.dependencies,
        )} ${ms(s.ownership)} ${format(s.apiRequests).padStart(8)} ${format(
          s.apiBytes,
        ).padStart(15)} ${format(s.apiGzipBytes).padStart(9)}`,
      );
    }
    const pageRatio = withCards.complete / withoutCards.complete;
    console.log(
      // Three decimals, so that a ratio just over the target does not print
      // as the target itself.
      `  with / without (complete): ${pageRatio.toFixed(
        3,
      )}x (target ${PAGE_RATIO_TARGET}x or less: ${
        pageRatio <= PAGE_RATIO_TARGET ? 'met' : 'NOT met'
      })`,
    );
    console.log(
      `  with / without (About card shown): ${ratio(
        withCards.about,
        withoutCards.about,
      )}`,
    );
    console.log(
      `  ${PLATFORM_API}* responses of the page with the cards: ${format(
        withCards.platformRequests,
      )} requests, ${format(withCards.platformBytes)} JSON bytes, ${format(
        withCards.platformGzipBytes,
      )} gzip (largest of the loads; target under ${format(
        CARD_BYTES_TARGET,
      )} JSON bytes: ${
        withCards.platformBytes < CARD_BYTES_TARGET ? 'met' : 'NOT met'
      })`,
    );
    // Per endpoint, so that requests the cards cause outside the platform's
    // API show up beside those of the stock page.
    const perLoad = (variant: Variant) => {
      const byEndpoint = new Map<string, { requests: number; bytes: number }>();
      for (const l of loads[variant]) {
        for (const r of l.responses) {
          const entry = byEndpoint.get(r.endpoint) ?? { requests: 0, bytes: 0 };
          entry.requests += 1 / loads[variant].length;
          entry.bytes += r.bytes / loads[variant].length;
          byEndpoint.set(r.endpoint, entry);
        }
      }
      return byEndpoint;
    };
    const endpoints = { with: perLoad('with'), without: perLoad('without') };
    const rows = [
      ...new Set([...endpoints.with.keys(), ...endpoints.without.keys()]),
    ].sort(
      (a, b) =>
        (endpoints.with.get(b)?.bytes ?? 0) -
        (endpoints.with.get(a)?.bytes ?? 0),
    );
    console.log(
      `  API responses per load until the network was idle (mean of the loads): requests and JSON bytes, with / without the cards`,
    );
    const cell = (entry?: { requests: number; bytes: number }) =>
      `${(entry?.requests ?? 0).toFixed(1).padStart(5)} ${format(
        entry?.bytes ?? 0,
      ).padStart(11)}`;
    for (const endpoint of rows) {
      console.log(
        `    ${endpoint.padEnd(72)} ${cell(
          endpoints.with.get(endpoint),
        )}   ${cell(endpoints.without.get(endpoint))}`,
      );
    }
  } finally {
    await browser?.close();
    await backend.stop();
    await postgres.stop();
    catalogFile.remove();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
