import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  checkpointKeyFor,
  RollbackJournal,
} from '@internal/plugin-platform-node';
import { ObjectRef } from '../kubernetes/client';
import {
  clusterInput,
  quotaInput,
  rollbackInput,
  toQuotaRequest,
} from '../kubernetes/inputs';
import { resolveQuota } from '../kubernetes/config';
import {
  describeKubernetesFailure,
  explained,
  toPlatformError,
} from '../kubernetes/errors';
import {
  journaledCreate,
  journalIdentity,
} from '../kubernetes/journaledCreate';
import {
  hardOf,
  QUOTA_CHANGE_KIND,
  QuotaChangeFacts,
} from '../kubernetes/quotaChange';
import {
  ANNOTATION_CREATED_BY_TASK,
  assertDns1123Label,
  creationAnnotationsOf,
  isManagedByPlatform,
  LABEL_MANAGED_BY,
  LABEL_OWNER,
  LABEL_SERVICE,
} from '../kubernetes/ownership';
import {
  NO_CLUSTER,
  NO_CLUSTER_CONFIGURED,
  PlatformKubernetes,
} from '../kubernetes/platformKubernetes';
import { assertMayWriteInto } from '../kubernetes/namespaceResources';
import { PlatformPermissions } from '@internal/plugin-platform-node';
import { QUOTA_NAME } from './kubernetesNamespaceCreate';
import { examples } from './kubernetesQuotaApply.examples';

/**
 * Changes the ResourceQuota of a namespace the platform manages.
 */
