import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { DependencyType, readTypedDependencies } from './dependencies';
import { readOwnerAndLifecycle } from './entityReaders';

/**
 * One edge of the graph: `source` depends on `target`.
 *
 * @public
 */
export interface DependencyEdge {
  source: string;
  target: string;
  type: DependencyType;
  critical: boolean;
}

/**
 * What is known about an entity of the graph.
 *
 * @public
 */
export interface DependencyNode {
  ref: string;
  title: string;
  lifecycle?: string;
  owner?: string;
}

/**
 * An index of dependency edges in both directions. Build it once per set of
 * entities with {@link createDependencyGraph}; every question below is then
 * answered without scanning the whole catalog again.
 *
 * @public
 */
export interface DependencyGraph {
  node(ref: string): DependencyNode | undefined;
  dependenciesOf(ref: string): DependencyEdge[];
  dependentsOf(ref: string): DependencyEdge[];
}

/**
 * Lifecycles a production service must not rely on critically.
 *
 * @public
 */
export const UNSTABLE_LIFECYCLES: readonly string[] = [
  'experimental',
  'deprecated',
];

/**
 * A risky edge next to an entity: a production entity relying critically on
 * an unstable one, or a dependency on a ref the catalog does not know.
 *
 * @public
 */
export type DependencyWarning =
  | {
      kind: 'unstable-critical-dependency';
      source: string;
      target: string;
      targetLifecycle: string;
    }
  | { kind: 'missing-target'; source: string; target: string };

/**
 * One dependency or dependent of an entity, with the entity at its other end
 * where the graph has it.
 *
 * @public
 */
export interface DependencyRow {
  ref: string;
  type: DependencyType;
  critical: boolean;
  /** Undefined when the ref names nothing in the catalog. */
  node?: DependencyNode;
}

/**
 * The dependencies, dependents, risky edges and blast radius of one entity.
 *
 * @public
 */
export interface DependenciesView {
  dependencies: DependencyRow[];
  dependents: DependencyRow[];
  warnings: DependencyWarning[];
  blastRadius: BlastRadius;
}

/**
 * What fails with an entity.
 *
 * @public
 */
export interface BlastRadius {
  /** Refs of every entity that fails when this one fails, nearest first. */
  refs: string[];
}

/**
 * Catalog refs are case-insensitive; indexing by this key keeps a
 * `Component:default/Payments` declaration pointing at
 * `component:default/payments`.
 *
 * @public
 */
export function refKey(ref: string): string {
  return ref.toLocaleLowerCase('en-US');
}

/**
 * Indexes the typed dependencies of `entities` in both directions. Edges may
 * point at entities that are not among them: {@link findDependencyWarnings}
 * reports those.
 *
 * @public
 */
export function createDependencyGraph(
  entities: Iterable<Entity>,
): DependencyGraph {
  const nodes = new Map<string, DependencyNode>();
  const outgoing = new Map<string, DependencyEdge[]>();
  const incoming = new Map<string, DependencyEdge[]>();

  for (const entity of entities) {
    const ref = stringifyEntityRef(entity);
    const { owner, lifecycle } = readOwnerAndLifecycle(entity);
    nodes.set(refKey(ref), {
      ref,
      title: entity.metadata.title ?? entity.metadata.name,
      lifecycle,
      owner,
    });
    const edges = readTypedDependencies(entity).map(dependency => ({
      source: ref,
      ...dependency,
    }));
    outgoing.set(refKey(ref), edges);
    for (const edge of edges) {
      const targetKey = refKey(edge.target);
      const list = incoming.get(targetKey);
      if (list) {
        list.push(edge);
      } else {
        incoming.set(targetKey, [edge]);
      }
    }
  }

  return {
    node: ref => nodes.get(refKey(ref)),
    dependenciesOf: ref => outgoing.get(refKey(ref)) ?? [],
    dependentsOf: ref => incoming.get(refKey(ref)) ?? [],
  };
}

