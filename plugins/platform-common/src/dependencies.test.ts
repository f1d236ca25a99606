import { Entity } from '@backstage/catalog-model';
import {
  parseTypedDependencies,
  readTypedDependencies,
  supportsTypedDependencies,
} from './dependencies';

function component(spec: Record<string, unknown>, namespace?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'checkout', namespace },
    spec: { type: 'service', lifecycle: 'production', owner: 'team', ...spec },
  };
}

describe('parseTypedDependencies', () => {
  it('normalises targets to full refs and defaults type and criticality', () => {
    const entity = component({
      dependencies: [
        { target: 'component:payments', type: 'runtime', critical: true },
        { target: 'resource:shop/orders-db', type: 'data' },
        { target: 'component:ci-toolkit', type: 'build', critical: false },
        { target: 'component:search' },
      ],
    });

    expect(parseTypedDependencies(entity)).toEqual({
      dependencies: [
        {
          target: 'component:default/payments',
          type: 'runtime',
          critical: true,
        },
        { target: 'resource:shop/orders-db', type: 'data', critical: false },
        {
          target: 'component:default/ci-toolkit',
          type: 'build',
          critical: false,
        },
        {
          target: 'component:default/search',
          type: 'runtime',
          critical: false,
        },
      ],
      problems: [],
    });
  });

  it('resolves targets in the namespace of the entity', () => {
    const entity = component(
      { dependencies: [{ target: 'component:payments', type: 'runtime' }] },
      'shop',
    );

    expect(readTypedDependencies(entity)).toEqual([
      { target: 'component:shop/payments', type: 'runtime', critical: false },
    ]);
  });

  it('treats plain dependsOn as runtime and not critical, unless typed', () => {
    const entity = component({
      dependsOn: ['component:payments', 'resource:orders-db'],
      dependencies: [
        { target: 'resource:orders-db', type: 'data', critical: true },
      ],
    });

    expect(readTypedDependencies(entity)).toEqual([
      { target: 'resource:default/orders-db', type: 'data', critical: true },
      {
        target: 'component:default/payments',
        type: 'runtime',
        critical: false,
      },
    ]);
  });

  it('returns the same list when applied to its own output', () => {
    const entity = component({
      dependsOn: ['component:payments'],
      dependencies: [{ target: 'resource:orders-db', type: 'data' }],
    });
    const normalised = component({
      dependsOn: ['component:payments'],
      dependencies: readTypedDependencies(entity),
    });

    expect(parseTypedDependencies(normalised)).toEqual(
      parseTypedDependencies(entity),
    );
  });

  it('leaves invalid dependsOn entries to the stock processor', () => {
    expect(
      parseTypedDependencies(component({ dependsOn: ['payments', 42] })),
    ).toEqual({ dependencies: [], problems: [] });
  });

  it.each([
    [
      'a target without a kind',
      [{ target: 'payments', type: 'runtime' }],
      'spec.dependencies[0] of component:default/checkout has the target "payments", which is not an entity ref with a kind such as component:payments',
      ['spec', 'dependencies', 0, 'target'],
    ],
    [
      'a missing target',
      [{ type: 'runtime' }],
      'spec.dependencies[0] of component:default/checkout has the target undefined, which is not an entity ref with a kind such as component:payments',
      ['spec', 'dependencies', 0, 'target'],
    ],
    [
      'an unknown type',
      [{ target: 'component:payments', type: 'network' }],
      'spec.dependencies[0] of component:default/checkout has the type "network"; allowed types are runtime, build, data',
      ['spec', 'dependencies', 0, 'type'],
    ],
    [
      'a non-boolean critical',
      [{ target: 'component:payments', critical: 'yes' }],
      'spec.dependencies[0] of component:default/checkout has critical set to "yes"; allowed values are true and false',
      ['spec', 'dependencies', 0, 'critical'],
    ],
    [
      'a misspelt key',
      [{ target: 'component:payments', critcal: true }],
      'spec.dependencies[0] of component:default/checkout has the unknown key "critcal"; allowed keys are target, type, critical',
      ['spec', 'dependencies', 0, 'critcal'],
    ],
    [
      'an item that is not an object',
      ['component:payments'],
      'spec.dependencies[0] of component:default/checkout must be an object with target, type and critical, got "component:payments"',
      ['spec', 'dependencies', 0],
    ],
  ])('reports %s', (_case, dependencies, message, path) => {
    expect(parseTypedDependencies(component({ dependencies }))).toEqual({
      dependencies: [],
      problems: [{ message, path }],
    });
  });

  it('reports the same dependency declared twice and keeps the first', () => {
    const entity = component({
      dependencies: [
        { target: 'component:payments', critical: true },
        { target: 'component:default/payments', type: 'runtime' },
        { target: 'component:payments', type: 'build' },
      ],
    });

    expect(parseTypedDependencies(entity)).toEqual({
      dependencies: [
        {
          target: 'component:default/payments',
          type: 'runtime',
          critical: true,
        },
        {
          target: 'component:default/payments',
          type: 'build',
          critical: false,
        },
      ],
      problems: [
        {
          message:
            'spec.dependencies[1] of component:default/checkout declares the runtime dependency on component:default/payments a second time',
          path: ['spec', 'dependencies', 1],
        },
      ],
    });
  });

  it('reports spec.dependencies that is not a list', () => {
    expect(
      parseTypedDependencies(component({ dependencies: 'component:payments' }))
        .problems,
    ).toEqual([
      {
        message:
          'spec.dependencies of component:default/checkout must be a list of { target, type, critical } items, got "component:payments"',
        path: ['spec', 'dependencies'],
      },
    ]);
  });

  it('keeps the valid items beside the invalid ones', () => {
    const parsed = parseTypedDependencies(
      component({
        dependencies: [
          { target: 'component:payments', type: 'wire' },
          { target: 'resource:orders-db', type: 'data', critical: true },
        ],
      }),
    );

    expect(parsed.dependencies).toEqual([
      { target: 'resource:default/orders-db', type: 'data', critical: true },
    ]);
    expect(parsed.problems).toHaveLength(1);
  });
});

describe('supportsTypedDependencies', () => {
  it.each([
    ['Component', true],
    ['Resource', true],
    ['API', false],
    ['System', false],
  ])('for a %s answers %s', (kind, expected) => {
    expect(supportsTypedDependencies({ ...component({}), kind })).toBe(
      expected,
    );
  });
});
