import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { KubernetesObject } from '@kubernetes/client-node';
import { RollbackJournal } from '../rollback/types';
import { KubernetesClient } from '../kubernetes/client';
import {
  describeKubernetesFailure,
  explained,
  toPlatformError,
} from '../kubernetes/errors';
import { clusterInput, rollbackInput } from '../kubernetes/inputs';
import { describeObject, journaledCreate } from '../kubernetes/journaledCreate';
import {
  checkManifests,
  Manifest,
  readManifestFiles,
  serviceUrl,
} from '../kubernetes/manifests';
import {
  ANNOTATION_CREATED_BY_TASK,
  assertDns1123Label,
  isCreatedByTask,
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

/** Available means every replica of the current generation is up. */
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
    deadlineExceeded: problem?.reason === 'ProgressDeadlineExceeded',
    summary: `${available} of ${wanted} replicas available${
      problem?.message ? ` (${problem.message})` : ''
    }`,
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
  /** How often the rollout is looked at; tests make it short. */
  pollIntervalMs?: number;
}) {
  const { kubernetes, journal } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  return createTemplateAction({
    id: 'platform:kubernetes:apply',
    description:
      'Creates the Deployment, Service and, for a public service, Ingress a template generated in a platform namespace, or updates them with server-side apply when they exist, waits until the Deployment is available and outputs the service URL. What it creates is rolled back when the run fails.',
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
      const { namespace, manifestPath, manifests: inline } = ctx.input;
      assertDns1123Label(namespace, 'Namespace name');
      if ((manifestPath === undefined) === (inline === undefined)) {
        throw new InputError('Give exactly one of manifestPath and manifests');
      }
      const documents =
        inline ?? (await readManifestFiles(ctx.workspacePath, manifestPath!));
      const manifests = checkManifests({
        documents,
        namespace,
        public: ctx.input.public,
      });
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

      const ns = await explained(
        () =>
          client.read({
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: namespace },
          }),
        `read ${where}`,
      );
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
      if (!isManagedByPlatform(ns)) {
        throw new NotAllowedError(
          `Namespace ${namespace} on cluster ${cluster} is not managed by this platform; platform:kubernetes:apply deploys only into platform namespaces`,
        );
      }

      const labelled = await Promise.all(
        manifests.map(m => withPlatformMetadata(m, ns, client, ctx.task.id)),
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

      for (const manifest of labelled) {
        const what = describeManifest(manifest, cluster);
        ctx.logger.info(`Applying ${what}`);
        await ctx.checkpoint({
          key: `platform.kubernetes.apply.${cluster}.${namespace}.${manifest.kind}.${manifest.metadata.name}`,
          fn: async () => {
            const existing = await explained(
              () => client.read(manifest),
              `read ${what}`,
            );
            if (existing && !isCreatedByTask(existing, ctx.task.id)) {
              // Not this run's: updated in place, never deleted by rollback.
              // It may have appeared since the manifest was labelled, so it
              // keeps its own creator rather than gaining this run's.
              const update = withCreator(
                manifest,
                existing.metadata?.annotations?.[ANNOTATION_CREATED_BY_TASK],
              );
              await explained(
                () => client.apply(update, { dryRun: false }),
                `apply ${what}`,
              );
              ctx.logger.info(
                `${what} existed before this run; it was updated and a rollback leaves it in place`,
              );
              return;
            }
            await journaledCreate({
              journal,
              client,
              taskId: ctx.task.id,
              stepId: ctx.step?.id ?? 'unknown',
              object: manifest,
              // A create, not an apply, when the read found nothing: an
              // apply would take over an object someone made since the read,
              // and rollback would then delete it as this run's.
              write: () =>
                existing
                  ? client.apply(manifest, { dryRun: false })
                  : client.create(manifest, { dryRun: false }),
              onForeign: () => {
                throw new ConflictError(
                  `${what} was created by someone else while this run was deploying; it was left as it is`,
                );
              },
              keep: ctx.input.rollback === false,
            });
          },
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

function describeManifest(manifest: Manifest, cluster: string): string {
  return describeObject({
    cluster,
    apiVersion: manifest.apiVersion,
    kind: manifest.kind,
    name: manifest.metadata.name,
    namespace: manifest.metadata.namespace,
  });
}

/**
 * The platform's labels on the object and its pods (the stock Kubernetes tab
 * finds both by `backstage.io/kubernetes-id`), and the run annotation that
 * proves ownership on objects this run creates. An object created by an
 * earlier run keeps that run's annotation.
 */
async function withPlatformMetadata(
  manifest: Manifest,
  namespace: KubernetesObject,
  client: KubernetesClient,
  taskId: string,
): Promise<Manifest> {
  const nsLabels = namespace.metadata?.labels ?? {};
  const service = nsLabels[LABEL_SERVICE];
  const platformLabels: Record<string, string> = {
    [LABEL_MANAGED_BY]: MANAGED_BY_PLATFORM,
    ...(nsLabels[LABEL_OWNER] ? { [LABEL_OWNER]: nsLabels[LABEL_OWNER] } : {}),
    ...(service
      ? { [LABEL_SERVICE]: service, [LABEL_KUBERNETES_ID]: service }
      : {}),
  };
  const existing = await explained(
    () => client.read(manifest),
    `read ${manifest.kind} ${manifest.metadata.name}`,
  );
  const creator =
    existing?.metadata?.annotations?.[ANNOTATION_CREATED_BY_TASK] ??
    (existing ? undefined : taskId);
  const result = withCreator(
    {
      ...manifest,
      metadata: {
        ...manifest.metadata,
        labels: { ...platformLabels, ...manifest.metadata.labels },
      },
    },
    creator,
  );
  if (manifest.kind === 'Deployment' && service && manifest.spec?.template) {
    const template = manifest.spec.template;
    result.spec = {
      ...manifest.spec,
      template: {
        ...template,
        metadata: {
          ...template.metadata,
          labels: {
            [LABEL_KUBERNETES_ID]: service,
            ...template.metadata?.labels,
          },
        },
      },
    };
  }
  return result;
}

/** The manifest naming `creator` as the task that created it, or none. */
function withCreator(
  manifest: Manifest,
  creator: string | undefined,
): Manifest {
  const annotations = { ...manifest.metadata.annotations };
  delete annotations[ANNOTATION_CREATED_BY_TASK];
  if (creator) {
    annotations[ANNOTATION_CREATED_BY_TASK] = creator;
  }
  return { ...manifest, metadata: { ...manifest.metadata, annotations } };
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
      if (progress.deadlineExceeded) {
        throw new Error(`${what} did not roll out: ${progress.summary}`);
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
