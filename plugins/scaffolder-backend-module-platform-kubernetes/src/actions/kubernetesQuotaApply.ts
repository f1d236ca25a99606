import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  ActionContext,
  createTemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';
import { KubernetesObject } from '@kubernetes/client-node';
import {
  checkpointKeyFor,
  JournalEntry,
  RollbackJournal,
} from '@internal/plugin-platform-node';
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
  CreatableObject,
  journaledCreate,
  journalIdentity,
} from '../kubernetes/journaledCreate';
import { assertMayWriteInto } from '../kubernetes/namespaceResources';
import {
  assertDns1123Label,
  isManagedByPlatform,
  LABEL_MANAGED_BY,
} from '../kubernetes/ownership';
import {
  clientForStep,
  KubernetesActionOptions,
  NO_CLUSTER,
  NO_CLUSTER_CONFIGURED,
  PlatformKubernetes,
} from '../kubernetes/platformKubernetes';
import { platformQuota, QUOTA_NAME } from '../kubernetes/platformNamespace';
import {
  hardOf,
  QUOTA_CHANGE_KIND,
  QuotaChangeFacts,
  QuotaHard,
} from '../kubernetes/quotaChange';
import { examples } from './kubernetesQuotaApply.examples';

/**
 * Changes the ResourceQuota of a namespace the platform manages.
 *
 * @public
 */
export function createKubernetesQuotaApplyAction(
  options: KubernetesActionOptions,
) {
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
      const client = clientForStep({
        kubernetes,
        cluster: ctx.input.cluster,
        isDryRun: ctx.isDryRun,
      });
      const where = `namespace ${name} on cluster ${
        client?.cluster ?? NO_CLUSTER
      }`;
      // A dry run may have nothing to check against: no cluster, or a
      // namespace that an earlier step of the same dry run did not create.
      const skipDryRun = (why: string) =>
        reportSkippedDryRun({ ctx, where, quota: requestedQuota, why });
      if (!client) {
        skipDryRun(NO_CLUSTER_CONFIGURED);
        return;
      }
      const cluster = client.cluster;
      const namespace = await readManagedNamespace({
        client,
        name,
        where,
        isDryRun: ctx.isDryRun,
      });
      if (!namespace) {
        skipDryRun(`namespace ${name} does not exist yet`);
        return;
      }
      await assertMayWriteInto({
        access,
        journal,
        ctx,
        cluster,
        namespace,
        doing: 'change the quota of',
      });
      const { existing, previous, hard, change } = await planChange({
        kubernetes,
        journal,
        ctx,
        client,
        name,
        where,
        request,
      });
      const quota = platformQuota({
        name,
        namespace,
        existing,
        taskId: ctx.task.id,
        hard,
      });

      ctx.output('quota', hard);
      if (previous) {
        ctx.output('previousQuota', previous);
      }
      const described = `${JSON.stringify(previous ?? {})} to ${JSON.stringify(
        hard,
      )}`;
      if (ctx.isDryRun) {
        await dryRunChange({
          logger: ctx.logger,
          client,
          quota,
          where,
          described,
        });
        return;
      }

      ctx.logger.info(`Changing the quota of ${where} from ${described}`);
      const key = `platform.kubernetes.quota.apply.${cluster}.${name}`;
      const keep = ctx.input.rollback === false;
      if (change) {
        await ctx.checkpoint({
          key: checkpointKeyFor(key, change),
          fn: () =>
            applyChange({ journal, client, change, quota, where, keep }),
        });
        ctx.logger.info(
          keep
            ? `Changed the quota of ${where}; it stays changed if the run fails (rollback: false)`
            : `Changed the quota of ${where}; if the run fails, rollback restores ${JSON.stringify(
                previous,
              )} unless the quota was changed again meanwhile`,
        );
        return;
      }
      await ctx.checkpoint({
        key,
        fn: () =>
          createQuota({
            journal,
            client,
            taskId: ctx.task.id,
            stepId: ctx.step?.id ?? 'unknown',
            quota,
            where,
            keep,
          }),
      });
    },
  });
}

function reportSkippedDryRun(options: {
  ctx: Pick<
    ActionContext<JsonObject, { quota: QuotaHard }>,
    'logger' | 'output'
  >;
  where: string;
  quota: QuotaHard;
  why: string;
}): void {
  const { ctx, where, quota, why } = options;
  ctx.logger.info(
    `Dry run: ${why}, so the API server's own dry run was skipped; would set the quota of ${where} to ${JSON.stringify(
      quota,
    )}`,
  );
  ctx.output('quota', quota);
}

/**
 * The namespace, refused unless it exists and this platform manages it;
 * undefined in a dry run that comes before the step creating it.
 */
