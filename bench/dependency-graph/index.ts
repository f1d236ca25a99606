/*
 * Dependencies card: what the card computes for one entity (dependency rows,
 * dependents, warnings, blast radius) against the time it takes just to list
 * the entities it computes from, in the same process.
 *
 * Run from the repository root: yarn tsx bench/dependency-graph/index.ts
 *
 * The catalog holds 10,000 generated Components with 30,000 typed
 * dependencies between them (three each, about 30% critical), with the
 * dependsOn / dependencyOf relations the catalog stitches. It is served by the
 * catalog client's own in-memory implementation, which filters and trims
 * fields the way the catalog's API does. The card is measured for the
 * component with the most dependents, the worst case for the blast radius.
 * Each figure is the median of several passes.
 */
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InMemoryCatalogClient } from '@backstage/catalog-client/testUtils';
import {
  computeBlastRadius,
  createDependencyGraph,
  DEPENDENCY_FIELDS,
  DEPENDENCY_TYPES,
  describeDependencies,
  loadDependencyEntities,
  TypedDependency,
} from '@internal/plugin-platform-common';

const SERVICES = 10_000;
const DEPENDENCIES_PER_SERVICE = 3;
const CRITICAL_SHARE = 0.3;
const PASSES = 7;

// A fixed seed: every run measures the same catalog.
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generateCatalog(): Entity[] {
  const next = random(7);
  const name = (i: number) => `svc-${String(i).padStart(5, '0')}`;
  const lifecycleOf = (r: number) => {
    if (r < 0.7) return 'production';
    if (r < 0.85) return 'development';
    if (r < 0.95) return 'experimental';
    return 'deprecated';
  };
  const entities: Entity[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const targets = new Set<number>();
    while (targets.size < DEPENDENCIES_PER_SERVICE) {
      // Skewed towards low indexes, so a few shared services collect many
      // dependents, as databases and auth services do in a real catalog.
      const target = Math.floor(SERVICES * next() ** 2);
      if (target !== i) targets.add(target);
    }
    const dependencies: TypedDependency[] = [...targets].map(t => ({
      target: `component:default/${name(t)}`,
      type: DEPENDENCY_TYPES[Math.floor(next() * DEPENDENCY_TYPES.length)],
      critical: next() < CRITICAL_SHARE,
    }));
    entities.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: name(i),
        namespace: 'default',
        description: `Generated service ${i}`,
      },
      spec: {
        type: 'service',
        lifecycle: lifecycleOf(next()),
        owner: `team-${i % 50}`,
        dependencies,
      },
      relations: dependencies.map(d => ({
        type: 'dependsOn',
        targetRef: d.target,
      })),
    });
  }
  const byRef = new Map(entities.map(e => [stringifyEntityRef(e), e]));
  for (const entity of entities) {
    for (const relation of entity.relations!) {
      byRef.get(relation.targetRef)!.relations!.push({
        type: 'dependencyOf',
        targetRef: stringifyEntityRef(entity),
      });
    }
  }
  return entities;
}

async function median(
  passes: number,
  run: () => Promise<unknown> | unknown,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < passes; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function main() {
  const entities = generateCatalog();
  const catalogApi = new InMemoryCatalogClient({ entities });
  const edges = entities.reduce(
    (sum, e) => sum + (e.spec!.dependencies as unknown[]).length,
    0,
  );
  const listAll = () =>
    catalogApi.getEntities({
      filter: { kind: 'Component' },
      fields: DEPENDENCY_FIELDS,
    });

  const { items: listed } = await listAll();
  const fullGraph = createDependencyGraph(listed);
  const hub = entities.reduce((best, e) =>
    fullGraph.dependentsOf(stringifyEntityRef(e)).length >
    fullGraph.dependentsOf(stringifyEntityRef(best)).length
      ? e
      : best,
  );
  const hubRef = stringifyEntityRef(hub);
  const view = describeDependencies({ graph: fullGraph, entityRef: hubRef });

  const listMs = await median(PASSES, listAll);
  const computeMs = await median(PASSES, () =>
    describeDependencies({
      graph: createDependencyGraph(listed),
      entityRef: hubRef,
    }),
  );
  const cardMs = await median(PASSES, async () => {
    const loaded = await loadDependencyEntities({
      catalog: catalogApi,
      entity: hub,
    });
    return describeDependencies({
      graph: createDependencyGraph(loaded),
      entityRef: hubRef,
    });
  });
  const everyRadiusMs = await median(PASSES, () => {
    for (const entity of listed) {
      computeBlastRadius({
        graph: fullGraph,
        entityRef: stringifyEntityRef(entity),
      });
    }
  });

  const ms = (value: number) => `${value.toFixed(1)} ms`;
  console.log(
    `Catalog: ${entities.length} services, ${edges} typed dependencies; card for ${hubRef}: ` +
      `${view.dependents.length} direct dependents, blast radius ${view.blastRadius.refs.length}, ` +
      `${view.warnings.length} warnings (median of ${PASSES} passes)`,
  );
  console.log(
    `Listing the ${entities.length} entities alone:        ${ms(listMs)}`,
  );
  console.log(
    `Card computation on that list (graph + rows + warnings + blast radius): ${ms(
      computeMs,
    )}  ratio ${(computeMs / listMs).toFixed(2)}x the listing`,
  );
  console.log(
    `Card as it runs (catalog walk + computation):       ${ms(
      cardMs,
    )}  ratio ${(cardMs / listMs).toFixed(2)}x the listing`,
  );
  console.log(
    `Blast radius of every one of the ${
      entities.length
    } services on one graph: ${ms(everyRadiusMs)}  ratio ${(
      everyRadiusMs / listMs
    ).toFixed(2)}x the listing`,
  );
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
