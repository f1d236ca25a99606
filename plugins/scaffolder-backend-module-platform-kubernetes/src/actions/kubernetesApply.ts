import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { KubernetesObject } from '@kubernetes/client-node';
import {
  checkpointKeyForIntent,
  RollbackJournal,
} from '@internal/plugin-platform-node';
import { KubernetesClient } from '../kubernetes/client';
import {
  describeKubernetesFailure,
  explained,
  toPlatformError,
} from '../kubernetes/errors';
import { clusterInput, rollbackInput } from '../kubernetes/inputs';
import {
  describeObject,
  factsOf,
  isCreatedByTask,
  journaledCreate,
  journalRefOf,
} from '../kubernetes/journaledCreate';
import { assertDeploymentPolicy } from '../kubernetes/deploymentPolicy';
import { assertMayWriteInto } from '../kubernetes/namespaceResources';
import { PlatformPermissions } from '@internal/plugin-platform-node';
import {
  checkManifests,
  Manifest,
  readManifestFiles,
  serviceUrl,
} from '../kubernetes/manifests';
import {
  ANNOTATION_CREATED_BY_TASK,
  ANNOTATION_RUN_NONCE,
  assertDns1123Label,
  creationAnnotationsOf,
  isManagedByPlatform,
  LABEL_KUBERNETES_ID,
  LABEL_MANAGED_BY,
  LABEL_OWNER,
  LABEL_SERVICE,
  MANAGED_BY_PLATFORM,
} from '../kubernetes/ownership';
import {
  logDryRunObjects,
  NO_CLUSTER_CONFIGURED,
  PlatformKubernetes,
} from '../kubernetes/platformKubernetes';
import { examples } from './kubernetesApply.examples';

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

/**
 * Creates a service's Deployment, Service and (when public) Ingress, or
 * updates them with server-side apply when they exist, and waits until the
 * Deployment is available.
 */
