import { ConflictError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { KubernetesObject } from '@kubernetes/client-node';
import {
  checkpointKeyForIntent,
  RollbackJournal,
} from '@internal/plugin-platform-node';
import { resolveQuota } from '../kubernetes/config';
import {
  describeKubernetesFailure,
  explained,
  toPlatformError,
} from '../kubernetes/errors';
import { podSecurityLabels } from '../kubernetes/deploymentPolicy';
import { assertAdoptable } from '../kubernetes/namespaceResources';
import { PlatformPermissions } from '@internal/plugin-platform-node';
import {
  clusterInput,
  quotaInput,
  rollbackInput,
  toQuotaRequest,
} from '../kubernetes/inputs';
import {
  factsOf,
  isCreatedByTask,
  journaledCreate,
  journalRefOf,
} from '../kubernetes/journaledCreate';
import { assertDns1123Label, platformMetadata } from '../kubernetes/ownership';
import {
  logDryRunObjects,
  NO_CLUSTER,
  NO_CLUSTER_CONFIGURED,
  PlatformKubernetes,
} from '../kubernetes/platformKubernetes';
import { examples } from './kubernetesNamespaceCreate.examples';

export const QUOTA_NAME = 'platform-quota';
export const LIMIT_RANGE_NAME = 'platform-defaults';

/**
 * Creates a namespace for a service with a ResourceQuota and a LimitRange,
 * journaled for rollback.
 */
export function createKubernetesNamespaceCreateAction(options: {
  kubernetes: PlatformKubernetes;
  journal: RollbackJournal;
  access: PlatformPermissions;
}) {
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
      const keep = ctx.input.rollback === false;
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
      const client = ctx.isDryRun
        ? kubernetes.dryRunClientFor(ctx.input.cluster)
        : kubernetes.clientFor(ctx.input.cluster);
      const cluster = client?.cluster ?? NO_CLUSTER;
      const { defaultRequest, default: defaultLimit } =
        kubernetes.settings.limitRange;

      const namespace = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name,
          ...metadata,
          labels: {
            ...metadata.labels,
            ...podSecurityLabels(kubernetes.settings.policy.podSecurity),
          },
        },
      };
      const inNamespace = (objectName: string) => ({
        name: objectName,
        namespace: name,
        ...metadata,
      });
      const quota = {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: inNamespace(QUOTA_NAME),
        spec: { hard },
      };
      const limitRange = {
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: inNamespace(LIMIT_RANGE_NAME),
        spec: {
          limits: [
            { type: 'Container', defaultRequest, default: defaultLimit },
          ],
        },
      };

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
        let adopted = false;
        if (client) {
          ctx.logger.info(
            `Dry run: checking namespace ${name} on cluster ${cluster} with the API server's dry run`,
          );
          try {
            await client.create(namespace, { dryRun: true });
          } catch (e) {
            if (describeKubernetesFailure(e).status !== 409) {
              throw toPlatformError(
                e,
                `create namespace ${name} on cluster ${cluster}`,
              );
            }
            const existing = await explained(
              () => client.read(namespace),
              `read namespace ${name} on cluster ${cluster}`,
            );
            if (existing) {
              await acceptExisting(existing);
              adopted = true;
            }
          }
        }
        logDryRunObjects({
          logger: ctx.logger,
          verb: 'create',
          objects: [namespace, quota, limitRange],
          skipped: client ? undefined : NO_CLUSTER_CONFIGURED,
        });
        ctx.output('adopted', adopted);
        return;
      }

      // Each object is created once per run, even when the step runs again.
      // A retry after a rollback creates it again: the key follows the attempt.
      const create = async (
        object: typeof namespace,
        onForeign: (existing: KubernetesObject) => Promise<void> | void,
      ) => {
        ctx.logger.info(
          `Creating ${object.kind} ${object.metadata.name} on cluster ${cluster}`,
        );
        return ctx.checkpoint({
          key: await checkpointKeyForIntent(
            journal,
            {
              taskId: ctx.task.id,
              stepId: ctx.step?.id ?? 'unknown',
              ...journalRefOf(factsOf(cluster, object)),
            },
            `platform.kubernetes.${object.kind.toLowerCase()}.create.${cluster}.${name}.${
              object.metadata.name
            }`,
          ),
          fn: async () =>
            journaledCreate({
              journal,
              client,
              taskId: ctx.task.id,
              stepId: ctx.step?.id ?? 'unknown',
              object,
              write: stamped => client.create(stamped, { dryRun: false }),
              onForeign,
              keep,
            }),
        });
      };

      if (adopt) {
        // Adopting writes into someone's namespace: the user's permission
        // is checked before any request that could change anything.
        const existing = await explained(
          () => client.read(namespace),
          `read namespace ${name} on cluster ${cluster}`,
        );
        const ownRun =
          existing !== undefined &&
          (await isCreatedByTask({
            journal,
            taskId: ctx.task.id,
            facts: { cluster, apiVersion: 'v1', kind: 'Namespace', name },
            object: existing,
          }));
        if (existing && !ownRun) {
          await acceptExisting(existing);
        }
      }
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
