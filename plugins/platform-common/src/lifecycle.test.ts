import { Entity } from '@backstage/catalog-model';
import {
  checkLifecycle,
  DEFAULT_LIFECYCLES,
  lifecycleListProblem,
} from './lifecycle';

const lifecycles = new Set<string>(DEFAULT_LIFECYCLES);

function entity(kind: string, spec: Record<string, unknown>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind,
    metadata: { name: 'payments' },
    spec: { type: 'service', owner: 'team-payments', ...spec },
  };
}

describe('checkLifecycle', () => {
  it.each(['Component', 'API', 'Resource'])(
    'accepts a %s in an allowed lifecycle',
    kind => {
      expect(
        checkLifecycle(entity(kind, { lifecycle: 'production' }), lifecycles),
      ).toEqual([]);
    },
  );

  it.each([
    ['Component', 'prod', '"prod"'],
    ['API', 'Production', '"Production"'],
    ['Resource', 'retired', '"retired"'],
    ['Component', 42, '42'],
    ['Component', undefined, 'undefined'],
  ])('reports a %s in the lifecycle %j', (kind, lifecycle, shown) => {
    const ref = `${kind.toLocaleLowerCase('en-US')}:default/payments`;

    expect(checkLifecycle(entity(kind, { lifecycle }), lifecycles)).toEqual([
      {
        message: `${ref} has the lifecycle ${shown}, which is not one of the configured lifecycles: experimental, development, production, deprecated`,
        path: ['spec', 'lifecycle'],
      },
    ]);
  });

  it('accepts a Resource without a lifecycle, as the stock model does', () => {
    expect(checkLifecycle(entity('Resource', {}), lifecycles)).toEqual([]);
  });

  it('leaves the lifecycle of other kinds alone', () => {
    expect(
      checkLifecycle(entity('System', { lifecycle: 'whatever' }), lifecycles),
    ).toEqual([]);
  });
});

describe('lifecycleListProblem', () => {
  it('accepts a list of distinct stages', () => {
    expect(lifecycleListProblem(['beta', 'ga'], 'stages')).toBeUndefined();
  });

  it.each([
    [[], 'stages must name at least one lifecycle'],
    [['ga', ' '], 'stages[1] must not be empty'],
    [['ga', 'beta', 'ga'], 'stages lists the lifecycle "ga" more than once'],
  ])('rejects %j', (list, message) => {
    expect(lifecycleListProblem(list, 'stages')).toBe(message);
  });
});
