import { Entity } from '@backstage/catalog-model';
import { readOwnerAndLifecycle } from './entityReaders';
import { readOwnership } from './ownership';

/**
 * The platform's rules that an entity's own fields can answer, as sentences
 * for a reader: unlike the entity rules (`checkEntity`) the catalog accepts
 * an entity that breaks them. Rules that need other entities (critical
 * dependencies on unstable ones) are `findDependencyWarnings`.
 *
 * @public
 */
export function findServiceWarnings(entity: Entity): string[] {
  // An invalid URL counts as none, as on the ownership card.
  if (
    readOwnerAndLifecycle(entity).lifecycle === 'production' &&
    !readOwnership(entity).onCallUrl
  ) {
    return ['In production without an on-call rotation.'];
  }
  return [];
}
