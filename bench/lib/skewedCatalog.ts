/*
 * A catalog with hubs: the shape that makes dependents and blast radius
 * expensive, for the benchmarks of the Dependencies card.
 */
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  computeBlastRadius,
  createDependencyGraph,
  DEPENDENCY_TYPES,
  TypedDependency,
} from '@internal/plugin-platform-common';

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

/**
 * `services` Components with `dependenciesPerService` typed dependencies
 * each (a `criticalShare` of them critical), as their catalog-info files
 * declare them. Targets are skewed towards low indexes, so a few shared
 * services collect hundreds of dependents, as databases and auth services
 * do in a real catalog.
 */
export function generateSkewedCatalog(options: {
  services: number;
  dependenciesPerService: number;
  criticalShare: number;
}): Entity[] {
  const { services, dependenciesPerService, criticalShare } = options;
  const next = random(7);
  const name = (i: number) => `svc-${String(i).padStart(5, '0')}`;
  const lifecycleOf = (r: number) => {
    if (r < 0.7) return 'production';
    if (r < 0.85) return 'development';
    if (r < 0.95) return 'experimental';
    return 'deprecated';
  };
  return Array.from({ length: services }, (_, i) => {
    const targets = new Set<number>();
    while (targets.size < dependenciesPerService) {
      const target = Math.floor(services * next() ** 2);
      if (target !== i) targets.add(target);
    }
    const dependencies: TypedDependency[] = [...targets].map(t => ({
      target: `component:default/${name(t)}`,
      type: DEPENDENCY_TYPES[Math.floor(next() * DEPENDENCY_TYPES.length)],
      critical: next() < criticalShare,
    }));
    return {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: name(i),
        namespace: 'default',
        title: `Service ${i}`,
        description: `Generated service ${i}`,
      },
      spec: {
        type: 'service',
        lifecycle: lifecycleOf(next()),
        owner: `team-${i % 50}`,
        dependencies,
      },
    };
  });
}

/**
 * What the platform's dependency summary of an entity must say, from the
 * whole graph in memory: how many entities depend on it, and how many fail
 * with it.
 */
export interface ExpectedSummary {
  entity: Entity;
  ref: string;
  dependents: number;
  blastRadius: number;
}

/**
 * The expected summaries of `entities`, the most depended-on first, so that
 * a benchmark can pick its hub and check the backend's answers before it
 * times anything.
 */
export function rankByDependents(entities: Entity[]): ExpectedSummary[] {
  const graph = createDependencyGraph(entities);
  const ranked = entities.map(entity => {
    const ref = stringifyEntityRef(entity);
    return {
      entity,
      ref,
      dependents: new Set(graph.dependentsOf(ref).map(edge => edge.source))
        .size,
      blastRadius: computeBlastRadius({ graph, entityRef: ref }).refs.length,
    };
  });
  return ranked.sort((a, b) => b.dependents - a.dependents);
}
