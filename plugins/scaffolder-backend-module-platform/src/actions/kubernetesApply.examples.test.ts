import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import {
  actionContext,
  startTestCluster,
  TestCluster,
} from '../__testUtils__/kubernetesCluster';
import { createKubernetesApplyAction } from './kubernetesApply';
import { exampleManifests, examples } from './kubernetesApply.examples';
import { createKubernetesNamespaceCreateAction } from './kubernetesNamespaceCreate';

describe('platform:kubernetes:apply examples', () => {
  let cluster: TestCluster;

  beforeEach(async () => {
    cluster = await startTestCluster();
  });

  afterEach(async () => {
    await cluster.close();
  });

  it.each(examples.map(e => [e.description, e]))('%s', async (_, example) => {
    const deps = { kubernetes: cluster.kubernetes, journal: cluster.journal };
    const action = createKubernetesApplyAction({ ...deps, pollIntervalMs: 10 });
    const [step] = yaml.parse(example.example).steps;
    expect(step.action).toBe(action.id);
    await createKubernetesNamespaceCreateAction(deps).handler(
      actionContext({
        name: step.input.namespace,
        service: 'payments',
        owner: 'group:default/payments-team',
      }),
    );
    const ctx = actionContext(step.input);
    if (step.input.manifestPath) {
      // What fetch:template would have rendered into the workspace.
      const dir = path.join(ctx.workspacePath, step.input.manifestPath);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'deployment.yaml'),
        yaml.stringify(exampleManifests.deployment),
      );
      fs.writeFileSync(
        path.join(dir, 'service.yaml'),
        yaml.stringify(exampleManifests.service),
      );
    }

    await action.handler(ctx);

    expect(
      (
        cluster.server.get(
          'deployments',
          step.input.namespace,
          'payments',
        ) as any
      ).status.availableReplicas,
    ).toBe(2);
    expect(ctx.output).toHaveBeenCalledWith(
      'serviceUrl',
      step.input.public
        ? 'https://payments.apps.example.com/'
        : 'http://payments.payments.svc.cluster.local',
    );
  });
});
