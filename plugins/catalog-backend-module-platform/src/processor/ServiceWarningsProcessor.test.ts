import { Entity } from '@backstage/catalog-model';
import { postProcess } from '../__testUtils__/postProcess';
import { ServiceWarningsProcessor } from './ServiceWarningsProcessor';

function component(
  lifecycle: string,
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments', annotations },
    spec: { type: 'service', lifecycle, owner: 'team-payments' },
  };
}

describe('ServiceWarningsProcessor', () => {
  it('warns in the status of a production service without an on-call rotation, and accepts it', async () => {
    const { output, emitted } = await postProcess(
      new ServiceWarningsProcessor(),
      component('production'),
    );

    expect(emitted).toEqual([]);
    expect(output).toMatchObject({
      metadata: { name: 'payments' },
      status: {
        items: [
          {
            type: 'platform.internal/service-warning',
            level: 'warning',
            message: 'In production without an on-call rotation.',
          },
        ],
      },
    });
  });

  it.each([
    [
      'production',
      'an on-call rotation',
      {
        'platform.internal/on-call-url': 'https://oncall.example.com/payments',
      },
    ],
    ['experimental', 'no on-call rotation', {}],
  ])(
    'leaves a %s service with %s unchanged',
    async (lifecycle, _description, annotations) => {
      const input = component(lifecycle, annotations);

      expect(await postProcess(new ServiceWarningsProcessor(), input)).toEqual({
        output: input,
        emitted: [],
      });
    },
  );

  it('counts an on-call annotation that is not a web URL as none', async () => {
    const { output } = await postProcess(
      new ServiceWarningsProcessor(),
      component('production', {
        'platform.internal/on-call-url': 'oncall.example.com/payments',
      }),
    );

    expect(output).toMatchObject({
      status: {
        items: [
          {
            level: 'warning',
            message: 'In production without an on-call rotation.',
          },
        ],
      },
    });
  });
});
