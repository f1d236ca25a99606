import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { processingResult } from '@backstage/plugin-catalog-node';
import { postProcess, testLocation } from '../__testUtils__/postProcess';
import { PlatformEntityProcessor } from './PlatformEntityProcessor';

const payments = { kind: 'Component', namespace: 'default', name: 'payments' };
const ordersDb = { kind: 'resource', namespace: 'default', name: 'orders-db' };

function component(lifecycle: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'payments',
      annotations: {
        'platform.internal/on-call-url': 'https://oncall.example.com/payments',
      },
    },
    spec: {
      type: 'service',
      lifecycle,
      owner: 'team-payments',
      dependencies: [{ target: 'resource:orders-db', type: 'data' }],
    },
  };
}

describe('PlatformEntityProcessor', () => {
  const processor = PlatformEntityProcessor.fromConfig(
    new ConfigReader({
      platform: { catalog: { lifecycles: ['beta', 'ga'] } },
    }),
  );

  it('applies the lifecycle, dependency and ownership rules in one pass', async () => {
    const { output, emitted } = await postProcess(processor, component('ga'));

    expect(emitted).toEqual([
      processingResult.relation({
        source: payments,
        type: 'dependsOn',
        target: ordersDb,
      }),
      processingResult.relation({
        source: ordersDb,
        type: 'dependencyOf',
        target: payments,
      }),
    ]);
    expect(output.spec?.dependencies).toEqual([
      { target: 'resource:default/orders-db', type: 'data', critical: false },
    ]);
    expect(output.metadata.links).toEqual([
      {
        url: 'https://oncall.example.com/payments',
        title: 'On-call',
        type: 'on-call',
      },
    ]);
  });

  it('reports a lifecycle outside the configured ones', async () => {
    const { emitted } = await postProcess(processor, component('production'));

    expect(emitted[0]).toEqual(
      processingResult.inputError(
        testLocation,
        'component:default/payments has the lifecycle "production", which is not one of the configured lifecycles: beta, ga',
      ),
    );
  });
});
