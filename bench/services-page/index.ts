/*
 * Services page: the bytes and time of the page's first catalog request
 * against the first request of the stock catalog table and against the page's
 * old request, all answered by the same real catalog in the same process.
 *
 * Run from the repository root: yarn tsx bench/services-page/index.ts
 *
 * The catalog backend (with the platform's catalog module) runs in-process
 * on SQLite and ingests generated Components (70% services, 20% libraries,
 * 10% websites, each with a title, a description, the ownership annotations
 * and three typed dependencies) from one file location, as an app reads
 * catalog-info files. Every request goes through the catalog client over
 * HTTP; bytes are the JSON bodies before compression, with their gzip size
 * beside them. In each pass every request runs once, in a rotating order so
 * that load from other processes hits them alike; times are the median of
 * the passes. The whole is run for 1,000 and for 10,000 components, to show
 * which responses grow with the catalog.
 *
 * The stock table is measured in both of its modes. Under the new frontend
 * system `page:catalog` defaults to `pagination: true`, and the table's
 * EntityListProvider (@backstage/plugin-catalog-react 3.2) then asks
 * queryEntities for 20 whole entities sorted by name, without a count, and
 * sends a second request with limit 0 for the count. Without pagination (the
 * default of the legacy CatalogIndexPage) it asks getEntities for every whole
 * entity of the kind. Both are taken with the "all" owner choice, kind
 * component and no other filter; the requests of the stock page's filter
 * pickers are not counted.
 */
import { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { mockCredentials } from '@backstage/backend-test-utils';
import { CatalogApi, CatalogClient } from '@backstage/catalog-client';
import { Entity } from '@backstage/catalog-model';
import knexFactory from 'knex';
import {
  readServicesLocation,
  SERVICE_FACETS_REQUEST,
  servicesCountQuery,
  servicesQuery,
} from '../../plugins/platform/src/lib/services';
import {
  generateComponents,
  startCatalogBackend,
  writeCatalogFile,
} from '../lib/catalog';

const CATALOG_SIZES = [1_000, 10_000];
const PAGE_SIZE = 20;
const PASSES = 15;
const INGEST_TIMEOUT_MS = 15 * 60_000;

/** The old page's request, as of commit 75a6c8d, kept to measure against. */
const OLD_PAGE_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'metadata.description',
  'spec.type',
  'spec.owner',
  'spec.lifecycle',
];

/** A catalog client that adds up the size of the JSON bodies it receives. */
function measuringClient(baseUrl: string, token: string) {
  const received = { bytes: 0, gzipBytes: 0 };
  const client: CatalogApi = new CatalogClient({
    discoveryApi: { getBaseUrl: async () => baseUrl },
    fetchApi: {
      fetch: async (input, init) => {
        const response = await fetch(input, {
          ...init,
          headers: { ...init?.headers, authorization: token },
        });
        const body = Buffer.from(await response.arrayBuffer());
        received.bytes += body.byteLength;
        received.gzipBytes += gzipSync(body).byteLength;
        return new Response(body, response);
      },
    },
  });
  return { client, received };
}

/** Starts a catalog that reads the components from a file location. */
async function startCatalog(components: Entity[]) {
  const catalogFile = writeCatalogFile(components, 'bench-services-page-');
  // A database of our own, because the test backend's stop leaves its
  // connection pool open and the process would never end.
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
    pool: { min: 1, max: 1 },
  });
  const backend = await startCatalogBackend({
    knex,
    file: catalogFile.file,
  });
  const { port } = backend.server.address() as AddressInfo;
  const { client, received } = measuringClient(
    `http://127.0.0.1:${port}/api/catalog`,
    mockCredentials.user.header(),
  );
  return {
    catalog: client,
    received,
    async stop() {
      await backend.stop();
      await knex.destroy();
      catalogFile.remove();
    },
  };
}

