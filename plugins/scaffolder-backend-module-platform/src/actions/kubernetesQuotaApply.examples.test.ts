import yaml from 'yaml';
import {
  actionContext,
  startTestCluster,
  TestCluster,
} from '../__testUtils__/kubernetesCluster';
import { createKubernetesNamespaceCreateAction } from './kubernetesNamespaceCreate';
import { createKubernetesQuotaApplyAction } from './kubernetesQuotaApply';
import { examples } from './kubernetesQuotaApply.examples';

describe('platform:kubernetes:quota:apply examples', () => {
  let cluster: TestCluster;

  beforeEach(async () => {
    cluster = await startTestCluster();
  });

  afterEach(async () => {
    await cluster.close();
  });

  it.each(examples.map(e => [e.description, e]))('%s', async (_, example) => {
    const deps = { kubernetes: cluster.kubernetes, journal: cluster.journal };
    const action = createKubernetesQuotaApplyAction(deps);
    const [step] = yaml.parse(example.example).steps;
    expect(step.action).toBe(action.id);
    await createKubernetesNamespaceCreateAction(deps).handler(
      actionContext({
        name: step.input.namespace,
        service: 'payments',
        owner: 'group:default/payments-team',
      }),
    );

    await action.handler(actionContext(step.input));

    const hard = (
      cluster.server.get(
        'resourcequotas',
        step.input.namespace,
        'platform-quota',
      )?.spec as any
    ).hard;
    for (const [resource, value] of Object.entries(step.input.quota)) {
      expect(hard[resource]).toBe(String(value));
    }
  });
});
