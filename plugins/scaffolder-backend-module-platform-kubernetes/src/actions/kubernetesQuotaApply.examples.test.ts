import {
  actionContext,
  createPlatformNamespace,
  exampleStep,
  useTestCluster,
} from '@internal/platform-test-utils';
import { createKubernetesQuotaApplyAction } from './kubernetesQuotaApply';
import { examples } from './kubernetesQuotaApply.examples';

describe('platform:kubernetes:quota:apply examples', () => {
  const cluster = useTestCluster();

  it.each(examples.map(e => [e.description, e]))('%s', async (_, example) => {
    const { server, kubernetes, journal, access } = cluster();
    const action = createKubernetesQuotaApplyAction({
      kubernetes,
      journal,
      access,
    });
    const step = exampleStep(example);
    expect(step.action).toBe(action.id);
    await createPlatformNamespace(cluster(), step.input.namespace);

    await action.handler(actionContext(step.input));

    const quota = server.get(
      'resourcequotas',
      step.input.namespace,
      'platform-quota',
    );
    expect((quota?.spec as { hard: object }).hard).toMatchObject(
      Object.fromEntries(
        Object.entries(step.input.quota).map(([k, v]) => [k, String(v)]),
      ),
    );
  });
});
