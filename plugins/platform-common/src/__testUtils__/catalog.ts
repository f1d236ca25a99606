import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { readTypedDependencies } from '../dependencies';

/**
 * An entity named by its ref, with `spec` as written in catalog-info.yaml;
 * `title` goes into the metadata.
 */
export function entityAt(
  ref: string,
  spec: Record<string, unknown> = {},
  title?: string,
): Entity {
  const { kind, namespace, name } = parseEntityRef(ref);
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: kind === 'resource' ? 'Resource' : 'Component',
    metadata: { name, namespace, ...(title && { title }) },
    spec: { type: 'service', ...spec },
  };
}

/**
 * The entities as the catalog serves them once processed and stitched: each
 * with a `dependsOn` relation per dependency and a `dependencyOf` relation
 * per dependent.
 */
export function stitched(entities: Entity[]): Entity[] {
  const dependentsByTarget = new Map<string, string[]>();
  for (const entity of entities) {
    for (const { target } of readTypedDependencies(entity)) {
      dependentsByTarget.set(target, [
        ...(dependentsByTarget.get(target) ?? []),
        stringifyEntityRef(entity),
      ]);
    }
  }
  return entities.map(entity => ({
    ...entity,
    relations: [
      ...readTypedDependencies(entity).map(({ target }) => ({
        type: 'dependsOn',
        targetRef: target,
      })),
      ...(dependentsByTarget.get(stringifyEntityRef(entity)) ?? []).map(
        targetRef => ({ type: 'dependencyOf', targetRef }),
      ),
    ],
  }));
}

/**
 * A shop: checkout (production) depends critically on payments and on
 * recommendations (experimental); payments critically on the orders
 * database; web-shop on checkout without being critical; payments on the
 * CI toolkit at build time.
 */
export function shop(): Entity[] {
  const critical = (target: string, type = 'runtime') => ({
    target,
    type,
    critical: true,
  });
  return stitched([
    entityAt(
      'component:default/payments',
      {
        lifecycle: 'production',
        owner: 'team-payments',
        dependencies: [
          critical('resource:default/orders-db', 'data'),
          { target: 'component:default/ci-toolkit', type: 'build' },
        ],
      },
      'Payments',
    ),
    entityAt(
      'component:default/checkout',
      {
        lifecycle: 'production',
        owner: 'team-checkout',
        dependencies: [
          critical('component:default/payments'),
          critical('component:default/recommendations'),
          critical('resource:default/orders-db', 'data'),
        ],
      },
      'Checkout',
    ),
    entityAt('component:default/web-shop', {
      lifecycle: 'production',
      owner: 'team-checkout',
      dependsOn: ['component:default/checkout'],
    }),
    entityAt('component:default/recommendations', {
      lifecycle: 'experimental',
      owner: 'team-checkout',
    }),
    entityAt('component:default/ci-toolkit', {
      lifecycle: 'development',
      owner: 'team-platform',
    }),
    entityAt(
      'resource:default/orders-db',
      { lifecycle: 'production', owner: 'team-payments' },
      'Orders database',
    ),
  ]);
}
