import {
  Entity,
  RELATION_DEPENDENCY_OF,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { readTypedDependencies } from './dependencies';
import { refKey } from './dependencyGraph';

/**
 * The one catalog request the walk makes, with the caller's credentials
 * already bound: the catalog client's `getEntitiesByRefs` in the browser and
 * the CLI, the catalog service's with the user's credentials in a backend.
 * Entities the caller may not read come back as `undefined` and are left
 * out of the graph.
 *
 * @public
 */
export interface DependencyEntitySource {
  getEntitiesByRefs(request: {
    entityRefs: string[];
    fields?: string[];
  }): Promise<{ items: Array<Entity | null | undefined> }>;
}

/**
 * Only what the dependency graph reads, to keep responses small.
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
  'relations',
];

// Refs travel in a POST body, so there is no URL limit; batches only keep a
// single response of a huge blast radius to a sensible size.
const REFS_PER_REQUEST = 1000;

/**
 * Loads the part of the catalog the dependency graph of `entity` needs:
 * its direct dependencies, its direct dependents, and the dependents reached
 * through critical edges for the blast radius. Dependents are found through
 * the `dependencyOf` relations the catalog stitches, so each level of the
 * walk is one by-refs request, never one request per entity nor a scan of
 * the whole catalog.
 *
 * @public
 */
export async function loadDependencyEntities(options: {
  catalog: DependencyEntitySource;
  entity: Entity;
}): Promise<Entity[]> {
  const { catalog, entity } = options;
  const loaded = new Map<string, Entity>();
  loaded.set(refKey(stringifyEntityRef(entity)), entity);

  const load = async (refs: string[]) => {
    const missing = [...new Set(refs)].filter(ref => !loaded.has(refKey(ref)));
    for (let i = 0; i < missing.length; i += REFS_PER_REQUEST) {
      const { items } = await catalog.getEntitiesByRefs({
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
