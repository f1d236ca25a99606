import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';

/**
 * The owning team and the lifecycle stage of an entity. The ownership URLs
 * and typed dependencies have readers of their own, `readOwnership` and
 * `readTypedDependencies`.
 *
 * @public
 */
export interface OwnerAndLifecycle {
  /** A full ref such as `group:default/team-payments`. */
  owner?: string;
  lifecycle?: string;
}

/**
 * Reads `spec.owner` as a full ref and `spec.lifecycle`, leaving out what is
 * not a string.
 *
 * @public
 */
export function readOwnerAndLifecycle(entity: Entity): OwnerAndLifecycle {
  const { owner, lifecycle } = entity.spec ?? {};
  return {
    owner: typeof owner === 'string' ? toOwnerRef(owner, entity) : undefined,
    lifecycle: typeof lifecycle === 'string' ? lifecycle : undefined,
  };
}

function toOwnerRef(owner: string, entity: Entity): string | undefined {
  try {
    // spec.owner defaults to a group in the entity's namespace, as the stock
    // catalog reads it when it emits the ownedBy relation.
    return stringifyEntityRef(
      parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: entity.metadata.namespace,
      }),
    );
  } catch {
    return undefined;
  }
}