/**
 * The entities that fail when `entityRef` fails: those that depend on it
 * critically, directly or through a chain of critical edges. Non-critical
 * dependents are expected to degrade, not fail, so they stop the walk.
 *
 * @public
 */
export function computeBlastRadius(options: {
  graph: DependencyGraph;
  entityRef: string;
}): BlastRadius {
  const { graph, entityRef } = options;
  const visited = new Set<string>([refKey(entityRef)]);
  const refs: string[] = [];
  let frontier = [entityRef];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const ref of frontier) {
      for (const edge of graph.dependentsOf(ref)) {
        const sourceKey = refKey(edge.source);
        if (edge.critical && !visited.has(sourceKey)) {
          visited.add(sourceKey);
          refs.push(edge.source);
          next.push(edge.source);
        }
      }
    }
    frontier = next;
  }
  return { refs };
}

/**
 * The problems a reader of the entity page should know about: a production
 * entity that depends critically on an experimental or deprecated one (seen
 * from either end of the edge), and dependencies on refs the catalog does not
 * know.
 *
 * @public
 */
export function findDependencyWarnings(options: {
  graph: DependencyGraph;
  entityRef: string;
}): DependencyWarning[] {
  const { graph, entityRef } = options;
  // An entity may depend on the same target in two ways (runtime and data);
  // that is still one problem to report.
  const warnings = new Map<string, DependencyWarning>();
  const add = (warning: DependencyWarning) => {
    const key = `${warning.kind} ${refKey(warning.source)} ${refKey(
      warning.target,
    )}`;
    if (!warnings.has(key)) {
      warnings.set(key, warning);
    }
  };
  for (const edge of graph.dependenciesOf(entityRef)) {
    if (!graph.node(edge.target)) {
      add({ kind: 'missing-target', source: edge.source, target: edge.target });
    }
  }
  const edgesToCheck = [
    ...graph.dependenciesOf(entityRef),
    ...graph.dependentsOf(entityRef),
  ];
  for (const edge of edgesToCheck) {
    const targetLifecycle = graph.node(edge.target)?.lifecycle;
    if (
      edge.critical &&
      graph.node(edge.source)?.lifecycle === 'production' &&
      targetLifecycle &&
      UNSTABLE_LIFECYCLES.includes(targetLifecycle)
    ) {
      add({
        kind: 'unstable-critical-dependency',
        source: edge.source,
        target: edge.target,
        targetLifecycle,
      });
    }
  }
  return [...warnings.values()];
}

/**
 * Everything the graph says about one entity: its dependencies, dependents,
 * risky edges and blast radius.
 *
 * @public
 */
export function describeDependencies(options: {
  graph: DependencyGraph;
  entityRef: string;
}): DependenciesView {
  const { graph, entityRef } = options;
  return {
    dependencies: graph.dependenciesOf(entityRef).map(edge => ({
      ref: edge.target,
      type: edge.type,
      critical: edge.critical,
      node: graph.node(edge.target),
    })),
    dependents: graph.dependentsOf(entityRef).map(edge => ({
      ref: edge.source,
      type: edge.type,
      critical: edge.critical,
      node: graph.node(edge.source),
    })),
    warnings: findDependencyWarnings(options),
    blastRadius: computeBlastRadius(options),
  };
}

/**
 * A warning as one sentence, naming entities by their title where the graph
 * has them.
 *
 * @public
 */
export function describeDependencyWarning(
  warning: DependencyWarning,
  graph: DependencyGraph,
): string {
  const title = (ref: string) => graph.node(ref)?.title ?? ref;
  if (warning.kind === 'missing-target') {
    return `${title(warning.source)} depends on ${
      warning.target
    }, which is not in the catalog.`;
  }
  return `${title(
    warning.source,
  )} is in production and depends critically on ${title(
    warning.target,
  )}, which is ${warning.targetLifecycle}.`;
}
