import { ConflictError } from '@backstage/errors';
import {
  ActionContext,
  createTemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';
import { LoggerService } from '@backstage/backend-plugin-api';
import { KubernetesObject } from '@kubernetes/client-node';
import { RollbackJournal } from '@internal/plugin-platform-node';
import { KubernetesClient } from '../kubernetes/client';
import { resolveQuota } from '../kubernetes/config';
import {
  describeKubernetesFailure,
  explained,
  toPlatformError,
} from '../kubernetes/errors';
import {
  clusterInput,
  quotaInput,
  rollbackInput,
  toQuotaRequest,
} from '../kubernetes/inputs';
import {
  checkpointKeyForObject,
  CreatableObject,
  isCreatedByTask,
  journaledCreate,
  JournaledCreateResult,
} from '../kubernetes/journaledCreate';
import { assertAdoptable } from '../kubernetes/namespaceResources';
import { assertDns1123Label, platformMetadata } from '../kubernetes/ownership';
import {
  clientForStep,
  KubernetesActionOptions,
  logDryRunObjects,
  NO_CLUSTER,
  NO_CLUSTER_CONFIGURED,
} from '../kubernetes/platformKubernetes';
import { platformNamespaceObjects } from '../kubernetes/platformNamespace';
import { examples } from './kubernetesNamespaceCreate.examples';

/**
 * Creates a namespace for a service with a ResourceQuota and a LimitRange,
 * journaled for rollback.
 *
 * @public
 */
export function createKubernetesNamespaceCreateAction(
  options: KubernetesActionOptions,
) {
  const { kubernetes, journal, access } = options;
  return createTemplateAction({
    id: 'platform:kubernetes:namespace:create',
    description:
      'Creates a Kubernetes namespace labelled with its owner and service, with a ResourceQuota and a LimitRange. Rolled back when the run fails.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z =>
          z.string({
            description:
              'Name of the namespace, a DNS-1123 label (lower case letters, digits and -, at most 63 characters)',
          }),
        service: z =>
          z.string({
            description:
              'Name of the service (catalog Component) the namespace belongs to; becomes a label',
          }),
        owner: z =>
          z.string({
            description:
              'Entity ref of the owning team, such as group:default/payments-team',
          }),
        cluster: clusterInput,
        quota: z =>
          quotaInput(
            z,
            'Resources beyond the configured default quota, up to platform.kubernetes.quota.maximum',
          ).optional(),
        adopt: z =>
          z
            .boolean({
              description:
                'Use the namespace if it already exists, this platform manages it for the same service and the user who started the run may write into it; rollback then leaves it alone. Default false',
            })
            .optional(),
        rollback: rollbackInput,
      },
      output: {
        namespace: z => z.string({ description: 'Name of the namespace' }),
        cluster: z => z.string({ description: 'Cluster the namespace is on' }),
        adopted: z =>
          z.boolean({
            description:
              'True when an existing platform-managed namespace was adopted instead of created',
          }),
        quota: z =>
          z.record(z.string(), {
            description: 'The ResourceQuota hard limits of the namespace',
          }),
      },
    },
    async handler(ctx) {
      const { name, service, owner } = ctx.input;
      const adopt = ctx.input.adopt ?? false;
      assertDns1123Label(name, 'Namespace name');
      assertDns1123Label(service, 'Service name');
      const metadata = platformMetadata({
        service,
        owner,
        run: { taskId: ctx.task.id, createdBy: ctx.user?.ref },
      });
      const hard = resolveQuota(
        kubernetes.settings,
        ctx.input.quota && toQuotaRequest(ctx.input.quota),
      );
      const client = clientForStep({
        kubernetes,
        cluster: ctx.input.cluster,
        isDryRun: ctx.isDryRun,
      });
      const cluster = client?.cluster ?? NO_CLUSTER;
      const { namespace, quota, limitRange } = platformNamespaceObjects({
        name,
        metadata,
        hard,
        settings: kubernetes.settings,
      });
      // Adopting is for a namespace this platform made for the same
      // service, and writes into it, so the user must be allowed to; anything
      // else with the name belongs to someone else.
      const acceptExisting = (existing: KubernetesObject) =>
        assertAdoptable({
          existing,
          cluster,
          service,
          adopt,
          access,
          credentials: () => ctx.getInitiatorCredentials(),
        });

      ctx.output('namespace', name);
      ctx.output('cluster', cluster);
      ctx.output('quota', hard);
      if (ctx.isDryRun || !client) {
        ctx.output(
          'adopted',
          await dryRunCreate({
            logger: ctx.logger,
            client,
            namespace,
            objects: [namespace, quota, limitRange],
            acceptExisting,
          }),
        );
        return;
      }

      const taskId = ctx.task.id;
      if (adopt) {
        await checkAdoption({
          journal,
          client,
          taskId,
          namespace,
          acceptExisting,
        });
      }
      const create = (
        object: CreatableObject,
        onForeign: (existing: KubernetesObject) => Promise<void> | void,
      ) =>
        createOnce({
          ctx,
          journal,
          client,
          taskId,
          stepId: ctx.step?.id ?? 'unknown',
          namespace: name,
          object,
          onForeign,
          keep: ctx.input.rollback === false,
        });
      const adopted = !(await create(namespace, acceptExisting)).created;
      if (adopted) {
        ctx.logger.info(
          `Adopted namespace ${name} on cluster ${cluster}, which this platform manages for service ${service}; rollback leaves it alone`,
        );
      }
      for (const object of [quota, limitRange]) {
        await create(object, () => {
          if (!adopted) {
            throw new ConflictError(
              `${object.kind} ${object.metadata.name} already exists in the new namespace ${name} on cluster ${cluster}`,
            );
          }
          ctx.logger.info(
            `The adopted namespace already has ${object.kind} ${object.metadata.name}; leaving it as it is`,
          );
        });
      }
      ctx.output('adopted', adopted);
    },
  });
}

