import { KubernetesObject } from '@kubernetes/client-node';
import {
  CompensationInProgress,
  JournalEntry,
  ResourceCompensator,
  TransientCompensationError,
} from '@internal/plugin-platform-node';
import { createKubernetesClient, KubernetesClient } from './client';
import { KubernetesCluster } from './config';
import { describeKubernetesFailure } from './errors';
import {
  describeObject,
  journalKind,
  KubernetesObjectFacts,
  refOf,
} from './journaledCreate';
import { isCreatedByEntry } from './ownership';

/** The kinds platform actions create, one compensator each. */
export const COMPENSATED_KINDS = [
  'Namespace',
  'ResourceQuota',
  'LimitRange',
  'Deployment',
  'Service',
  'Ingress',
] as const;

/**
 * The error a compensator throws for a failed call: transient for 5xx,
 * timeouts and rate limits; otherwise in words, with `byHand` saying what
 * the service account lacks permission for and what a person should do.
 */
export function failed(
  error: unknown,
  doing: string,
  byHand = 'delete this object; delete it by hand',
): Error {
  const failure = describeKubernetesFailure(error);
  const message = `Could not ${doing}: ${failure.message}`;
  if (failure.unknownOutcome || failure.status === 429) {
    return new TransientCompensationError(message);
  }
  if (failure.status === 401 || failure.status === 403) {
    return new Error(
      `${message}. The service account configured for the cluster needs permission to ${byHand}.`,
    );
  }
  return new Error(message);
}

/**
 * A client for the cluster a journal entry's object is on. A cluster taken
 * out of the config since the run cannot be reached, so a person must finish
 * the work: `byHand` says what to do.
 */
export function clientForCluster(
  clusters: KubernetesCluster[],
  name: string,
  doing: string,
  byHand: string,
): KubernetesClient {
  const cluster = clusters.find(c => c.name === name);
  if (!cluster) {
    throw new Error(
      `Could not ${doing}: cluster ${name} is no longer configured for platform actions; ${byHand}`,
    );
  }
  return createKubernetesClient(cluster);
}

export async function readOrFail(
  client: KubernetesClient,
  facts: KubernetesObjectFacts,
): Promise<KubernetesObject | undefined> {
  try {
    return await client.read(refOf(facts));
  } catch (e) {
    throw failed(e, `look up ${describeObject(facts)}`);
  }
}

/**
 * Deletes one kind of object a run created. Ownership is proven by the uid
 * the journal recorded, or for an intent whose outcome was never seen by the
 * nonce the run journaled and put on the object; the delete carries the uid
 * as a precondition, so an object re-created under the same name by someone
 * else survives. Kubernetes deletes a namespace asynchronously, once the
 * objects inside are gone: the compensator answers at once that the deletion
 * is under way, and when the engine checks again it finds the namespace still
 * terminating (and does not delete it again) or gone.
 */
export function createKubernetesCompensator(options: {
  kind: (typeof COMPENSATED_KINDS)[number];
  clusters: KubernetesCluster[];
  /** How long the engine waits for a namespace to finish terminating. */
  namespaceDeletionTimeoutMs: number;
}): ResourceCompensator {
  return {
    kind: journalKind(options.kind),
    async compensate(entry: JournalEntry) {
      const facts = entry.data as KubernetesObjectFacts;
      const what = describeObject(facts);
      const client = clientForCluster(
        options.clusters,
        facts.cluster,
        `delete ${what}`,
        'delete it by hand',
      );
      const existing = await readOrFail(client, facts);
      if (existing && !facts.uid && !facts.nonce) {
        // Journaled before runs recorded nonces: nothing can tell this
        // object from one someone else made, so a person decides.
        throw new Error(
          `The run recorded no proof that it created ${what}; if it is the run's, delete it by hand`,
        );
      }
      const uid = existing?.metadata?.uid;
      const ours = existing !== undefined && isCreatedByEntry(existing, facts);
      if (!existing || !ours || !uid) {
        return 'already_gone';
      }

      const terminating =
        options.kind === 'Namespace' &&
        (existing as { status?: { phase?: string } }).status?.phase ===
          'Terminating';
      if (!terminating) {
        try {
          await client.deleteExact(refOf(facts), uid);
        } catch (e) {
          const status = describeKubernetesFailure(e).status;
          // 404: gone meanwhile. 409: the uid precondition failed, so the
          // object under this name is no longer the one this run created.
          if (status === 404 || status === 409) {
            return 'already_gone';
          }
          throw failed(e, `delete ${what}`);
        }
      }
      if (options.kind !== 'Namespace') {
        return 'deleted';
      }
      return new CompensationInProgress(
        `deletion requested; ${what} is still terminating, which Kubernetes finishes once the objects inside are gone`,
        { maxWaitMs: options.namespaceDeletionTimeoutMs },
      );
    },
  };
}

/** @public */
export function createKubernetesCompensators(options: {
  clusters: KubernetesCluster[];
  namespaceDeletionTimeoutMs: number;
}): ResourceCompensator[] {
  return COMPENSATED_KINDS.map(kind =>
    createKubernetesCompensator({ ...options, kind }),
  );
}