export function createKubernetesQuotaApplyAction(options: {
  kubernetes: PlatformKubernetes;
  journal: RollbackJournal;
  access: PlatformPermissions;
}) {
  const { kubernetes, journal, access } = options;
  return createTemplateAction({
    id: 'platform:kubernetes:quota:apply',
    description:
      'Changes the ResourceQuota of a namespace this platform manages, within the configured maximum. Refuses namespaces the platform does not manage, and namespaces the user who started the run may not write into (platform.namespace.write). If the run fails, the previous limits are restored unless someone changed the quota since.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        namespace: z =>
          z.string({ description: 'Name of the platform-managed namespace' }),
        cluster: clusterInput,
        quota: z =>
          quotaInput(
            z,
            'The resources to change; the others keep their current value. Each is limited by platform.kubernetes.quota.maximum',
          ),
        rollback: rollbackInput,
      },
      output: {
        quota: z =>
          z.record(z.string(), {
            description: 'The ResourceQuota hard limits now in force',
          }),
        previousQuota: z =>
          z
            .record(z.string(), {
              description:
                'The hard limits before the change, if there was a quota',
            })
            .optional(),
      },
    },
    async handler(ctx) {
      const { namespace: name, quota: requested } = ctx.input;
      assertDns1123Label(name, 'Namespace name');
      const request = toQuotaRequest(requested);
      // Checked against the maximum before anything is read or written.
      const requestedQuota = resolveQuota(kubernetes.settings, request);
      const client = ctx.isDryRun
        ? kubernetes.dryRunClientFor(ctx.input.cluster)
        : kubernetes.clientFor(ctx.input.cluster);
      const where = `namespace ${name} on cluster ${
        client?.cluster ?? NO_CLUSTER
      }`;
      // A dry run may have nothing to check against: no cluster, or a
      // namespace that an earlier step of the same dry run did not create.
      const skipDryRun = (why: string) => {
        ctx.logger.info(
          `Dry run: ${why}, so the API server's own dry run was skipped; would set the quota of ${where} to ${JSON.stringify(
            requestedQuota,
          )}`,
        );
        ctx.output('quota', requestedQuota);
      };
      if (!client) {
        skipDryRun(NO_CLUSTER_CONFIGURED);
        return;
      }
      const cluster = client.cluster;

      const read = (object: ObjectRef) =>
        explained(() => client.read(object), `read ${object.kind} of ${where}`);
      const namespace = await read({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      });
      if (!namespace && ctx.isDryRun) {
        skipDryRun(`namespace ${name} does not exist yet`);
        return;
      }
      if (!namespace) {
        throw new NotFoundError(
          `Namespace ${name} does not exist on cluster ${cluster}`,
        );
      }
      if (!isManagedByPlatform(namespace)) {
        throw new NotAllowedError(
          `Namespace ${name} on cluster ${cluster} is not managed by this platform (no label ${LABEL_MANAGED_BY}=backstage-platform); its quota is left unchanged`,
        );
      }
      await assertMayWriteInto({
        access,
        journal,
        ctx,
        cluster,
        namespace,
        doing: 'change the quota of',
      });
      const existing = await read({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: QUOTA_NAME, namespace: name },
      });
      let previous = existing ? hardOf(existing) : undefined;
      let hard = resolveQuota(
        kubernetes.settings,
        request,
        previous ?? kubernetes.settings.quota.default,
      );
      // Intent before the change, so a rollback can restore what was there.
      // Recorded even when nothing differs: on a replay of this step the
      // quota already holds the new values, and only the journal still has
      // the ones from before the first execution.
      const quotaFacts = {
        cluster,
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        name: QUOTA_NAME,
        namespace: name,
      };
      const change =
        existing && !ctx.isDryRun
          ? await journal.recordIntent({
              taskId: ctx.task.id,
              stepId: ctx.step?.id ?? 'unknown',
              kind: QUOTA_CHANGE_KIND,
              identity: journalIdentity(quotaFacts),
              data: {
                ...quotaFacts,
                uid: existing.metadata?.uid ?? '',
                previous: previous!,
                applied: hard,
              } satisfies QuotaChangeFacts,
            })
          : undefined;
      if (change) {
        ({ previous, applied: hard } = change.data as QuotaChangeFacts);
      }
      const labels = namespace.metadata?.labels ?? {};
      // An existing quota keeps the marks of the run that created it; one
      // this run creates gets its own (and journaledCreate adds the nonce).
      const annotations = existing
        ? creationAnnotationsOf(existing)
        : { [ANNOTATION_CREATED_BY_TASK]: ctx.task.id };
      const quota = {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: {
          name: QUOTA_NAME,
          namespace: name,
          labels: {
            [LABEL_MANAGED_BY]: labels[LABEL_MANAGED_BY],
            ...(labels[LABEL_OWNER]
              ? { [LABEL_OWNER]: labels[LABEL_OWNER] }
              : {}),
            ...(labels[LABEL_SERVICE]
              ? { [LABEL_SERVICE]: labels[LABEL_SERVICE] }
              : {}),
          },
          annotations,
        },
        spec: { hard },
      };

      ctx.output('quota', hard);
      if (previous) {
        ctx.output('previousQuota', previous);
      }
      const described = `${JSON.stringify(previous ?? {})} to ${JSON.stringify(
        hard,
      )}`;

      if (ctx.isDryRun) {
        await explained(
          () => client.apply(quota, { dryRun: true }),
          `apply the quota of ${where}`,
        );
        ctx.logger.info(
          `Dry run: would change the quota of ${where} from ${described}: ${JSON.stringify(
            quota,
          )}`,
        );
        return;
      }

      ctx.logger.info(`Changing the quota of ${where} from ${described}`);
      const key = `platform.kubernetes.quota.apply.${cluster}.${name}`;
      if (change) {
        await ctx.checkpoint({
          key: checkpointKeyFor(key, change),
          fn: async () => {
            let applied;
            try {
              applied = await client.apply(quota, { dryRun: false });
            } catch (e) {
              // Refused outright: nothing changed, nothing to restore. After
              // an unclear outcome the intent stays for rollback to look at.
              if (!describeKubernetesFailure(e).unknownOutcome) {
                await journal.discard(change.id);
              }
              throw toPlatformError(e, `apply the quota of ${where}`);
            }
            // What the server stores (`1000m` reads back as `1`) is what
            // rollback compares against.
            await journal.markCreated(change.id, {
              data: { applied: hardOf(applied) },
            });
            if (ctx.input.rollback === false) {
              await journal.markKept(change.id);
            }
          },
        });
        ctx.logger.info(
          ctx.input.rollback === false
            ? `Changed the quota of ${where}; it stays changed if the run fails (rollback: false)`
            : `Changed the quota of ${where}; if the run fails, rollback restores ${JSON.stringify(
                previous,
              )} unless the quota was changed again meanwhile`,
        );
        return;
      }
      await ctx.checkpoint({
        key,
        fn: async () =>
          journaledCreate({
            journal,
            client,
            taskId: ctx.task.id,
            stepId: ctx.step?.id ?? 'unknown',
            object: quota,
            // A create, not an apply: an apply would take over a quota
            // someone made since the read, and rollback would delete it.
            write: stamped => client.create(stamped, { dryRun: false }),
            onForeign: () => {
              throw new ConflictError(
                `The quota of ${where} was created by someone else while this run was changing it; it was left as it is`,
              );
            },
            keep: ctx.input.rollback === false,
          }),
      });
    },
  });
}
