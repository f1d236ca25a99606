import { KubernetesObject } from '@kubernetes/client-node';
import { KubernetesClient } from './client';
import { describeKubernetesFailure, toPlatformError } from './errors';
import { describeManifest, Manifest } from './manifests';

type DeploymentState = {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    availableReplicas?: number;
    conditions?: Array<{
      type: string;
      status: string;
      reason?: string;
      message?: string;
    }>;
  };
};

/**
 * Available means every replica of the current generation is up. A rollout
 * that cannot progress says so in its conditions at once: pods the cluster
 * refuses to create (an exceeded quota, a policy) give `ReplicaFailure`, a
 * rollout past its `progressDeadlineSeconds` gives `Progressing=False`.
 * Waiting out the timeout would only hide the cluster's reason.
 */
function rolloutProgress(deployment: DeploymentState) {
  const wanted = deployment.spec?.replicas ?? 1;
  const available = deployment.status?.availableReplicas ?? 0;
  const current =
    (deployment.status?.observedGeneration ?? 0) >=
    (deployment.metadata?.generation ?? 0);
  const conditions = deployment.status?.conditions ?? [];
  const problem = conditions.find(
    c =>
      (c.type === 'ReplicaFailure' && c.status === 'True') ||
      (c.type === 'Progressing' && c.status === 'False'),
  );
  return {
    done: current && available >= wanted,
    cannotProgress: current && problem !== undefined,
    summary: `${available} of ${wanted} replicas available${
      problem?.message ? ` (${problem.message})` : ''
    }`,
    reason:
      problem &&
      `${problem.reason ?? problem.type}: ${problem.message ?? 'no message'}`,
  };
}

/** Reasons a container waits that no amount of waiting mends. */
const HOPELESS_WAITS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
]);

type PodState = {
  status?: {
    containerStatuses?: Array<{
      name: string;
      state?: { waiting?: { reason?: string; message?: string } };
    }>;
  };
};

/**
 * Why the Deployment's pods cannot start, when one of them waits for
 * something that will not come (an image that cannot be pulled), as the
 * Deployment's own conditions do not say. Undefined while they may yet.
 */
async function podsCannotStart(
  client: KubernetesClient,
  deployment: Manifest,
): Promise<string | undefined> {
  const matchLabels: Record<string, string> =
    deployment.spec?.selector?.matchLabels ?? {};
  const labelSelector = Object.entries(matchLabels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  if (!labelSelector) {
    return undefined;
  }
  let pods: Array<KubernetesObject & PodState>;
  try {
    pods = await client.list<KubernetesObject & PodState>({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: deployment.metadata.namespace!,
      labelSelector,
    });
  } catch {
    // Reading pods is a help, not a need: the wait goes on without it.
    return undefined;
  }
  for (const pod of pods) {
    for (const container of pod.status?.containerStatuses ?? []) {
      const waiting = container.state?.waiting;
      if (waiting?.reason && HOPELESS_WAITS.has(waiting.reason)) {
        return `${waiting.reason} for container ${container.name} of pod ${
          pod.metadata?.name
        }: ${waiting.message ?? 'no message'}`;
      }
    }
  }
  return undefined;
}

/**
 * Waits until the Deployment is available, stopping early, with the
 * cluster's reason, when its rollout cannot progress or its pods cannot start.
 */
export async function waitForAvailable(options: {
  client: KubernetesClient;
  deployment: Manifest;
  timeoutMs: number;
  pollIntervalMs: number;
  log: (message: string) => void;
  signal?: AbortSignal;
}): Promise<void> {
  const { client, deployment, timeoutMs, pollIntervalMs, log } = options;
  const what = describeManifest(deployment, client.cluster);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (options.signal?.aborted) {
      throw new Error(`Stopped waiting for ${what}: the run was cancelled`);
    }
    let current: DeploymentState | undefined;
    try {
      current = await client.read<KubernetesObject & DeploymentState>(
        deployment,
      );
    } catch (e) {
      // A passing failure does not end the wait; the deadline does. A
      // refusal (a revoked token, a lost permission) would only repeat
      // until the deadline and hide its reason.
      const failure = describeKubernetesFailure(e);
      if (!failure.unknownOutcome && failure.status !== 429) {
        throw toPlatformError(e, `read ${what}`);
      }
      log(`Could not read ${what}; trying again`);
    }
    if (current) {
      const progress = rolloutProgress(current);
      if (progress.summary !== last) {
        log(`${what}: ${progress.summary}`);
        last = progress.summary;
      }
      if (progress.done) {
        return;
      }
      const reason = progress.cannotProgress
        ? progress.reason
        : await podsCannotStart(client, deployment);
      if (reason) {
        throw new Error(
          `${what} cannot roll out, so the run stops here: the cluster says ${reason}`,
        );
      }
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${what} did not become available within ${Math.round(
          timeoutMs / 1000,
        )} s: ${last || 'it could not be read'}`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, pollIntervalMs));
  }
}
