import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';

/**
 * The owning team and the lifecycle stage of an entity, as the cards show
 * them. The ownership URLs and typed dependencies are read with the shared
 * readers of the platform's common package (`plugin-platform-common`).
 */
export interface OwnerAndLifecycle {
  /** A full ref such as `group:default/team-payments`. */
  owner?: string;
  lifecycle?: string;
}

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