export function createKubernetesApplyAction(options: {
  kubernetes: PlatformKubernetes;
  journal: RollbackJournal;
  access: PlatformPermissions;
  /** How often the rollout is looked at; tests make it short. */
  pollIntervalMs?: number;
}) {
  const { kubernetes, journal, access } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  return createTemplateAction({
    id: 'platform:kubernetes:apply',
    description:
      'Creates the Deployment, Service and, for a public service, Ingress a template generated in a platform namespace, or updates them with server-side apply when they exist, waits until the Deployment is available and outputs the service URL. Before any write it checks that the user who started the run may write into the namespace (platform.namespace.write) unless the run created it, and that every manifest meets the deployment policy (platform.kubernetes.policy: the Pod Security Standard, Service types, the Ingress host and annotations). What it creates is rolled back when the run fails.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        namespace: z =>
          z.string({
            description:
              'Platform-managed namespace to deploy into, usually the output of platform:kubernetes:namespace:create',
          }),
        cluster: clusterInput,
        manifestPath: z =>
          z
            .string({
              description:
                'Workspace path of a YAML file, or of a directory whose .yaml and .yml files hold the manifests',
            })
            .optional(),
        manifests: z =>
          z
            .array(z.record(z.string(), z.unknown()), {
              description: 'The manifests as objects, instead of manifestPath',
            })
            .optional(),
        public: z =>
          z
            .boolean({
              description:
                'Whether the service is public. A public service needs an Ingress, a private one must have none. Default: public when an Ingress is present',
            })
            .optional(),
        timeoutSeconds: z =>
          z
            .number({
              description:
                'How long to wait for the Deployment to become available; defaults to platform.kubernetes.rolloutTimeoutSeconds (300)',
            })
            .int()
            .positive()
            .optional(),
        rollback: rollbackInput,
      },
      output: {
        serviceUrl: z =>
          z.string({
            description:
              'Where the service answers: https or http on the Ingress host when public, else its in-cluster DNS name',
          }),
        objects: z =>
          z.array(z.string(), {
            description: 'The applied objects as Kind/name',
          }),
      },
    },
    async handler(ctx) {
      const { namespace } = ctx.input;
      assertDns1123Label(namespace, 'Namespace name');
      const manifests = await readInputManifests(ctx);
      const timeoutMs =
        (ctx.input.timeoutSeconds ??
          kubernetes.settings.rolloutTimeoutSeconds) * 1000;
      const client = ctx.isDryRun
        ? kubernetes.dryRunClientFor(ctx.input.cluster)
        : kubernetes.clientFor(ctx.input.cluster);
      // A dry run may have nothing to check against: no cluster, or a
      // namespace that an earlier step of the same dry run did not create.
      const unchecked = (why: string) => {
        logDryRunObjects({
          logger: ctx.logger,
          verb: 'apply',
          objects: manifests,
          skipped: why,
        });
        ctx.output(
          'objects',
          manifests.map(m => `${m.kind}/${m.metadata.name}`),
        );
        ctx.output('serviceUrl', serviceUrl(manifests, namespace));
      };
      if (!client) {
        unchecked(NO_CLUSTER_CONFIGURED);
        return;
      }
      const cluster = client.cluster;
      const where = `namespace ${namespace} on cluster ${cluster}`;

      const ns = await readPlatformNamespace(client, namespace);
      if (!ns && ctx.isDryRun) {
        unchecked(
          `namespace ${namespace} does not exist yet on cluster ${cluster}`,
        );
        return;
      }
      if (!ns) {
        throw new NotFoundError(
          `Namespace ${namespace} does not exist on cluster ${cluster}`,
        );
      }
      await assertMayWriteInto({
        access,
        journal,
        ctx,
        cluster,
        namespace: ns,
        doing: 'deploy into',
      });
      const service = ns.metadata?.labels?.[LABEL_SERVICE] ?? namespace;
      assertDeploymentPolicy({
        manifests,
        service,
        settings: kubernetes.settings.policy,
      });

      const labelled = await Promise.all(
        manifests.map(async manifest =>
          withPlatformMetadata({
            manifest,
            namespace: ns,
            existing: await explained(
              () => client.read(manifest),
              `read ${describeManifest(manifest, cluster)}`,
            ),
            taskId: ctx.task.id,
          }),
        ),
      );
      const objects = labelled.map(m => `${m.kind}/${m.metadata.name}`);
      const url = serviceUrl(labelled, namespace);

      // The API server validates every object (schema, names, quota) in
      // a dry run first, so a bad manifest fails before the first write.
      for (const manifest of labelled) {
        await explained(
          () => client.apply(manifest, { dryRun: true }),
          `apply ${describeManifest(manifest, cluster)}`,
        );
      }
      ctx.output('objects', objects);
      ctx.output('serviceUrl', url);

      if (ctx.isDryRun) {
        logDryRunObjects({
          logger: ctx.logger,
          verb: 'apply',
          objects: labelled,
        });
        return;
      }

      const stepId = ctx.step?.id ?? 'unknown';
      for (const manifest of labelled) {
        ctx.logger.info(`Applying ${describeManifest(manifest, cluster)}`);
        await ctx.checkpoint({
          // A retry after a rollback applies again: the key follows the attempt.
          key: await checkpointKeyForIntent(
            journal,
            {
              taskId: ctx.task.id,
              stepId,
              ...journalRefOf(factsOf(cluster, manifest)),
            },
            `platform.kubernetes.apply.${cluster}.${namespace}.${manifest.kind}.${manifest.metadata.name}`,
          ),
          fn: () =>
            applyOne({
              client,
              journal,
              manifest,
              taskId: ctx.task.id,
              stepId,
              keep: ctx.input.rollback === false,
              log: message => ctx.logger.info(message),
            }),
        });
      }

      for (const deployment of labelled.filter(m => m.kind === 'Deployment')) {
        await waitForAvailable({
          client,
          deployment,
          timeoutMs,
          pollIntervalMs,
          log: message => ctx.logger.info(message),
          signal: ctx.signal,
        });
      }
      ctx.logger.info(`Deployed to ${where}; the service answers at ${url}`);
    },
  });
}

/** The manifests a template passed, inline or as workspace files, checked. */
async function readInputManifests(ctx: {
  workspacePath: string;
  input: {
    namespace: string;
    manifestPath?: string;
    manifests?: Record<string, unknown>[];
    public?: boolean;
  };
}): Promise<Manifest[]> {
  const { manifestPath, manifests: inline } = ctx.input;
  if ((manifestPath === undefined) === (inline === undefined)) {
    throw new InputError('Give exactly one of manifestPath and manifests');
  }
  return checkManifests({
    documents:
      inline ?? (await readManifestFiles(ctx.workspacePath, manifestPath!)),
    namespace: ctx.input.namespace,
    public: ctx.input.public,
  });
}

/** The namespace, refused unless the platform manages it. */
async function readPlatformNamespace(
  client: KubernetesClient,
  name: string,
): Promise<KubernetesObject | undefined> {
  const where = `namespace ${name} on cluster ${client.cluster}`;
  const ns = await explained(
    () =>
      client.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    `read ${where}`,
  );
  if (ns && !isManagedByPlatform(ns)) {
    throw new NotAllowedError(
      `Namespace ${name} on cluster ${client.cluster} is not managed by this platform; platform:kubernetes:apply deploys only into platform namespaces`,
    );
  }
  return ns;
}

