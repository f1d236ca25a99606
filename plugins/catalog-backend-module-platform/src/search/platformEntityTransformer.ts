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

function relatedNames(entity: Entity, type: string): string[] {
  return (entity.relations ?? [])
    .filter(relation => relation.type === type)
    .map(relation => parseEntityRef(relation.targetRef).name);
}

function describeDependencies(entity: Entity): string | undefined {
  const typed = new Map(
    readTypedDependencies(entity).map(dependency => [
      dependency.target,
      dependency,
    ]),
  );
  const described = (entity.relations ?? [])
    .filter(relation => relation.type === RELATION_DEPENDS_ON)
    .map(relation => {
      const { name } = parseEntityRef(relation.targetRef);
      const dependency = typed.get(relation.targetRef);
      if (!dependency) {
        return name;
      }
      const critical = dependency.critical ? ', critical' : '';
      return `${name} (${dependency.type}${critical})`;
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
    const owners = relatedNames(entity, RELATION_OWNED_BY);
    const owned = relatedNames(entity, RELATION_OWNER_OF);
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
