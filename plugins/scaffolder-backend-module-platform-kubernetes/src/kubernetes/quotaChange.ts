import { KubernetesObject } from '@kubernetes/client-node';
import {
  JournalEntry,
  ResourceCompensator,
  TransientCompensationError,
} from '@internal/plugin-platform-node';
import { clientForCluster, failed, readOrFail } from './compensators';
import { KubernetesCluster } from './config';
import { describeKubernetesFailure } from './errors';
import { describeObject, KubernetesObjectFacts } from './journaledCreate';
import { parseQuantity } from './quantity';

/** The journal kind of a change to an existing ResourceQuota. */
export const QUOTA_CHANGE_KIND = 'kubernetes:resourcequota-change';

export type QuotaHard = Record<string, string>;

/** What the journal keeps about a quota change: enough to undo it safely. */
export interface QuotaChangeFacts extends KubernetesObjectFacts {
  /** The quota that was changed; a quota under the same name with another uid is not it. */
  uid: string;
  /** The `hard` limits before the change, to restore. */
  previous: QuotaHard;
  /** The `hard` limits the run set: restoring is only safe while they are in force. */
  applied: QuotaHard;
}

type Quota = KubernetesObject & { spec?: { hard?: QuotaHard } };

export function hardOf(quota: KubernetesObject | undefined): QuotaHard {
  return (quota as Quota | undefined)?.spec?.hard ?? {};
}

/**
 * Whether two quantities are the same amount: the API server stores them in
 * canonical form, so `1000m` set by a run reads back as `1`.
 */
function sameQuantity(a: string, b: string): boolean {
  try {
    return parseQuantity(a, 'quota') === parseQuantity(b, 'quota');
  } catch {
    return a === b;
  }
}

/** In words, where `actual` differs from `expected`; empty when the same. */
export function quotaDifferences(
  actual: QuotaHard,
  expected: QuotaHard,
): string[] {
  const resources = [
    ...new Set([...Object.keys(expected), ...Object.keys(actual)]),
  ].sort();
  return resources.flatMap(resource => {
    const is = actual[resource];
    const was = expected[resource];
    if (is !== undefined && was !== undefined && sameQuantity(is, was)) {
      return [];
    }
    return [
      `${resource} is ${is ?? 'not set'} where the run set ${was ?? 'nothing'}`,
    ];
  });
}

function format(hard: QuotaHard): string {
  return Object.entries(hard)
    .map(([resource, value]) => `${resource}=${value}`)
    .join(', ');
}

/**
 * Undoes a change `platform:kubernetes:quota:apply` made to an existing
 * ResourceQuota by writing back the `hard` limits from before, but only
 * while the quota holds exactly what the run set: a later change by someone
 * else is theirs and survives, and the rollback says so. The write is a
 * replace carrying the resourceVersion that was compared, so a change made
 * between the read and the write is never overwritten either.
 *
 * @public
 */
export function createQuotaChangeCompensator(options: {
  clusters: KubernetesCluster[];
}): ResourceCompensator {
  return {
    kind: QUOTA_CHANGE_KIND,
    async compensate(entry: JournalEntry) {
      const facts = entry.data as QuotaChangeFacts;
      const what = describeObject(facts);
      const restore = `restore the previous limits of ${what} (${format(
        facts.previous,
      )})`;
      const client = clientForCluster(
        options.clusters,
        facts.cluster,
        restore,
        'restore them by hand',
      );
      const quota = await readOrFail(client, facts);
      if (!quota || quota.metadata?.uid !== facts.uid) {
        return 'already_gone';
      }
      const namespace = (await readOrFail(client, {
        cluster: facts.cluster,
        apiVersion: 'v1',
        kind: 'Namespace',
        name: facts.namespace!,
      })) as { status?: { phase?: string } } | undefined;
      // The namespace's deletion takes the quota with it.
      if (!namespace || namespace.status?.phase === 'Terminating') {
        return 'already_gone';
      }
      const hard = hardOf(quota);
      // The change never happened (an unclear outcome), or was undone by an
      // attempt whose result was not recorded.
      if (quotaDifferences(hard, facts.previous).length === 0) {
        return 'restored';
      }
      const changed = quotaDifferences(hard, facts.applied);
      if (changed.length > 0) {
        throw new Error(
          `Did not ${restore}: the quota was changed after this run set it (${changed.join(
            '; ',
          )}), and that change is left in force`,
        );
      }
      try {
        const restored: Quota = {
          ...quota,
          spec: { ...(quota as Quota).spec, hard: facts.previous },
        };
        await client.replace(restored);
      } catch (e) {
        const status = describeKubernetesFailure(e).status;
        if (status === 404) {
          return 'already_gone';
        }
        if (status === 409) {
          // Changed since the read: the next attempt compares again.
          throw new TransientCompensationError(
            `Could not ${restore}: the quota changed while it was being restored`,
          );
        }
        throw failed(
          e,
          restore,
          'update ResourceQuotas; restore the limits by hand',
        );
      }
      return 'restored';
    },
  };
}
