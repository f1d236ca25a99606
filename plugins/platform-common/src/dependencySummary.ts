import { DependencyRow, DependencyWarning } from './dependencyGraph';

/**
 * The relation the platform's catalog module emits, besides the stock
 * `dependsOn`, from an entity to each target it depends on critically. The
 * catalog stores and indexes it like any relation, which lets a blast radius
 * be walked in the database instead of in whoever asks.
 *
 * @public
 */
export const RELATION_CRITICALLY_DEPENDS_ON = 'criticallyDependsOn';

/**
 * The inverse of {@link RELATION_CRITICALLY_DEPENDS_ON}: from a target to
 * each entity that depends on it critically.
 *
 * @public
 */
export const RELATION_CRITICAL_DEPENDENCY_OF = 'criticalDependencyOf';

/**
 * The fields of an entity a dependency summary reads: what a row shows of
 * the entity at its other end, and its typed dependencies. Not its
 * relations, which a hub has hundreds of.
 *
 * @public
 */
export const DEPENDENCY_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'spec.owner',
  'spec.lifecycle',
  'spec.dependencies',
  'spec.dependsOn',
];

/**
 * One page of the entities that depend on an entity, as rows of the edges
 * they declare towards it (an entity may depend on it in two ways).
 *
 * @public
 */
export interface DependentsPage {
  rows: DependencyRow[];
  /** How many entities the caller may read depend on it, all pages together. */
  totalItems: number;
  /** Asks for the next page; absent on the last one. */
  nextCursor?: string;
}

/**
 * An entity's dependencies, the first page of its dependents, its risky
 * edges and its blast radius, as the catalog module's
 * `GET /api/catalog/platform/dependencies` answers them.
 *
 * @public
 */
export interface DependencySummary {
  entityRef: string;
  dependencies: DependencyRow[];
  dependents: DependentsPage;
  warnings: Array<DependencyWarning & { message: string }>;
  blastRadius: {
    /** How many entities the caller may read fail with this one. */
    total: number;
    /** The nearest of them, at most {@link BLAST_RADIUS_ITEMS_LIMIT}. */
    items: Array<{ ref: string; title: string }>;
  };
}

/**
 * How many names of the blast radius a summary carries: enough to read, few
 * enough that a hub's summary stays small.
 *
 * @public
 */
export const BLAST_RADIUS_ITEMS_LIMIT = 100;
