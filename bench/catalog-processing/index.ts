/*
 * Catalog processing throughput: the stock processing pipeline alone against
 * the same pipeline with the platform processors added, in the same process.
 *
 * Run from the repository root: yarn tsx bench/catalog-processing/index.ts
 *
 * Each pass runs 10,000 generated Components, with 30,000 typed dependencies
 * between them, through the catalog's own DefaultCatalogProcessingOrchestrator
 * (preprocess, policies, validation, postprocess: everything the catalog does
 * to an entity except reading files and writing the database). The two
 * pipelines take turns every CHUNK entities, so that load from other
 * processes on a shared machine hits both alike; each round processes all
 * components through both, and the median round is reported.
 */
import path from 'node:path';
import {
  DefaultNamespaceEntityPolicy,
  Entity,
  EntityPolicies,
  FieldFormatEntityPolicy,
  makeValidator,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
} from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import {
  AnnotateLocationEntityProcessor,
  BuiltinKindsEntityProcessor,
  PlaceholderProcessor,
} from '@backstage/plugin-catalog-backend';
import { CatalogProcessor } from '@backstage/plugin-catalog-node';
import { PlatformEntityProcessor } from '@internal/plugin-catalog-backend-module-platform';
import { DEPENDENCY_TYPES } from '@internal/plugin-platform-common';

const COMPONENTS = 10_000;
const DEPENDENCIES_PER_COMPONENT = 3;
const ROUNDS = 9;
const CHUNK = 100;

type ProcessingResult = {
  ok: boolean;
  errors: Error[];
  relations?: unknown[];
};
type Orchestrator = {
  process(request: { entity: Entity }): Promise<ProcessingResult>;
};

/**
 * The catalog does not export its orchestrator, so it is loaded from the
 * installed package by path: the benchmark then measures exactly the code the
 * catalog runs, and fails loudly if a release moves the file.
 */
function createOrchestrator(processors: CatalogProcessor[]): Orchestrator {
  const packageDir = path.dirname(
    require.resolve('@backstage/plugin-catalog-backend/package.json'),
  );
  const { DefaultCatalogProcessingOrchestrator } = require(path.join(
    packageDir,
    'dist/processing/DefaultCatalogProcessingOrchestrator.cjs.js',
  ));
  const logger = {
    error() {},
    warn() {},
    info() {},
    debug() {},
    child() {
      return logger;
    },
  };
  return new DefaultCatalogProcessingOrchestrator({
    processors,
    integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
    rulesEnforcer: { isAllowed: () => true },
    logger,
    parser: async function* noLocationsAreRead() {},
    // The policies the catalog builder installs by default.
    policy: EntityPolicies.allOf([
      new SchemaValidEntityPolicy(),
      new DefaultNamespaceEntityPolicy(),
      new NoForeignRootFieldsEntityPolicy(),
      new FieldFormatEntityPolicy(makeValidator()),
    ]),
  });
}

function stockProcessors(): CatalogProcessor[] {
  const integrations = ScmIntegrations.fromConfig(new ConfigReader({}));
  return [
    new PlaceholderProcessor({
      resolvers: {},
      reader: {
        readUrl: () => Promise.reject(new Error('no reads in the benchmark')),
        readTree: () => Promise.reject(new Error('no reads in the benchmark')),
        search: () => Promise.reject(new Error('no reads in the benchmark')),
      },
      integrations,
    }),
    new BuiltinKindsEntityProcessor(),
    new AnnotateLocationEntityProcessor({ integrations }),
  ];
}

