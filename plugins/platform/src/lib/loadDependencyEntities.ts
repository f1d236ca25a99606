import { CatalogApi } from '@backstage/catalog-client';
import {
  Entity,
  RELATION_DEPENDENCY_OF,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { readTypedDependencies } from '@internal/plugin-platform-common';
import { refKey } from './dependencyGraph';

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
  'relations',
];

// Refs travel in a POST body, so there is no URL limit; batches only keep a
// single response of a huge blast radius to a sensible size.
const REFS_PER_REQUEST = 1000;

/**
 * Loads the part of the catalog the dependencies card needs for `entity`:
 * its direct dependencies, its direct dependents, and the dependents reached
 * through critical edges for the blast radius. Dependents are found through
 * the `dependencyOf` relations the catalog stitches, so each level of the
 * walk is one by-refs request, never one request per entity nor a scan of
 * the whole catalog.
 */
export async function loadDependencyEntities(options: {
  catalogApi: CatalogApi;
  entity: Entity;
}): Promise<Entity[]> {
  const { catalogApi, entity } = options;
  const loaded = new Map<string, Entity>();
  loaded.set(refKey(stringifyEntityRef(entity)), entity);

  const load = async (refs: string[]) => {
    const missing = [...new Set(refs)].filter(ref => !loaded.has(refKey(ref)));
    for (let i = 0; i < missing.length; i += REFS_PER_REQUEST) {
      const { items } = await catalogApi.getEntitiesByRefs({
        entityRefs: missing.slice(i, i + REFS_PER_REQUEST),
        fields: DEPENDENCY_FIELDS,
      });
      for (const item of items) {
        if (item) {
          loaded.set(refKey(stringifyEntityRef(item)), item);
        }
      }
    }
  };

  await load(readTypedDependencies(entity).map(d => d.target));

  let frontier = [entity];
  const walked = new Set([refKey(stringifyEntityRef(entity))]);
  while (frontier.length > 0) {
    const frontierKeys = new Set(
      frontier.map(item => refKey(stringifyEntityRef(item))),
    );
    const dependentRefs = frontier.flatMap(item =>
      (item.relations ?? [])
        .filter(relation => relation.type === RELATION_DEPENDENCY_OF)
        .map(relation => relation.targetRef),
    );
    await load(dependentRefs);

    const next: Entity[] = [];
    for (const ref of dependentRefs) {
      const key = refKey(ref);
      const dependent = loaded.get(key);
      if (
        dependent &&
        !walked.has(key) &&
        readTypedDependencies(dependent).some(
          d => d.critical && frontierKeys.has(refKey(d.target)),
        )
      ) {
        walked.add(key);
        next.push(dependent);
      }
    }
    frontier = next;
  }

  return [...loaded.values()];
}
