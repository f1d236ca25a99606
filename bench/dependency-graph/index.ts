/*
 * Dependencies card: what the card downloads and waits for on the entity
 * page of the most depended-on service and of a typical one, in a real
 * catalog on PostgreSQL, against what the entity page loads without the card
 * (the entity itself).
 *
 * Run from the repository root: yarn tsx bench/dependency-graph/index.ts
 * (needs Debian's postgresql; about 3 minutes, most of it ingestion).
 *
 * The catalog backend (with the platform's catalog module) runs in-process
 * on a PostgreSQL the benchmark starts, and ingests 10,000 generated
 * Components with 30,000 typed dependencies (30% critical, skewed so that a
 * few services collect hundreds of dependents) from one file location. Every
 * request goes over HTTP; bytes are the JSON bodies before compression. In
 * each pass every way runs once, in a rotating order so that load from other
 * processes hits them alike; times are the median of the passes.
 *
 * What this does not measure: rendering in a browser. The page's figure is
 * the entity request followed by the card's (the card asks once the entity
 * is loaded), so "page with card / page without" is (entity + card) /
 * entity over the network only.
 */
import { AddressInfo } from 'node:net';
import { mockCredentials } from '@backstage/backend-test-utils';
import { CatalogClient } from '@backstage/catalog-client';
import { DependencySummary } from '@internal/plugin-platform-common';
import {
  findPostgresBinDir,
  startTestPostgres,
} from '@internal/platform-test-utils';
import knexFactory from 'knex';
import { startCatalogBackend, writeCatalogFile } from '../lib/catalog';
import { generateSkewedCatalog, rankByDependents } from '../lib/skewedCatalog';

const SERVICES = 10_000;
const PASSES = 9;
const INGEST_TIMEOUT_MS = 15 * 60_000;
/** The targets for the hub's page. */
const PAGE_RATIO_TARGET = 1.2;
const CARD_BYTES_TARGET = 200 * 1024;

type Sample = { ms: number; bytes: number; requests: number };

/** fetch with the token, counting requests and body bytes. */
function measuringFetch(token: string) {
  const counted = { requests: 0, bytes: 0 };
  const fetchCounted = async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await fetch(input, {
      ...init,
      headers: { ...init?.headers, authorization: token },
    });
    const body = Buffer.from(await response.arrayBuffer());
    if (!response.ok) {
      throw new Error(`${response.status} from ${String(input)}: ${body}`);
    }
    counted.requests += 1;
    counted.bytes += body.byteLength;
    return new Response(body, response);
  };
  return { fetchCounted, counted };
}

async function sample(
  token: string,
  run: (fetchCounted: typeof fetch) => Promise<unknown>,
): Promise<Sample> {
  const { fetchCounted, counted } = measuringFetch(token);
  const start = performance.now();
  await run(fetchCounted as typeof fetch);
  return { ms: performance.now() - start, ...counted };
}

function median(samples: Sample[]): Sample {
  const sorted = [...samples].sort((a, b) => a.ms - b.ms);
  return sorted[Math.floor(sorted.length / 2)];
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
    dependenciesPerService: 3,
    criticalShare: 0.3,
  });
  // The backend's answers are checked against these before anything is timed.
  const ranked = rankByDependents(entities);
  const hub = ranked[0];
  const typical = ranked[Math.floor(ranked.length / 2)];

  const postgres = await startTestPostgres(binDir);
  const knex = knexFactory({ client: 'pg', connection: postgres.connection });
  const catalogFile = writeCatalogFile(entities, 'bench-dependency-graph-');
  const backend = await startCatalogBackend({
    knex,
    file: catalogFile.file,
  });
  try {
    const { port } = backend.server.address() as AddressInfo;
    const baseUrl = `http://127.0.0.1:${port}/api/catalog`;
    const token = mockCredentials.user.header();
    const getJson = async <T>(path: string): Promise<T> => {
      const response = await fetch(`${baseUrl}${path}`, {
        headers: { authorization: token },
      });
      return (await response.json()) as T;
    };
    const summaryPath = (ref: string) =>
      `/platform/dependencies?entityRef=${encodeURIComponent(ref)}`;

    const ingestStart = Date.now();
    // Stitching is done for the hub once its summary matches the graph.
    for (;;) {
      const summary = await getJson<Partial<DependencySummary>>(
        summaryPath(hub.ref),
      ).catch(() => undefined);
      if (
        summary?.blastRadius?.total === hub.blastRadius &&
        summary.dependents?.totalItems === hub.dependents
      ) {
        break;
      }
      if (Date.now() - ingestStart > INGEST_TIMEOUT_MS) {
        throw new Error(
          `The catalog did not finish stitching in ${
            INGEST_TIMEOUT_MS / 60_000
          } minutes`,
        );
      }
      await new Promise(resolve => setTimeout(resolve, 2000));
    }
    console.log(
      `Catalog: ${SERVICES.toLocaleString('en-US')} services, ${(
        SERVICES * 3
      ).toLocaleString(
        'en-US',
      )} typed dependencies, on PostgreSQL; ingested and stitched in ${Math.round(
        (Date.now() - ingestStart) / 1000,
      )} s`,
    );

    for (const [label, expected] of [
      ['hub', hub],
      ['typical service', typical],
    ] as const) {
      const { ref } = expected;
      const ways: Record<string, (f: typeof fetch) => Promise<unknown>> = {
        entity: f =>
          new CatalogClient({
            discoveryApi: { getBaseUrl: async () => baseUrl },
            fetchApi: { fetch: f },
          }).getEntityByRef(ref),
        card: f => f(`${baseUrl}${summaryPath(ref)}`),
      };
      const names = Object.keys(ways);
      const samples = new Map<string, Sample[]>(names.map(n => [n, []]));
      for (let pass = 0; pass < PASSES; pass++) {
        for (let k = 0; k < names.length; k++) {
          const name = names[(pass + k) % names.length];
          samples.get(name)!.push(await sample(token, ways[name]));
        }
      }
      const [entityFetch, card] = names.map(n => median(samples.get(n)!));
      const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
      const ms = (value: number) => `${value.toFixed(1)} ms`;
      console.log(
        `\n${label} ${ref}: ${expected.dependents} direct dependents, blast radius ${expected.blastRadius} (median of ${PASSES} passes)`,
      );
      console.log(
        `  entity page without the card (the entity):  ${ms(entityFetch.ms)}, ${
          entityFetch.requests
        } request, ${kb(entityFetch.bytes)}`,
      );
      console.log(
        `  the card (GET /platform/dependencies):      ${ms(card.ms)}, ${
          card.requests
        } request, ${kb(card.bytes)} (target under ${kb(CARD_BYTES_TARGET)})`,
      );
      console.log(
        `  page with the card / without: ${(
          (entityFetch.ms + card.ms) /
          entityFetch.ms
        ).toFixed(2)}x (target ${PAGE_RATIO_TARGET}x)`,
      );
    }
  } finally {
    await backend.stop();
    await knex.destroy();
    await postgres.stop();
    catalogFile.remove();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
