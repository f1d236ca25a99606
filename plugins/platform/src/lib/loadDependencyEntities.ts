import { CatalogApi } from '@backstage/catalog-client';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { refKey } from './dependencyGraph';
import { readTypedDependencies } from '@internal/plugin-platform-common';

/** Only what the dependency graph reads, to keep responses small. */
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

// Each ref becomes a query parameter; batches keep the URL well under the
// limits of proxies in front of the catalog.
const REFS_PER_REQUEST = 100;

/**
 * Loads the part of the catalog the dependencies card needs for `entity`:
 * its direct dependencies, its direct dependents, and the dependents reached
 * through critical edges for the blast radius. One request per level of the
 * walk (and per batch of refs), never one per entity.
 */
export async function loadDependencyEntities(options: {
  catalogApi: CatalogApi;
  entity: Entity;
}): Promise<Entity[]> {
  const { catalogApi, entity } = options;
  const loaded = new Map<string, Entity>();
  const entityRef = refKey(stringifyEntityRef(entity));
  loaded.set(entityRef, entity);

  const targets = readTypedDependencies(entity).map(d => d.target);
  for (const batch of chunk(targets, REFS_PER_REQUEST)) {
    const { items } = await catalogApi.getEntitiesByRefs({
      entityRefs: batch,
      fields: DEPENDENCY_FIELDS,
    });
    for (const item of items) {
      if (item) {
        loaded.set(refKey(stringifyEntityRef(item)), item);
      }
    }
  }

  let frontier = [entityRef];
  const walked = new Set(frontier);
  while (frontier.length > 0) {
    const frontierSet = new Set(frontier);
    const next: string[] = [];
    for (const batch of chunk(frontier, REFS_PER_REQUEST)) {
      const { items } = await catalogApi.getEntities({
        filter: { 'relations.dependsOn': batch },
        fields: DEPENDENCY_FIELDS,
      });
      for (const item of items) {
        const ref = refKey(stringifyEntityRef(item));
        if (!loaded.has(ref)) {
          loaded.set(ref, item);
        }
        const dependsCritically = readTypedDependencies(item).some(
          d => d.critical && frontierSet.has(refKey(d.target)),
        );
        if (dependsCritically && !walked.has(ref)) {
          walked.add(ref);
          next.push(ref);
        }
      }
    }
    frontier = next;
  }

  return [...loaded.values()];
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    chunks.push(items.slice(i, i + size));
  }
  return chunks;
}
