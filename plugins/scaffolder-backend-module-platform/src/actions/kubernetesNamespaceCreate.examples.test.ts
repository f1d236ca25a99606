import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import yaml from 'yaml';
import {
  startTestCluster,
  TestCluster,
} from '../__testUtils__/kubernetesCluster';
import { createKubernetesNamespaceCreateAction } from './kubernetesNamespaceCreate';
import { examples } from './kubernetesNamespaceCreate.examples';

describe('platform:kubernetes:namespace:create examples', () => {
  let cluster: TestCluster;

  beforeEach(async () => {
    cluster = await startTestCluster();
  });

  afterEach(async () => {
    await cluster.close();
  });

  it.each(examples.map(e => [e.description, e]))('%s', async (_, example) => {
    const action = createKubernetesNamespaceCreateAction({
      kubernetes: cluster.kubernetes,
      journal: cluster.journal,
    });
    const [step] = yaml.parse(example.example).steps;
    expect(step.action).toBe(action.id);
    if (step.input.adopt) {
      cluster.server.seed({
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
    const ctx = createMockActionContext({ input: step.input });
    await action.handler(ctx);

    const namespace = cluster.server.get(
      'namespaces',
      undefined,
      step.input.name,
    );
    expect(namespace?.metadata.labels?.['platform.internal/service']).toBe(
      step.input.service,
    );
    expect(
      cluster.server.get('resourcequotas', step.input.name, 'platform-quota')
        ?.spec,
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
