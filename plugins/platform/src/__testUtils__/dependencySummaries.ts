import { Entity } from '@backstage/catalog-model';
import {
  BLAST_RADIUS_ITEMS_LIMIT,
  createDependencyGraph,
  DependentsPage,
  describeDependencies,
  describeDependencyWarning,
} from '@internal/plugin-platform-common';
import { PlatformApi } from '../api/PlatformApi';

/**
 * The catalog backend's dependency summaries, computed from `entities` with
 * the shared graph model, with dependents `pageSize` at a time (the cursor
 * is the offset).
 */
export function dependencySummaries(
  entities: Entity[],
  pageSize = 50,
): Pick<PlatformApi, 'getDependencies' | 'getDependents'> {
  const graph = createDependencyGraph(entities);
  const dependentsFrom = (
    entityRef: string,
    offset: number,
  ): DependentsPage => {
    const refs = [
      ...new Set(graph.dependentsOf(entityRef).map(edge => edge.source)),
    ];
    const pageRefs = new Set(refs.slice(offset, offset + pageSize));
    return {
      rows: describeDependencies({ graph, entityRef }).dependents.filter(row =>
        pageRefs.has(row.ref),
      ),
      totalItems: refs.length,
      nextCursor:
        offset + pageSize < refs.length ? String(offset + pageSize) : undefined,
    };
  };
  return {
    async getDependencies(entityRef) {
      const view = describeDependencies({ graph, entityRef });
      return {
        entityRef,
        dependencies: view.dependencies,
        dependents: dependentsFrom(entityRef, 0),
        warnings: view.warnings.map(warning => ({
          ...warning,
          message: describeDependencyWarning(warning, graph),
        })),
        blastRadius: {
          total: view.blastRadius.refs.length,
          items: view.blastRadius.refs
            .slice(0, BLAST_RADIUS_ITEMS_LIMIT)
            .map(ref => ({ ref, title: graph.node(ref)?.title ?? ref })),
        },
      };
    },
    async getDependents(entityRef, cursor) {
      return dependentsFrom(entityRef, Number(cursor));
    },
  };
}
