import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  ActionContext,
  createTemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';
import { KubernetesObject } from '@kubernetes/client-node';
import { RollbackJournal } from '@internal/plugin-platform-node';
import {
  applyManifest,
  dryRunApply,
  labelManifests,
} from '../kubernetes/applyManifests';
import { KubernetesClient } from '../kubernetes/client';
import { assertDeploymentPolicy } from '../kubernetes/deploymentPolicy';
import { explained } from '../kubernetes/errors';
import { clusterInput, rollbackInput } from '../kubernetes/inputs';
import { checkpointKeyForObject } from '../kubernetes/journaledCreate';
import {
  checkManifests,
  describeManifest,
  Manifest,
  readManifestFiles,
  serviceUrl,
} from '../kubernetes/manifests';
import { assertMayWriteInto } from '../kubernetes/namespaceResources';
import {
  assertDns1123Label,
  isManagedByPlatform,
  LABEL_SERVICE,
} from '../kubernetes/ownership';
import {
  clientForStep,
  KubernetesActionOptions,
  logDryRunObjects,
  NO_CLUSTER_CONFIGURED,
} from '../kubernetes/platformKubernetes';
import { waitForAvailable } from '../kubernetes/rollout';
import { examples } from './kubernetesApply.examples';

/**
 * Creates a service's Deployment, Service and (when public) Ingress, or
 * updates them with server-side apply when they exist, and waits until the
 * Deployment is available.
 *
 * @public
 */
export function createKubernetesApplyAction(
  options: KubernetesActionOptions & {
    /**
     * How often the rollout's pods are looked at while the Deployment is
     * watched, and the least time between two reads of the Deployment;
     * tests make it short.
     */
    pollIntervalMs?: number;
  },
) {
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
                'How long to wait for the Deployment to become available, in seconds; defaults to platform.kubernetes.rolloutTimeout (5 minutes)',
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
        ctx.input.timeoutSeconds !== undefined
          ? ctx.input.timeoutSeconds * 1000
          : kubernetes.settings.rolloutTimeoutMs;
      const client = clientForStep({
        kubernetes,
        cluster: ctx.input.cluster,
        isDryRun: ctx.isDryRun,
      });
      // A dry run may have nothing to check against: no cluster, or a
      // namespace that an earlier step of the same dry run did not create.
      if (!client) {
        reportUnchecked({ ctx, manifests, why: NO_CLUSTER_CONFIGURED });
        return;
      }
      const cluster = client.cluster;
      const ns = await readPlatformNamespace({
        client,
        name: namespace,
        isDryRun: ctx.isDryRun,
      });
      if (!ns) {
        reportUnchecked({
          ctx,
          manifests,
          why: `namespace ${namespace} does not exist yet on cluster ${cluster}`,
        });
        return;
      }
      await assertMayWriteInto({
        access,
        journal,
        ctx,
        cluster,
        namespace: ns,
        doing: 'deploy into',
      });
      assertDeploymentPolicy({
        manifests,
        service: ns.metadata?.labels?.[LABEL_SERVICE] ?? namespace,
        settings: kubernetes.settings.policy,
      });

      const labelled = await labelManifests({
        client,
        manifests,
        namespace: ns,
        taskId: ctx.task.id,
      });
      const url = serviceUrl(labelled, namespace);
      await dryRunApply({ client, manifests: labelled });
      ctx.output('objects', objectNames(labelled));
      ctx.output('serviceUrl', url);
      if (ctx.isDryRun) {
        logDryRunObjects({
          logger: ctx.logger,
          verb: 'apply',
          objects: labelled,
        });
        return;
      }

      await applyEach({
        ctx,
        journal,
        client,
        namespace,
        manifests: labelled,
        keep: ctx.input.rollback === false,
      });
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
      const reach = labelled.some(m => m.kind === 'Ingress')
        ? "once DNS for the host points at the cluster's ingress controller"
        : 'from inside the cluster';
      ctx.logger.info(
        `Deployed to namespace ${namespace} on cluster ${cluster}; the service's address is ${url}, which answers ${reach}`,
      );
    },
  });
}

function objectNames(manifests: Manifest[]): string[] {
  return manifests.map(m => `${m.kind}/${m.metadata.name}`);
}

/** What a dry run without the API server's check would apply, and why. */
function reportUnchecked(options: {
  ctx: Pick<
    ActionContext<JsonObject, { serviceUrl: string; objects: string[] }>,
    'logger' | 'output'
  > & { input: { namespace: string } };
  manifests: Manifest[];
  why: string;
}): void {
  const { ctx, manifests } = options;
  logDryRunObjects({
    logger: ctx.logger,
    verb: 'apply',
    objects: manifests,
    skipped: options.why,
  });
  ctx.output('objects', objectNames(manifests));
  ctx.output('serviceUrl', serviceUrl(manifests, ctx.input.namespace));
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

/**
 * The namespace, refused unless it exists and this platform manages it;
 * undefined in a dry run that comes before the step creating it.
 */
async function readPlatformNamespace(options: {
  client: KubernetesClient;
  name: string;
  isDryRun?: boolean;
}): Promise<KubernetesObject | undefined> {
  const { client, name } = options;
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
  if (!ns && !options.isDryRun) {
    throw new NotFoundError(
      `Namespace ${name} does not exist on cluster ${client.cluster}`,
    );
  }
  return ns;
}

/**
 * Applies the manifests in order, each once per attempt of the step: a
 * replay skips what it applied, a retry after a rollback applies again, as
 * the key follows the attempt.
 */
async function applyEach(options: {
  ctx: Pick<ActionContext<JsonObject>, 'checkpoint' | 'logger' | 'task'> & {
    step?: { id?: string };
  };
  journal: RollbackJournal;
  client: KubernetesClient;
  namespace: string;
  manifests: Manifest[];
  keep: boolean;
}): Promise<void> {
  const { ctx, journal, client, namespace } = options;
  const { cluster } = client;
  const taskId = ctx.task.id;
  const stepId = ctx.step?.id ?? 'unknown';
  for (const manifest of options.manifests) {
    ctx.logger.info(`Applying ${describeManifest(manifest, cluster)}`);
    await ctx.checkpoint({
      key: await checkpointKeyForObject({
        journal,
        taskId,
        stepId,
        cluster,
        object: manifest,
        key: `platform.kubernetes.apply.${cluster}.${namespace}.${manifest.kind}.${manifest.metadata.name}`,
      }),
      fn: () =>
        applyManifest({
          client,
          journal,
          manifest,
          taskId,
          stepId,
          keep: options.keep,
          log: message => ctx.logger.info(message),
        }),
    });
  }
}
