import {
  computeBlastRadius,
  createDependencyGraph,
  describeDependencies,
  describeDependencyWarning,
  findDependencyWarnings,
} from './dependencyGraph';
import { entityAt, shop } from './__testUtils__/catalog';

describe('computeBlastRadius', () => {
  const graph = createDependencyGraph(shop());

  it('counts dependents reached through critical edges, nearest first', () => {
    expect(
      computeBlastRadius({ graph, entityRef: 'resource:default/orders-db' }),
    ).toEqual({
      refs: ['component:default/payments', 'component:default/checkout'],
    });
  });

  it('stops at a non-critical edge', () => {
    // web-shop depends on checkout through plain dependsOn, so it degrades
    // rather than fails.
    expect(
      computeBlastRadius({ graph, entityRef: 'component:default/checkout' }),
    ).toEqual({ refs: [] });
  });

  it('counts nothing for a non-critical dependency', () => {
    expect(
      computeBlastRadius({ graph, entityRef: 'component:default/ci-toolkit' }),
    ).toEqual({ refs: [] });
  });

  it('terminates on cycles and never counts the entity itself', () => {
    const cyclic = createDependencyGraph([
      entityAt('component:default/a', {
        dependencies: [
          { target: 'component:default/b', type: 'runtime', critical: true },
        ],
      }),
      entityAt('component:default/b', {
        dependencies: [
          { target: 'component:default/c', type: 'runtime', critical: true },
        ],
      }),
      entityAt('component:default/c', {
        dependencies: [
          { target: 'component:default/a', type: 'runtime', critical: true },
        ],
      }),
    ]);
    expect(
      computeBlastRadius({ graph: cyclic, entityRef: 'component:default/a' })
        .refs,
    ).toEqual(['component:default/c', 'component:default/b']);
  });

  it('matches refs case-insensitively, as the catalog does', () => {
    const mixed = createDependencyGraph([
      entityAt('component:default/front', {
        dependencies: [
          { target: 'Component:default/Back', type: 'runtime', critical: true },
        ],
      }),
      entityAt('component:default/back'),
    ]);
    expect(
      computeBlastRadius({ graph: mixed, entityRef: 'component:default/back' })
        .refs,
    ).toEqual(['component:default/front']);
  });
});

describe('findDependencyWarnings', () => {
  const graph = createDependencyGraph(shop());

  it('warns when production depends critically on an experimental entity', () => {
    expect(
      findDependencyWarnings({
        graph,
        entityRef: 'component:default/checkout',
      }),
    ).toEqual([
      {
        kind: 'unstable-critical-dependency',
        source: 'component:default/checkout',
        target: 'component:default/recommendations',
        targetLifecycle: 'experimental',
      },
    ]);
  });

  it('shows the same warning on the unstable entity itself', () => {
    expect(
      findDependencyWarnings({
        graph,
        entityRef: 'component:default/recommendations',
      }),
    ).toEqual([
      expect.objectContaining({
        kind: 'unstable-critical-dependency',
        source: 'component:default/checkout',
      }),
    ]);
  });

  it.each([
    ['deprecated', true, 1],
    ['experimental', false, 0],
    ['development', true, 0],
  ])(
    'a production service depending on a %s one (critical: %s) gives %d warnings',
    (lifecycle, critical, count) => {
      const small = createDependencyGraph([
        entityAt('component:default/api', {
          lifecycle: 'production',
          dependencies: [
            { target: 'component:default/old', type: 'runtime', critical },
          ],
        }),
        entityAt('component:default/old', {
          lifecycle,
        }),
      ]);
      expect(
        findDependencyWarnings({
          graph: small,
          entityRef: 'component:default/api',
        }),
      ).toHaveLength(count);
    },
  );

  it('does not warn about an experimental service relying on another', () => {
    const small = createDependencyGraph([
      entityAt('component:default/lab', {
        lifecycle: 'experimental',
        dependencies: [
          { target: 'component:default/beta', type: 'runtime', critical: true },
        ],
      }),
      entityAt('component:default/beta', {
        lifecycle: 'experimental',
      }),
    ]);
    expect(
      findDependencyWarnings({
        graph: small,
        entityRef: 'component:default/lab',
      }),
    ).toEqual([]);
  });

  it('warns once about a target depended on in two ways', () => {
    const small = createDependencyGraph([
      entityAt('component:default/api', {
        lifecycle: 'production',
        dependencies: [
          { target: 'component:default/old', type: 'runtime', critical: true },
          { target: 'component:default/old', type: 'data', critical: true },
          { target: 'component:default/gone', type: 'runtime', critical: true },
          { target: 'component:default/gone', type: 'data', critical: false },
        ],
      }),
      entityAt('component:default/old', {
        lifecycle: 'deprecated',
      }),
    ]);
    expect(
      findDependencyWarnings({
        graph: small,
        entityRef: 'component:default/api',
      }).map(w => `${w.kind} ${w.target}`),
    ).toEqual([
      'missing-target component:default/gone',
      'unstable-critical-dependency component:default/old',
    ]);
  });

  it('warns about a dependency missing from the catalog', () => {
    const small = createDependencyGraph([
      entityAt('component:default/orphaned', {
        dependsOn: ['component:default/ghost'],
      }),
    ]);
    expect(
      findDependencyWarnings({
        graph: small,
        entityRef: 'component:default/orphaned',
      }),
    ).toEqual([
      {
        kind: 'missing-target',
        source: 'component:default/orphaned',
        target: 'component:default/ghost',
      },
    ]);
  });
});

describe('describeDependencies', () => {
  it('lists dependencies and dependents with their lifecycle and owner', () => {
    const graph = createDependencyGraph(shop());
    const view = describeDependencies({
      graph,
      entityRef: 'component:default/payments',
    });
    expect(view.dependencies).toEqual([
      {
        ref: 'resource:default/orders-db',
        type: 'data',
        critical: true,
        node: {
          ref: 'resource:default/orders-db',
          title: 'Orders database',
          lifecycle: 'production',
          owner: 'group:default/team-payments',
        },
      },
      {
        ref: 'component:default/ci-toolkit',
        type: 'build',
        critical: false,
        node: expect.objectContaining({ lifecycle: 'development' }),
      },
    ]);
    expect(view.dependents).toEqual([
      {
        ref: 'component:default/checkout',
        type: 'runtime',
        critical: true,
        node: expect.objectContaining({
          title: 'Checkout',
          owner: 'group:default/team-checkout',
        }),
      },
    ]);
    expect(view.blastRadius.refs).toEqual(['component:default/checkout']);
    expect(view.warnings).toEqual([]);
  });
});

describe('describeDependencyWarning', () => {
  const graph = createDependencyGraph([
    entityAt(
      'component:default/api',
      {
        lifecycle: 'production',
        dependencies: [
          { target: 'component:default/old', critical: true },
          { target: 'component:default/gone' },
        ],
      },
      'Public API',
    ),
    entityAt('component:default/old', { lifecycle: 'deprecated' }),
  ]);

  it('names entities by title and says what is wrong', () => {
    expect(
      findDependencyWarnings({ graph, entityRef: 'component:default/api' }).map(
        warning => describeDependencyWarning(warning, graph),
      ),
    ).toEqual([
      'Public API depends on component:default/gone, which is not in the catalog.',
      'Public API is in production and depends critically on old, which is deprecated.',
    ]);
  });
});
