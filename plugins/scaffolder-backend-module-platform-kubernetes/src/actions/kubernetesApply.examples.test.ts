import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import {
  actionContext,
  createPlatformNamespace,
  exampleStep,
  useTestCluster,
} from '@internal/platform-test-utils';
import { createKubernetesApplyAction } from './kubernetesApply';
import { exampleManifests, examples } from './kubernetesApply.examples';

describe('platform:kubernetes:apply examples', () => {
  const cluster = useTestCluster();

  it.each(examples.map(e => [e.description, e]))('%s', async (_, example) => {
    const { server, kubernetes, journal, access } = cluster();
    const action = createKubernetesApplyAction({
      kubernetes,
      journal,
      access,
      pollIntervalMs: 10,
    });
    const step = exampleStep(example);
    expect(step.action).toBe(action.id);
    await createPlatformNamespace(cluster(), step.input.namespace);
    const ctx = actionContext(step.input);
    if (step.input.manifestPath) {
      // What fetch:template would have rendered into the workspace.
      const dir = path.join(ctx.workspacePath, step.input.manifestPath);
      fs.mkdirSync(dir, { recursive: true });
      for (const manifest of [
        exampleManifests.deployment,
        exampleManifests.service,
      ]) {
        fs.writeFileSync(
          path.join(dir, `${manifest.kind.toLowerCase()}.yaml`),
          yaml.stringify(manifest),
        );
      }
    }

    await action.handler(ctx);

    const deployment = server.get(
      'deployments',
      step.input.namespace,
      'payments',
    );
    expect(
      (deployment?.status as { availableReplicas: number }).availableReplicas,
    ).toBe(2);
    expect(ctx.output).toHaveBeenCalledWith(
      'serviceUrl',
      step.input.public
        ? 'https://payments.apps.example.com/'
        : 'http://payments.payments.svc.cluster.local',
    );
  });
});
