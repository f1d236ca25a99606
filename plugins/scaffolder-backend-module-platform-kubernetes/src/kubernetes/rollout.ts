import { KubernetesObject } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
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

/** Why the rollout cannot succeed, in the cluster's words. */
function cannotRollOut(what: string, reason: string): Error {
  return new Error(
    `${what} cannot roll out, so the run stops here: the cluster says ${reason}`,
  );
}

function cancelled(what: string): Error {
  return new Error(`Stopped waiting for ${what}: the run was cancelled`);
}

/** Resolves after `ms`, or at once when the signal aborts. */
async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) {
    return;
  }
  // An abort only ends the pause early; the caller then sees the signal.
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}

/** How following the Deployment's changes ended. */
type FollowOutcome =
  /** The stream ended, or its resource version was too old (410): read again. */
  | 'ended'
  /** The watch failed (5xx, lost connection, an ERROR event): read again later. */
  | 'failed'
  /** The cluster refuses the list or the watch (RBAC without those verbs): poll instead. */
  | 'refused'
  | 'available';

function outcomeOfFailedWatch(error: unknown): FollowOutcome {
  const { status } = describeKubernetesFailure(error);
  if (status === 410) {
    return 'ended';
  }
  const refused =
    status !== undefined && status >= 400 && status < 500 && status !== 429;
  return refused ? 'refused' : 'failed';
}

/**
 * Follows the Deployment, its state now and then each change, and judges
 * each, looking at its pods at once and every `pollIntervalMs`, as their
 * failures do not show on the Deployment, until it is available or the
 * deadline comes. Throws the cluster's reason when it cannot roll out.
 */
async function followChanges(options: {
  client: KubernetesClient;
  deployment: Manifest;
  deadline: number;
  pollIntervalMs: number;
  signal?: AbortSignal;
  judge: (current: DeploymentState) => boolean;
  checkPods: () => Promise<void>;
  what: string;
}): Promise<FollowOutcome> {
  const { client, deployment, signal, judge } = options;
  const stop = new AbortController();
  let deadlineTimer: NodeJS.Timeout | undefined;
  let podsTimer: NodeJS.Timeout | undefined;
  let onCancel: (() => void) | undefined;
  try {
    return await new Promise<FollowOutcome>((resolve, reject) => {
      onCancel = () => reject(cancelled(options.what));
      if (signal?.aborted) {
        onCancel();
        return;
      }
      signal?.addEventListener('abort', onCancel, { once: true });
      deadlineTimer = setTimeout(
        () => resolve('ended'),
        options.deadline - Date.now(),
      );
      let checkingPods = false;
      const checkPods = () => {
        if (checkingPods) {
          return;
        }
        checkingPods = true;
        options.checkPods().then(() => {
          checkingPods = false;
        }, reject);
      };
      checkPods();
      podsTimer = setInterval(checkPods, options.pollIntervalMs);
      client
        .watch<KubernetesObject & DeploymentState>({
          object: deployment,
          resource: 'deployments',
          signal: stop.signal,
          onEvent: event => {
            if (event.type === 'ERROR') {
              resolve(event.object.code === 410 ? 'ended' : 'failed');
            } else if (event.type === 'DELETED') {
              resolve('ended');
            } else if (event.type !== 'BOOKMARK') {
              try {
                if (judge(event.object)) {
                  resolve('available');
                }
              } catch (e) {
                reject(e);
              }
            }
          },
        })
        .then(
          () => resolve('ended'),
          e => resolve(outcomeOfFailedWatch(e)),
        );
    });
  } finally {
    stop.abort();
    clearTimeout(deadlineTimer);
    clearInterval(podsTimer);
    if (onCancel) {
      signal?.removeEventListener('abort', onCancel);
    }
  }
}

/**
 * Waits until the Deployment is available, stopping early, with the
 * cluster's reason, when its rollout cannot progress or its pods cannot
 * start. It follows the Deployment with the watch API, so the change that
 * makes it available is seen as it happens; when the stream ends or its
 * resource version is too old, it reads the Deployment again and watches
 * on. It never starts over more often than every `pollIntervalMs`, which is
 * also how often it looks at the pods, and how often it reads the
 * Deployment when the cluster refuses watches.
 */
export async function waitForAvailable(options: {
  client: KubernetesClient;
  deployment: Manifest;
  timeoutMs: number;
  pollIntervalMs: number;
  log: (message: string) => void;
  signal?: AbortSignal;
}): Promise<void> {
  const { client, deployment, timeoutMs, pollIntervalMs, log, signal } =
    options;
  const what = describeManifest(deployment, client.cluster);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let mayWatch = true;
  const judge = (current: DeploymentState): boolean => {
    const progress = rolloutProgress(current);
    if (progress.summary !== last) {
      log(`${what}: ${progress.summary}`);
      last = progress.summary;
    }
    if (progress.cannotProgress && !progress.done) {
      throw cannotRollOut(what, progress.reason!);
    }
    return progress.done;
  };
  const checkPods = async () => {
    const reason = await podsCannotStart(client, deployment);
    if (reason) {
      throw cannotRollOut(what, reason);
    }
  };
  for (;;) {
    if (signal?.aborted) {
      throw cancelled(what);
    }
    const started = Date.now();
    if (mayWatch) {
      const outcome = await followChanges({
        client,
        deployment,
        deadline,
        pollIntervalMs,
        signal,
        judge,
        checkPods,
        what,
      });
      if (outcome === 'available') {
        return;
      }
      if (outcome === 'failed') {
        log(`Could not follow ${what}; trying again`);
      }
      if (outcome === 'refused') {
        mayWatch = false;
        log(
          `The cluster does not let the platform watch ${what}; reading it every ${
            pollIntervalMs / 1000
          } s instead`,
        );
      }
    } else if (await readOnce({ client, deployment, what, log, judge })) {
      return;
    } else {
      await checkPods();
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${what} did not become available within ${Math.round(
          timeoutMs / 1000,
        )} s: ${last || 'it could not be read'}`,
      );
    }
    await pause(
      Math.min(started + pollIntervalMs, deadline) - Date.now(),
      signal,
    );
  }
}

/** Reads the Deployment and judges it; false while it is not available. */
async function readOnce(options: {
  client: KubernetesClient;
  deployment: Manifest;
  what: string;
  log: (message: string) => void;
  judge: (current: DeploymentState) => boolean;
}): Promise<boolean> {
  const { client, what } = options;
  let current: DeploymentState | undefined;
  try {
    current = await client.read<KubernetesObject & DeploymentState>(
      options.deployment,
    );
  } catch (e) {
    // A passing failure does not end the wait; the deadline does. A
    // refusal (a revoked token, a lost permission) would only repeat
    // until the deadline and hide its reason.
    const failure = describeKubernetesFailure(e);
    if (!failure.unknownOutcome && failure.status !== 429) {
      throw toPlatformError(e, `read ${what}`);
    }
    options.log(`Could not read ${what}; trying again`);
  }
  return current !== undefined && options.judge(current);
}
