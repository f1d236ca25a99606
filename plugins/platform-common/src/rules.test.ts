import { Entity } from '@backstage/catalog-model';
import { checkEntity } from './rules';

const lifecycles = new Set(['beta', 'ga']);

describe('checkEntity', () => {
  it('returns nothing for an entity that follows every rule', () => {
    const entity: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'payments',
        annotations: {
          'platform.internal/docs-url': 'https://docs.example.com/payments',
        },
      },
      spec: {
        type: 'service',
        lifecycle: 'ga',
        owner: 'team-payments',
        dependencies: [{ target: 'resource:orders-db', type: 'data' }],
      },
    };

    expect(checkEntity(entity, { lifecycles })).toEqual([]);
  });

  it('reports the lifecycle, dependency and ownership rules in that order', () => {
    const entity: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'payments',
        annotations: { 'platform.internal/docs-url': 'docs/payments' },
      },
      spec: {
        type: 'service',
        lifecycle: 'production',
        owner: 'team-payments',
        dependencies: [{ target: 'orders-db' }],
      },
    };

    expect(
      checkEntity(entity, { lifecycles }).map(problem => problem.path),
    ).toEqual([
      ['spec', 'lifecycle'],
      ['spec', 'dependencies', 0, 'target'],
      ['metadata', 'annotations', 'platform.internal/docs-url'],
    ]);
  });

  it('checks typed dependencies only on the kinds that have them', () => {
    const api: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'API',
      metadata: { name: 'payments-api' },
      spec: {
        type: 'openapi',
        lifecycle: 'ga',
        owner: 'team-payments',
        definition: '{}',
        dependencies: 'not checked',
      },
    };

    expect(checkEntity(api, { lifecycles })).toEqual([]);
  });
});
