import { Entity } from '@backstage/catalog-model';
import { processingResult } from '@backstage/plugin-catalog-node';
import { postProcess, testLocation } from '../__testUtils__/postProcess';
import { TypedDependencyProcessor } from './TypedDependencyProcessor';

const checkout = { kind: 'Component', namespace: 'default', name: 'checkout' };

function component(spec: Record<string, unknown>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'checkout' },
    spec: { type: 'service', lifecycle: 'production', owner: 'team', ...spec },
  };
}

type Ref = { kind: string; namespace: string; name: string };

function pair(target: Ref, source: Ref = checkout) {
  return [
    processingResult.relation({ source, type: 'dependsOn', target }),
    processingResult.relation({
      source: target,
      type: 'dependencyOf',
      target: source,
    }),
  ];
}

function criticalPair(target: Ref) {
  return [
    ...pair(target),
    processingResult.relation({
      source: checkout,
      type: 'criticallyDependsOn',
      target,
    }),
    processingResult.relation({
      source: target,
      type: 'criticalDependencyOf',
      target: checkout,
    }),
  ];
}

describe('TypedDependencyProcessor', () => {
  it('emits dependsOn and dependencyOf for every typed dependency, the criticallyDependsOn / criticalDependencyOf pair for the critical ones, and normalises the list', async () => {
    const { output, emitted } = await postProcess(
      new TypedDependencyProcessor(),
      component({
        dependsOn: ['component:web-assets'],
        dependencies: [
          { target: 'component:payments', type: 'runtime', critical: true },
          { target: 'resource:orders-db', type: 'data' },
        ],
      }),
    );

    expect(emitted).toEqual([
      ...criticalPair({
        kind: 'component',
        namespace: 'default',
        name: 'payments',
      }),
      ...pair({ kind: 'resource', namespace: 'default', name: 'orders-db' }),
      ...pair({ kind: 'component', namespace: 'default', name: 'web-assets' }),
    ]);
    expect(output.spec?.dependsOn).toEqual(['component:web-assets']);
    expect(output.spec?.dependencies).toEqual([
      { target: 'component:default/payments', type: 'runtime', critical: true },
      { target: 'resource:default/orders-db', type: 'data', critical: false },
      {
        target: 'component:default/web-assets',
        type: 'runtime',
        critical: false,
      },
    ]);
  });

  it('gives Resources typed dependencies too', async () => {
    const input: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: { name: 'orders-db', namespace: 'shop' },
      spec: {
        type: 'database',
        owner: 'team',
        dependencies: [{ target: 'resource:backups', type: 'data' }],
      },
    };

    expect(
      (await postProcess(new TypedDependencyProcessor(), input)).emitted,
    ).toEqual(
      pair(
        { kind: 'resource', namespace: 'shop', name: 'backups' },
        { kind: 'Resource', namespace: 'shop', name: 'orders-db' },
      ),
    );
  });

  it('leaves an entity without dependencies unchanged', async () => {
    const input = component({});

    expect(await postProcess(new TypedDependencyProcessor(), input)).toEqual({
      output: input,
      emitted: [],
    });
  });

  it.each([
    [
      'an unknown type',
      { target: 'component:payments', type: 'network' },
      'spec.dependencies[0] of component:default/checkout has the type "network"; allowed types are runtime, build, data',
    ],
    [
      'a target that is not an entity ref',
      { target: 'payments', type: 'runtime' },
      'spec.dependencies[0] of component:default/checkout has the target "payments", which is not an entity ref with a kind such as component:payments',
    ],
    [
      'a non-boolean critical',
      { target: 'component:payments', critical: 'true' },
      'spec.dependencies[0] of component:default/checkout has critical set to "true"; allowed values are true and false',
    ],
  ])('reports %s as an input error', async (_case, item, message) => {
    const { emitted } = await postProcess(
      new TypedDependencyProcessor(),
      component({
        dependencies: [
          item,
          { target: 'resource:orders-db', type: 'data', critical: true },
        ],
      }),
    );

    expect(emitted).toEqual([
      processingResult.inputError(testLocation, message),
      ...criticalPair({
        kind: 'resource',
        namespace: 'default',
        name: 'orders-db',
      }),
    ]);
  });
});
