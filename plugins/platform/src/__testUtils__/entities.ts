import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { TypedDependency } from '@internal/plugin-platform-common';

/**
 * Builds a catalog entity the way the catalog returns it after processing:
 * typed dependencies in `spec.dependencies` and the stock `dependsOn` /
 * `dependencyOf` relations, which the dependents query relies on.
 */
export function testEntity(options: {
  name: string;
  kind?: string;
  title?: string;
  lifecycle?: string;
  owner?: string;
  dependencies?: TypedDependency[];
  dependsOn?: string[];
  annotations?: Record<string, string>;
}): Entity {
  const spec: Entity['spec'] = { type: 'service' };
  if (options.lifecycle) spec.lifecycle = options.lifecycle;
  if (options.owner) spec.owner = options.owner;
  if (options.dependencies) spec.dependencies = options.dependencies as any;
  if (options.dependsOn) spec.dependsOn = options.dependsOn;
  const targets = [
    ...(options.dependencies ?? []).map(d => d.target),
    ...(options.dependsOn ?? []),
  ];
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: options.kind ?? 'Component',
    metadata: {
      name: options.name,
      namespace: 'default',
      ...(options.title ? { title: options.title } : {}),
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec,
    relations: targets.map(targetRef => ({ type: 'dependsOn', targetRef })),
  };
}

/** Adds the inverse `dependencyOf` relations, as the catalog stitches them. */
export function withInverseRelations(entities: Entity[]): Entity[] {
  const dependents = new Map<string, string[]>();
  for (const entity of entities) {
    for (const relation of entity.relations ?? []) {
      if (relation.type === 'dependsOn') {
        const list = dependents.get(relation.targetRef) ?? [];
        list.push(stringifyEntityRef(entity));
        dependents.set(relation.targetRef, list);
      }
    }
  }
  return entities.map(entity => ({
    ...entity,
    relations: [
      ...(entity.relations ?? []),
      ...(dependents.get(stringifyEntityRef(entity)) ?? []).map(targetRef => ({
        type: 'dependencyOf',
        targetRef,
      })),
    ],
  }));
}

/**
 * The shop from examples/services.yaml, reduced to what the cards read:
 * checkout (production) depends critically on recommendations
 * (experimental), web-shop depends on checkout without being critical.
 */
export function shopEntities(): Entity[] {
  return withInverseRelations([
    testEntity({
      name: 'payments',
      title: 'Payments',
      lifecycle: 'production',
      owner: 'team-payments',
      dependencies: [
        { target: 'resource:default/orders-db', type: 'data', critical: true },
        {
          target: 'component:default/ci-toolkit',
          type: 'build',
          critical: false,
        },
      ],
    }),
    testEntity({
      name: 'checkout',
      title: 'Checkout',
      lifecycle: 'production',
      owner: 'team-checkout',
      dependencies: [
        {
          target: 'component:default/payments',
          type: 'runtime',
          critical: true,
        },
        {
          target: 'component:default/recommendations',
          type: 'runtime',
          critical: true,
        },
        { target: 'resource:default/orders-db', type: 'data', critical: true },
      ],
    }),
    testEntity({
      name: 'web-shop',
      title: 'Web shop',
      lifecycle: 'production',
      owner: 'team-checkout',
      dependsOn: ['component:default/checkout'],
    }),
    testEntity({
      name: 'recommendations',
      title: 'Recommendations',
      lifecycle: 'experimental',
      owner: 'team-checkout',
    }),
    testEntity({
      name: 'ci-toolkit',
      title: 'CI toolkit',
      lifecycle: 'development',
      owner: 'team-platform',
    }),
    testEntity({
      name: 'orders-db',
      kind: 'Resource',
      title: 'Orders database',
      lifecycle: 'production',
      owner: 'team-payments',
    }),
  ]);
}