function generateComponents(): Entity[] {
  const lifecycles = ['experimental', 'development', 'production'];
  return Array.from({ length: COMPONENTS }, (_, i) => {
    const location = `url:https://git.example.com/org/service-${i}/blob/main/catalog-info.yaml`;
    return {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: `service-${i}`,
        annotations: {
          'backstage.io/managed-by-location': location,
          'backstage.io/managed-by-origin-location': location,
          'platform.internal/on-call-url': `https://oncall.example.com/service-${i}`,
          'platform.internal/docs-url': `https://docs.example.com/service-${i}`,
          'platform.internal/repository-url': `https://git.example.com/org/service-${i}`,
        },
      },
      spec: {
        type: 'service',
        lifecycle: lifecycles[i % lifecycles.length],
        owner: `team-${i % 50}`,
        dependencies: Array.from(
          { length: DEPENDENCIES_PER_COMPONENT },
          (__, d) => ({
            target: `component:service-${(i + 1 + d * 97) % COMPONENTS}`,
            type: DEPENDENCY_TYPES[d % DEPENDENCY_TYPES.length],
            critical: (i + d) % 4 === 0,
          }),
        ),
      },
    };
  });
}

type Tally = { nanoseconds: bigint; relations: number };

async function processChunk(
  orchestrator: Orchestrator,
  entities: Entity[],
  tally: Tally,
) {
  const start = process.hrtime.bigint();
  for (const entity of entities) {
    const result = await orchestrator.process({ entity });
    if (!result.ok) {
      throw new Error(
        `Benchmark entity failed processing: ${result.errors
          .map(e => e.message)
          .join('; ')}`,
      );
    }
    tally.relations += result.relations?.length ?? 0;
  }
  tally.nanoseconds += process.hrtime.bigint() - start;
}

/** Processes every component once through each pipeline, taking turns. */
async function runRound(stock: Orchestrator, platform: Orchestrator) {
  // Processors may change the entity they are given, so each pipeline gets
  // its own copies, made before any clock starts.
  const forStock = structuredClone(generateComponents());
  const forPlatform = structuredClone(generateComponents());
  const stockTally: Tally = { nanoseconds: 0n, relations: 0 };
  const platformTally: Tally = { nanoseconds: 0n, relations: 0 };
  for (let from = 0; from < COMPONENTS; from += CHUNK) {
    const stockChunk = forStock.slice(from, from + CHUNK);
    const platformChunk = forPlatform.slice(from, from + CHUNK);
    // Alternating who goes first cancels any advantage of going second.
    if ((from / CHUNK) % 2 === 0) {
      await processChunk(stock, stockChunk, stockTally);
      await processChunk(platform, platformChunk, platformTally);
    } else {
      await processChunk(platform, platformChunk, platformTally);
      await processChunk(stock, stockChunk, stockTally);
    }
  }
  const seconds = (tally: Tally) => Number(tally.nanoseconds) / 1e9;
  return {
    stockSeconds: seconds(stockTally),
    platformSeconds: seconds(platformTally),
    stockRelations: stockTally.relations,
    platformRelations: platformTally.relations,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const stock = createOrchestrator(stockProcessors());
  // What catalogModulePlatform registers.
  const platform = createOrchestrator([
    ...stockProcessors(),
    PlatformEntityProcessor.fromConfig(new ConfigReader({})),
  ]);

  // One untimed round lets the JIT settle before measuring.
  await runRound(stock, platform);

  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    rounds.push(await runRound(stock, platform));
  }
  const ratio = median(rounds.map(r => r.platformSeconds / r.stockSeconds));
  const stockRate = COMPONENTS / median(rounds.map(r => r.stockSeconds));
  const platformRate = COMPONENTS / median(rounds.map(r => r.platformSeconds));
  const { stockRelations, platformRelations } = rounds[0];
  const format = (n: number) => Math.round(n).toLocaleString('en-US');

  console.log(
    `Catalog processing of ${format(COMPONENTS)} components with ${format(
      COMPONENTS * DEPENDENCIES_PER_COMPONENT,
    )} typed dependencies (median of ${ROUNDS} rounds)`,
  );
  console.log(
    `  stock processing alone:      ${format(stockRate)} entities/s, ${format(
      stockRelations,
    )} relations`,
  );
  console.log(
    `  stock + platform processors: ${format(
      platformRate,
    )} entities/s, ${format(platformRelations)} relations`,
  );
  console.log(
    `  time ratio platform/stock: ${ratio.toFixed(3)} (overhead ${(
      (ratio - 1) *
      100
    ).toFixed(1)}%, target under 10%)`,
  );
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
