import { Entity } from '@backstage/catalog-model';
import {
  parseTypedDependencies,
  supportsTypedDependencies,
} from './dependencies';
import { checkLifecycle } from './lifecycle';
import { parseOwnership } from './ownership';
import { EntityProblem } from './problems';

/**
 * Every platform rule an entity breaks: its lifecycle, its typed
 * dependencies and its ownership annotations, in the order the catalog
 * reports them. What the catalog enforces, for tools that check entities
 * before they reach it.
 *
 * @public
 */
export function checkEntity(
  entity: Entity,
  options: { lifecycles: ReadonlySet<string> },
): EntityProblem[] {
  return [
    ...checkLifecycle(entity, options.lifecycles),
    ...(supportsTypedDependencies(entity)
      ? parseTypedDependencies(entity).problems
      : []),
    ...parseOwnership(entity).problems,
  ];
}
