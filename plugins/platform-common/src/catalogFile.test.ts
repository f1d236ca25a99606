import { checkCatalogFile } from './catalogFile';
import { DEFAULT_LIFECYCLES } from './lifecycle';

const lifecycles = new Set<string>(DEFAULT_LIFECYCLES);

describe('checkCatalogFile', () => {
  it('points each problem at the line of its field, in file order', async () => {
    const source = [
      'apiVersion: backstage.io/v1alpha1',
      'kind: Component',
      'metadata:',
      '  name: checkout',
      'spec:',
      '  type: service',
      '  lifecycle: prod',
      '  owner: team-checkout',
      '  dependencies:',
      '    - target: payments',
      '---',
      'apiVersion: backstage.io/v1alpha1',
      'kind: Component',
      'metadata:',
      '  name: web-shop',
      'spec:',
      '  type: website',
      '  owner: team-checkout',
      '---',
    ].join('\n');

    expect(await checkCatalogFile({ source, lifecycles })).toEqual({
      entities: 2,
      problems: [
        {
          line: 7,
          message:
            'component:default/checkout has the lifecycle "prod", which is not one of the configured lifecycles: experimental, development, production, deprecated',
        },
        {
          line: 10,
          message:
            'spec.dependencies[0] of component:default/checkout has the target "payments", which is not an entity ref with a kind such as component:payments',
        },
        {
          // A missing field is reported at its parent.
          line: 16,
          message:
            "/spec must have required property 'lifecycle' - missingProperty: lifecycle",
        },
      ],
    });
  });

  it('reports YAML that does not parse, and a document that is no entity', async () => {
    expect(
      await checkCatalogFile({
        source: 'kind: Component\nkind: Resource\n---\n- a list\n',
        lifecycles,
      }),
    ).toEqual({
      entities: 1,
      problems: [
        { line: 2, message: 'Invalid YAML: Map keys must be unique' },
        {
          line: 4,
          message:
            'Expected a catalog entity, a mapping with apiVersion, kind, metadata and spec, got ["a list"]',
        },
      ],
    });
  });
});
