import {
  actionContext,
  exampleStep,
  useTestCluster,
} from '@internal/platform-test-utils';
import { createKubernetesNamespaceCreateAction } from './kubernetesNamespaceCreate';
import { examples } from './kubernetesNamespaceCreate.examples';

describe('platform:kubernetes:namespace:create examples', () => {
  const cluster = useTestCluster();

  it.each(examples.map(e => [e.description, e]))('%s', async (_, example) => {
    const { server, kubernetes, journal, access } = cluster();
    const action = createKubernetesNamespaceCreateAction({
      kubernetes,
      journal,
      access,
    });
    const step = exampleStep(example);
    expect(step.action).toBe(action.id);
    if (step.input.adopt) {
      server.seed({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: step.input.name,
          labels: {
            'app.kubernetes.io/managed-by': 'backstage-platform',
            'platform.internal/service': step.input.service,
          },
        },
      });
    }
    const ctx = actionContext(step.input);
    await action.handler(ctx);

    const namespace = server.get('namespaces', undefined, step.input.name);
    expect(namespace?.metadata.labels?.['platform.internal/service']).toBe(
      step.input.service,
    );
    expect(
      server.get('resourcequotas', step.input.name, 'platform-quota')?.spec,
    ).toEqual({
      hard: expect.objectContaining({
        cpu: step.input.quota?.cpu ?? '4',
        pods: String(step.input.quota?.pods ?? 20),
      }),
    });
    expect(ctx.output).toHaveBeenCalledWith(
      'adopted',
      Boolean(step.input.adopt),
    );
  });
});