async function readManagedNamespace(options: {
  client: KubernetesClient;
  name: string;
  where: string;
  isDryRun?: boolean;
}): Promise<KubernetesObject | undefined> {
  const { client, name } = options;
  const namespace = await explained(
    () =>
      client.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    `read Namespace of ${options.where}`,
  );
  if (!namespace && options.isDryRun) {
    return undefined;
  }
  if (!namespace) {
    throw new NotFoundError(
      `Namespace ${name} does not exist on cluster ${client.cluster}`,
    );
  }
  if (!isManagedByPlatform(namespace)) {
    throw new NotAllowedError(
      `Namespace ${name} on cluster ${client.cluster} is not managed by this platform (no label ${LABEL_MANAGED_BY}=backstage-platform); its quota is left unchanged`,
    );
  }
  return namespace;
}

/**
 * The quota now, and its limits before and after the change, with the change's journal entry
 * when an existing quota changes outside a dry run. The intent is recorded
 * before the change, so a rollback can restore what was there, and even
 * when nothing differs: on a replay of this step the quota already holds
 * the new values, and only the journal still has the ones from before the
 * first execution.
 */
async function planChange(options: {
  kubernetes: PlatformKubernetes;
  journal: RollbackJournal;
  ctx: {
    task: { id: string };
    step?: { id?: string };
    isDryRun?: boolean;
  };
  client: KubernetesClient;
  name: string;
  where: string;
  request: ReturnType<typeof toQuotaRequest>;
}): Promise<{
  existing?: KubernetesObject;
  previous?: QuotaHard;
  hard: QuotaHard;
  change?: JournalEntry;
}> {
  const { kubernetes, ctx, client } = options;
  const existing = await explained(
    () =>
      client.read({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: QUOTA_NAME, namespace: options.name },
      }),
    `read ResourceQuota of ${options.where}`,
  );
  const previous = existing ? hardOf(existing) : undefined;
  const hard = resolveQuota(
    kubernetes.settings,
    options.request,
    previous ?? kubernetes.settings.quota.default,
  );
  if (!existing || ctx.isDryRun) {
    return { existing, previous, hard };
  }
  const quotaFacts = {
    cluster: client.cluster,
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    name: QUOTA_NAME,
    namespace: options.name,
  };
  const change = await options.journal.recordIntent({
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
  });
  const recorded = change.data as QuotaChangeFacts;
  return {
    existing,
    previous: recorded.previous,
    hard: recorded.applied,
    change,
  };
}

/** Has the API server check the change, and logs it. */
async function dryRunChange(options: {
  logger: LoggerService;
  client: KubernetesClient;
  quota: KubernetesObject;
  where: string;
  /** `{before} to {after}`. */
  described: string;
}): Promise<void> {
  const { client, quota, where } = options;
  await explained(
    () => client.apply(quota, { dryRun: true }),
    `apply the quota of ${where}`,
  );
  options.logger.info(
    `Dry run: would change the quota of ${where} from ${
      options.described
    }: ${JSON.stringify(quota)}`,
  );
}

/** What writing the quota takes, for a change as for a create. */
type QuotaWrite = {
  journal: RollbackJournal;
  client: KubernetesClient;
  quota: KubernetesObject;
  /** `namespace X on cluster Y`, as messages name it. */
  where: string;
  keep: boolean;
};

/**
 * Creates the quota a namespace lacks, journaled. A create, not an apply:
 * an apply would take over a quota someone made since the read, and
 * rollback would delete it.
 */
function createQuota(
  options: QuotaWrite & {
    quota: CreatableObject;
    taskId: string;
    stepId: string;
  },
) {
  const { client } = options;
  return journaledCreate({
    journal: options.journal,
    client,
    taskId: options.taskId,
    stepId: options.stepId,
    object: options.quota,
    write: stamped => client.create(stamped, { dryRun: false }),
    onForeign: () => {
      throw new ConflictError(
        `The quota of ${options.where} was created by someone else while this run was changing it; it was left as it is`,
      );
    },
    keep: options.keep,
  });
}

/** Applies the journaled change and records what the server stored. */
async function applyChange(
  options: QuotaWrite & { change: JournalEntry },
): Promise<void> {
  const { journal, client, change } = options;
  let applied;
  try {
    applied = await client.apply(options.quota, { dryRun: false });
  } catch (e) {
    // Refused outright: nothing changed, nothing to restore. After an
    // unclear outcome the intent stays for rollback to look at.
    if (!describeKubernetesFailure(e).unknownOutcome) {
      await journal.discard(change.id);
    }
    throw toPlatformError(e, `apply the quota of ${options.where}`);
  }
  // What the server stores (`1000m` reads back as `1`) is what rollback
  // compares against.
  await journal.markCreated(change.id, {
    data: { applied: hardOf(applied) },
  });
  if (options.keep) {
    await journal.markKept(change.id);
  }
}