/**
 * Asks the API server's dry run about the namespace, when there is a
 * cluster to ask, and logs the objects the run would create. True when the
 * namespace exists and would be adopted.
 */
async function dryRunCreate(options: {
  logger: LoggerService;
  client: KubernetesClient | undefined;
  namespace: CreatableObject;
  /** Everything the run would create, the namespace first. */
  objects: CreatableObject[];
  acceptExisting: (existing: KubernetesObject) => Promise<void>;
}): Promise<boolean> {
  const { logger, client, namespace } = options;
  let adopted = false;
  if (client) {
    const where = `namespace ${namespace.metadata.name} on cluster ${client.cluster}`;
    logger.info(`Dry run: checking ${where} with the API server's dry run`);
    try {
      await client.create(namespace, { dryRun: true });
    } catch (e) {
      if (describeKubernetesFailure(e).status !== 409) {
        throw toPlatformError(e, `create ${where}`);
      }
      const existing = await explained(
        () => client.read(namespace),
        `read ${where}`,
      );
      if (existing) {
        await options.acceptExisting(existing);
        adopted = true;
      }
    }
  }
  logDryRunObjects({
    logger,
    verb: 'create',
    objects: options.objects,
    skipped: client ? undefined : NO_CLUSTER_CONFIGURED,
  });
  return adopted;
}

/**
 * Adopting writes into someone's namespace: the user's permission is
 * checked before any request that could change anything. A namespace this
 * run created already is its own.
 */
async function checkAdoption(options: {
  journal: RollbackJournal;
  client: KubernetesClient;
  taskId: string;
  namespace: CreatableObject;
  acceptExisting: (existing: KubernetesObject) => Promise<void>;
}): Promise<void> {
  const { journal, client, namespace } = options;
  const { cluster } = client;
  const name = namespace.metadata.name;
  const existing = await explained(
    () => client.read(namespace),
    `read namespace ${name} on cluster ${cluster}`,
  );
  const ownRun =
    existing !== undefined &&
    (await isCreatedByTask({
      journal,
      taskId: options.taskId,
      facts: { cluster, apiVersion: 'v1', kind: 'Namespace', name },
      object: existing,
    }));
  if (existing && !ownRun) {
    await options.acceptExisting(existing);
  }
}

/**
 * Creates the object once per run, even when the step runs again. A retry
 * after a rollback creates it again: the key follows the attempt.
 */
async function createOnce(options: {
  ctx: Pick<ActionContext<JsonObject>, 'checkpoint' | 'logger'>;
  journal: RollbackJournal;
  client: KubernetesClient;
  taskId: string;
  stepId: string;
  /** The namespace the step creates, which the checkpoint key names. */
  namespace: string;
  object: CreatableObject;
  onForeign: (existing: KubernetesObject) => Promise<void> | void;
  keep: boolean;
}): Promise<JournaledCreateResult> {
  const { ctx, journal, client, taskId, stepId, object } = options;
  const { cluster } = client;
  ctx.logger.info(
    `Creating ${object.kind} ${object.metadata.name} on cluster ${cluster}`,
  );
  return ctx.checkpoint({
    key: await checkpointKeyForObject({
      journal,
      taskId,
      stepId,
      cluster,
      object,
      key: `platform.kubernetes.${object.kind.toLowerCase()}.create.${cluster}.${
        options.namespace
      }.${object.metadata.name}`,
    }),
    fn: async () =>
      journaledCreate({
        journal,
        client,
        taskId,
        stepId,
        object,
        write: stamped => client.create(stamped, { dryRun: false }),
        onForeign: options.onForeign,
        keep: options.keep,
      }),
  });
}