/**
 * Creates one object, journaled, or updates it in place when it exists and
 * this run's journal does not prove the run created it: such an object is
 * never deleted by rollback and keeps its creator's marks.
 */
async function applyOne(options: {
  client: KubernetesClient;
  journal: RollbackJournal;
  manifest: Manifest;
  taskId: string;
  stepId: string;
  keep: boolean;
  log: (message: string) => void;
}): Promise<void> {
  const { client, journal, manifest, taskId } = options;
  const what = describeManifest(manifest, client.cluster);
  const existing = await explained(() => client.read(manifest), `read ${what}`);
  const ours =
    existing !== undefined &&
    (await isCreatedByTask({
      journal,
      taskId,
      facts: factsOf(client.cluster, manifest),
      object: existing,
    }));
  if (existing && !ours) {
    await explained(
      () =>
        client.apply(withCreationAnnotations(manifest, existing), {
          dryRun: false,
        }),
      `apply ${what}`,
    );
    options.log(
      `${what} existed before this run; it was updated and a rollback leaves it in place`,
    );
    return;
  }
  await journaledCreate({
    journal,
    client,
    taskId,
    stepId: options.stepId,
    object: manifest,
    // A create, not an apply, when the read found nothing: an apply would
    // take over an object someone made since the read, and rollback would
    // then delete it as this run's.
    write: stamped =>
      existing
        ? client.apply(stamped, { dryRun: false })
        : client.create(stamped, { dryRun: false }),
    onForeign: () => {
      throw new ConflictError(
        `${what} was created by someone else while this run was deploying; it was left as it is`,
      );
    },
    keep: options.keep,
  });
}

function describeManifest(manifest: Manifest, cluster: string): string {
  return describeObject(factsOf(cluster, manifest));
}

/** Keys under this prefix are the platform's own; a manifest never sets them. */
const PLATFORM_KEY_PREFIX = 'platform.internal/';

function withoutPlatformKeys(
  values: Record<string, string> | undefined,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values ?? {}).filter(
      ([key]) => !key.startsWith(PLATFORM_KEY_PREFIX),
    ),
  );
}

/**
 * The platform's labels on the object and its pods (the stock Kubernetes
 * tab finds both by `backstage.io/kubernetes-id`), winning over whatever the
 * manifest says, so a manifest cannot claim another team's service or
 * disown its own. An object this run creates names the task that created
 * it; an existing object keeps the marks of whoever created it.
 */
function withPlatformMetadata(options: {
  manifest: Manifest;
  namespace: KubernetesObject;
  existing: KubernetesObject | undefined;
  taskId: string;
}): Manifest {
  const { manifest, existing } = options;
  const nsLabels = options.namespace.metadata?.labels ?? {};
  const service = nsLabels[LABEL_SERVICE];
  const platformLabels: Record<string, string> = {
    [LABEL_MANAGED_BY]: MANAGED_BY_PLATFORM,
    ...(nsLabels[LABEL_OWNER] ? { [LABEL_OWNER]: nsLabels[LABEL_OWNER] } : {}),
    ...(service
      ? { [LABEL_SERVICE]: service, [LABEL_KUBERNETES_ID]: service }
      : {}),
  };
  const result: Manifest = {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      labels: {
        ...withoutPlatformKeys(manifest.metadata.labels),
        ...platformLabels,
      },
      annotations: {
        ...withoutPlatformKeys(manifest.metadata.annotations),
        ...(existing
          ? creationAnnotationsOf(existing)
          : { [ANNOTATION_CREATED_BY_TASK]: options.taskId }),
      },
    },
  };
  if (manifest.kind === 'Deployment' && service && manifest.spec?.template) {
    const template = manifest.spec.template;
    result.spec = {
      ...manifest.spec,
      template: {
        ...template,
        metadata: {
          ...template.metadata,
          labels: {
            ...template.metadata?.labels,
            [LABEL_KUBERNETES_ID]: service,
          },
        },
      },
    };
  }
  return result;
}

/** The manifest with `existing`'s creation marks in place of its own. */
function withCreationAnnotations(
  manifest: Manifest,
  existing: KubernetesObject,
): Manifest {
  const annotations = { ...manifest.metadata.annotations };
  delete annotations[ANNOTATION_CREATED_BY_TASK];
  delete annotations[ANNOTATION_RUN_NONCE];
  return {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      annotations: { ...annotations, ...creationAnnotationsOf(existing) },
    },
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

async function waitForAvailable(options: {
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
