import { Entity } from '@backstage/catalog-model';
import { processingResult } from '@backstage/plugin-catalog-node';
import { postProcess, testLocation } from '../__testUtils__/postProcess';
import { OwnershipProcessor } from './OwnershipProcessor';

function component(
  annotations: Record<string, string>,
  links?: Entity['metadata']['links'],
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments', annotations, links },
    spec: { type: 'service', lifecycle: 'production', owner: 'team' },
  };
}

describe('OwnershipProcessor', () => {
  it('adds a link for each ownership URL and keeps existing links', async () => {
    const { output, emitted } = await postProcess(
      new OwnershipProcessor(),
      component(
        {
          'platform.internal/on-call-url':
            'https://oncall.example.com/payments',
          'platform.internal/docs-url': 'https://docs.example.com/payments',
          'platform.internal/repository-url':
            'https://git.example.com/org/payments',
        },
        [
          { url: 'https://grafana.example.com/payments', title: 'Dashboard' },
          { url: 'https://docs.example.com/payments', title: 'Docs' },
        ],
      ),
    );

    expect(emitted).toEqual([]);
    expect(output.metadata.links).toEqual([
      { url: 'https://grafana.example.com/payments', title: 'Dashboard' },
      { url: 'https://docs.example.com/payments', title: 'Docs' },
      {
        url: 'https://oncall.example.com/payments',
        title: 'On-call',
        type: 'on-call',
      },
      {
        url: 'https://git.example.com/org/payments',
        title: 'Repository',
        type: 'repository',
      },
    ]);
  });

  it('leaves an entity without ownership annotations unchanged', async () => {
    const input = component({});

    expect(await postProcess(new OwnershipProcessor(), input)).toEqual({
      output: input,
      emitted: [],
    });
  });

  it.each([
    ['platform.internal/on-call-url', 'pagerduty/payments'],
    ['platform.internal/docs-url', 'data:text/html,<h1>docs</h1>'],
    ['platform.internal/repository-url', 'git@github.com:org/payments.git'],
  ])('reports %s set to %j as an input error', async (annotation, value) => {
    const { output, emitted } = await postProcess(
      new OwnershipProcessor(),
      component({ [annotation]: value }),
    );

    expect(emitted).toEqual([
      processingResult.inputError(
        testLocation,
        `Annotation ${annotation} of component:default/payments is ${JSON.stringify(
          value,
        )}, which is not an absolute http or https URL`,
      ),
    ]);
    expect(output.metadata.links).toBeUndefined();
  });
});
