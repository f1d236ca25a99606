import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { processingResult } from '@backstage/plugin-catalog-node';
import { postProcess, testLocation } from '../__testUtils__/postProcess';
import { LifecycleProcessor, readLifecycles } from './LifecycleProcessor';

function entity(kind: string, spec: Record<string, unknown>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind,
    metadata: { name: 'payments' },
    spec: { type: 'service', owner: 'team-payments', ...spec },
  };
}

describe('LifecycleProcessor', () => {
  const processor = LifecycleProcessor.fromConfig(new ConfigReader({}));

  it.each(['Component', 'API', 'Resource'])(
    'accepts a %s in a default lifecycle',
    async kind => {
      const input = entity(kind, { lifecycle: 'production' });

      expect(await postProcess(processor, input)).toEqual({
        output: input,
        emitted: [],
      });
    },
  );

  it.each([
    ['Component', 'prod', '"prod"'],
    ['API', 'Production', '"Production"'],
    ['Resource', 'retired', '"retired"'],
    ['Component', 42, '42'],
  ])('rejects a %s in the lifecycle %j', async (kind, lifecycle, shown) => {
    const input = entity(kind, { lifecycle });
    const ref = `${kind.toLocaleLowerCase('en-US')}:default/payments`;

    expect(await postProcess(processor, input)).toEqual({
      output: input,
      emitted: [
        processingResult.inputError(
          testLocation,
          `${ref} has the lifecycle ${shown}, which is not one of the configured lifecycles: experimental, development, production, deprecated`,
        ),
      ],
    });
  });

  it('accepts a Resource without a lifecycle, as the stock model does', async () => {
    expect(
      (await postProcess(processor, entity('Resource', {}))).emitted,
    ).toEqual([]);
  });

  it('leaves the lifecycle of other kinds alone', async () => {
    const input = entity('System', { lifecycle: 'whatever' });

    expect((await postProcess(processor, input)).emitted).toEqual([]);
  });

  it('uses the lifecycles from platform.catalog.lifecycles', async () => {
    const configured = LifecycleProcessor.fromConfig(
      new ConfigReader({
        platform: { catalog: { lifecycles: ['alpha', 'ga', 'sunset'] } },
      }),
    );

    expect(
      (await postProcess(configured, entity('Component', { lifecycle: 'ga' })))
        .emitted,
    ).toEqual([]);
    expect(
      (
        await postProcess(
          configured,
          entity('Component', { lifecycle: 'production' }),
        )
      ).emitted,
    ).toEqual([
      processingResult.inputError(
        testLocation,
        'component:default/payments has the lifecycle "production", which is not one of the configured lifecycles: alpha, ga, sunset',
      ),
    ]);
  });
});

describe('readLifecycles', () => {
  it.each([
    [[], 'platform.catalog.lifecycles must name at least one lifecycle'],
    [['ga', ' '], 'platform.catalog.lifecycles[1] must not be empty'],
    [
      ['ga', 'beta', 'ga'],
      'platform.catalog.lifecycles lists the lifecycle "ga" more than once',
    ],
  ])('rejects the configured list %j', (lifecycles, message) => {
    const config = new ConfigReader({ platform: { catalog: { lifecycles } } });

    expect(() => readLifecycles(config)).toThrow(message);
  });
});
