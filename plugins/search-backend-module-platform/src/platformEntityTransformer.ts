import {
  Entity,
  parseEntityRef,
  RELATION_DEPENDS_ON,
  RELATION_OWNED_BY,
  RELATION_OWNER_OF,
} from '@backstage/catalog-model';
import {
  CatalogCollatorEntityTransformer,
  defaultCatalogCollatorEntityTransformer,
} from '@backstage/plugin-search-backend-module-catalog';
import { readTypedDependencies } from '@internal/plugin-platform-common';

// Sorted, because the catalog does not promise an order of relations and a
// stable document text keeps search results stable between indexing runs.
function relatedRefs(entity: Entity, type: string): string[] {
  return (entity.relations ?? [])
    .filter(relation => relation.type === type)
    .map(relation => relation.targetRef)
    .sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
}

function nameOf(ref: string): string {
  return parseEntityRef(ref).name;
}

function describeDependencies(entity: Entity): string | undefined {
  const typed = new Map(
    readTypedDependencies(entity).map(dependency => [
      dependency.target,
      dependency,
    ]),
  );
  const described = relatedRefs(entity, RELATION_DEPENDS_ON).map(ref => {
    const dependency = typed.get(ref);
    if (!dependency) {
      return nameOf(ref);
    }
    const critical = dependency.critical ? ', critical' : '';
    return `${nameOf(ref)} (${dependency.type}${critical})`;
  });
  return described.length > 0
    ? `Depends on ${described.join(', ')}`
    : undefined;
}

/**
 * Shapes catalog entities into search documents like the stock transformer,
 * and adds to the text the owning team, what a team owns, and what an entity
 * depends on (with type and criticality), so that searching for a team finds
 * its services and searching for a service finds the services that depend on
 * it.
 *
 * @public
 */
export const platformEntityTransformer: CatalogCollatorEntityTransformer =
  entity => {
    const document = defaultCatalogCollatorEntityTransformer(entity);
    const owners = relatedRefs(entity, RELATION_OWNED_BY).map(nameOf);
    const owned = relatedRefs(entity, RELATION_OWNER_OF).map(nameOf);
    const text = [
      document.text,
      owners.length > 0 ? `Owned by ${owners.join(', ')}` : undefined,
      owned.length > 0 ? `Owns ${owned.join(', ')}` : undefined,
      describeDependencies(entity),
    ]
      .filter(Boolean)
      .join(' : ');
    return { ...document, text };
  };