async function waitForIngestion(catalog: CatalogApi, count: number) {
  const started = Date.now();
  for (;;) {
    const { totalItems } = await catalog.queryEntities({
      filter: { kind: 'component' },
      limit: 0,
    });
    if (totalItems >= count) {
      return (Date.now() - started) / 1000;
    }
    if (Date.now() - started > INGEST_TIMEOUT_MS) {
      throw new Error(
        `The catalog holds ${totalItems} of ${count} components after ${
          INGEST_TIMEOUT_MS / 60_000
        } minutes`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
}

type Measured = {
  label: string;
  /** What came back, e.g. "20 entities". */
  what: string;
  bytes: number;
  gzipBytes: number;
  times: number[];
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const format = (n: number) => Math.round(n).toLocaleString('en-US');

function ratio(a: number, b: number): string {
  return a / b >= 10 ? `${format(a / b)}x` : `${(a / b).toFixed(2)}x`;
}

/** Every request of the comparison, measured against one catalog. */
async function measure(size: number) {
  const started = await startCatalog(generateComponents(size));
  try {
    const { catalog, received } = started;
    const ingestSeconds = await waitForIngestion(catalog, size);

    const entities = async (request: Promise<{ items: unknown[] }>) =>
      `${format((await request).items.length)} entities`;
    const counted = async (request: Promise<{ totalItems: number }>) =>
      `count ${format((await request).totalItems)}`;
    const all = async (...runs: Array<() => Promise<string>>) =>
      (await Promise.all(runs.map(run => run()))).join(', ');

    // What the page sends for a first visit without a query string.
    const firstView = readServicesLocation(new URLSearchParams());
    const pageRequest = servicesQuery({
      location: firstView,
      limit: PAGE_SIZE,
    });
    const countRequest = servicesCountQuery(firstView.filters);
    const { pageInfo } = await catalog.queryEntities(pageRequest);
    const nextPageRequest = servicesQuery({
      location: { ...firstView, cursor: pageInfo.nextCursor },
      limit: PAGE_SIZE,
    });
    const page = () => entities(catalog.queryEntities(pageRequest));
    const count = () => counted(catalog.queryEntities(countRequest));
    const facets = async () => {
      const response = await catalog.getEntityFacets(SERVICE_FACETS_REQUEST);
      return `${Object.values(response.facets).flat().length} facet values`;
    };

    // The stock table's requests, as its EntityListProvider builds them.
    const stockFilter = { kind: 'component' };
    const stockOrder = [{ field: 'metadata.name', order: 'asc' as const }];
    const stockPage = () =>
      entities(
        catalog.queryEntities({
          filter: stockFilter,
          orderFields: stockOrder,
          limit: PAGE_SIZE,
          totalItems: 'exclude',
        }),
      );
    const stockCount = () =>
      counted(
        catalog.queryEntities({
          filter: stockFilter,
          orderFields: stockOrder,
          limit: 0,
        }),
      );

    const work: Array<{ label: string; run: () => Promise<string> }> = [
      { label: 'services page: rows', run: page },
      { label: 'services page: count', run: count },
      { label: 'services page: filter choices', run: facets },
      {
        label: 'services page: first view, all three',
        run: () => all(page, count, facets),
      },
      {
        label: 'services page: next page',
        run: () => entities(catalog.queryEntities(nextPageRequest)),
      },
      { label: 'stock table, paginated: rows', run: stockPage },
      { label: 'stock table, paginated: count', run: stockCount },
      {
        label: 'stock table, paginated: both',
        run: () => all(stockPage, stockCount),
      },
      {
        label: 'stock table, unpaginated',
        run: () =>
          entities(
            catalog.getEntities({ filter: stockFilter, order: stockOrder }),
          ),
      },
      {
        label: 'old services page',
        run: () =>
          entities(
            catalog.getEntities({
              filter: { kind: 'Component' },
              fields: OLD_PAGE_FIELDS,
              order: { field: 'metadata.name', order: 'asc' },
            }),
          ),
      },
    ];

    const measured: Measured[] = work.map(w => ({
      label: w.label,
      what: '',
      bytes: 0,
      gzipBytes: 0,
      times: [],
    }));
    // One untimed pass warms the JIT and the database's caches for all alike.
    for (const w of work) {
      await w.run();
    }
    for (let pass = 0; pass < PASSES; pass++) {
      for (let k = 0; k < work.length; k++) {
        const index = (pass + k) % work.length;
        received.bytes = 0;
        received.gzipBytes = 0;
        const start = performance.now();
        const what = await work[index].run();
        measured[index].times.push(performance.now() - start);
        Object.assign(measured[index], { what, ...received });
      }
    }
    return {
      size,
      ingestSeconds,
      measured,
      get: (label: string) => measured.find(m => m.label === label)!,
    };
  } finally {
    await started.stop();
  }
}

async function main() {
  const results = [];
  for (const size of CATALOG_SIZES) {
    results.push(await measure(size));
  }
  const largest = results[results.length - 1];
  const compare = (label: string, mine: Measured) => {
    const other = largest.get(label);
    return `    ${label.padEnd(36)} bytes ${ratio(
      other.bytes,
      mine.bytes,
    ).padStart(7)}, time ${ratio(median(other.times), median(mine.times))}`;
  };

  console.log(
    `Services page against a real catalog (SQLite) of ${format(
      largest.size,
    )} components, ingested in ${largest.ingestSeconds.toFixed(
      0,
    )} s; time is the median of ${PASSES} passes`,
  );
  console.log(
    `  ${'what is fetched'.padEnd(37)} ${'JSON bytes'.padStart(
      11,
    )} ${'gzip'.padStart(9)} ${'time'.padStart(9)}  what came back`,
  );
  for (const m of largest.measured) {
    console.log(
      `  ${m.label.padEnd(37)} ${format(m.bytes).padStart(11)} ${format(
        m.gzipBytes,
      ).padStart(9)} ${median(m.times).toFixed(1).padStart(6)} ms  ${m.what}`,
    );
  }
  const rows = largest.get('services page: rows');
  console.log('  other / services page rows (the request the rows wait for):');
  for (const label of [
    'stock table, paginated: rows',
    'stock table, unpaginated',
    'old services page',
  ]) {
    console.log(compare(label, rows));
  }
  const view = largest.get('services page: first view, all three');
  console.log('  other / services page first view (all its requests):');
  for (const label of [
    'stock table, paginated: both',
    'stock table, unpaginated',
    'old services page',
  ]) {
    console.log(compare(label, view));
  }
  console.log(
    `  JSON bytes with ${CATALOG_SIZES.map(format).join(' and ')} components:`,
  );
  for (const label of [
    'services page: rows',
    'services page: first view, all three',
    'stock table, paginated: rows',
    'stock table, unpaginated',
    'old services page',
  ]) {
    const sizes = results.map(r => format(r.get(label).bytes).padStart(11));
    console.log(`    ${label.padEnd(36)} ${sizes.join(' ')}`);
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
