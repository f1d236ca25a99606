import { JsonObject } from '@backstage/types';
import { KubernetesObject } from '@kubernetes/client-node';
import {
  checkpointKeyForIntent,
  RollbackJournal,
} from '@internal/plugin-platform-node';
import { KubernetesClient, ObjectRef } from './client';
import { describeKubernetesFailure, toPlatformError } from './errors';
import { createOwnershipNonce } from '@internal/plugin-platform-node';
import { ANNOTATION_RUN_NONCE, isCreatedByEntry } from './ownership';

/** What the journal keeps about a Kubernetes object; never a token. */
export interface KubernetesObjectFacts extends JsonObject {
  cluster: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** Set once the action saw the object created: the proof of ownership. */
  uid?: string;
  /** Recorded before the create and put on the object: proof until the uid is known. */
  nonce?: string;
}

/** `kubernetes:namespace`, `kubernetes:deployment`, … */
export function journalKind(kind: string): string {
  return `kubernetes:${kind.toLowerCase()}`;
}

/** `prod/namespaces/payments`, `prod/payments/ingresses/web`: the API's resource paths. */
export function journalIdentity(facts: KubernetesObjectFacts): string {
  const kind = facts.kind.toLowerCase();
  const plural = kind.endsWith('s') ? `${kind}es` : `${kind}s`;
  return facts.namespace
    ? `${facts.cluster}/${facts.namespace}/${plural}/${facts.name}`
    : `${facts.cluster}/${plural}/${facts.name}`;
}

/** How the journal names an object: its kind and identity. */
export function journalRefOf(facts: KubernetesObjectFacts): {
  kind: string;
  identity: string;
} {
  return { kind: journalKind(facts.kind), identity: journalIdentity(facts) };
}

/** The journal facts of an object about to be written to `cluster`. */
export function factsOf(
  cluster: string,
  object: ObjectRef,
): KubernetesObjectFacts {
  return {
    cluster,
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace
      ? { namespace: object.metadata.namespace }
      : {}),
  };
}

export function refOf(facts: KubernetesObjectFacts): ObjectRef {
  return {
    apiVersion: facts.apiVersion,
    kind: facts.kind,
    metadata: {
      name: facts.name,
      ...(facts.namespace ? { namespace: facts.namespace } : {}),
    },
  };
}

export function describeObject(facts: KubernetesObjectFacts): string {
  const where = facts.namespace ? ` in namespace ${facts.namespace}` : '';
  return `${facts.kind} ${facts.name}${where} on cluster ${facts.cluster}`;
}

/**
 * The checkpoint key of a journaled write of `object`: `key`, followed by
 * the attempt of the step's journal entry for it, so that a retry after a
 * rollback writes again while a replay of the same attempt does not.
 */
export function checkpointKeyForObject(options: {
  journal: RollbackJournal;
  taskId: string;
  stepId: string;
  cluster: string;
  object: ObjectRef;
  key: string;
}): Promise<string> {
  const { journal, taskId, stepId, cluster, object } = options;
  return checkpointKeyForIntent(
    journal,
    { taskId, stepId, ...journalRefOf(factsOf(cluster, object)) },
    options.key,
  );
}

/**
 * Whether the task's journal proves it created `object` (by the recorded
 * uid, or the nonce of an outcome it never saw): such an object is the
 * run's own, not something that existed before it.
 */
export async function isCreatedByTask(options: {
  journal: RollbackJournal;
  taskId: string;
  facts: KubernetesObjectFacts;
  object: KubernetesObject;
}): Promise<boolean> {
  const { kind, identity } = journalRefOf(options.facts);
  const entries = await options.journal.listByTask(options.taskId);
  return entries.some(
    entry =>
      entry.kind === kind &&
      entry.identity === identity &&
      ['pending', 'created', 'kept'].includes(entry.state) &&
      isCreatedByEntry(options.object, entry.data as KubernetesObjectFacts),
  );
}

/** An object `journaledCreate` can stamp with the journal's nonce. */
export type CreatableObject = KubernetesObject &
  ObjectRef & {
    metadata: { annotations?: Record<string, string> };
  };

export type JournaledCreateResult = {
  uid: string;
  /** False when an object that this run did not create was found instead. */
  created: boolean;
};

const DEFAULT_RETRY_DELAYS_MS = [500, 2000];

/** The object carrying the journal entry's nonce, the proof it came from this create. */
function withNonce<T extends KubernetesObject & ObjectRef>(
  object: T,
  nonce: string,
): T {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      annotations: {
        ...object.metadata.annotations,
        [ANNOTATION_RUN_NONCE]: nonce,
      },
    },
  };
}

/**
 * Creates an object that should not exist yet, journaled so rollback can
 * remove it. The intent, with a fresh nonce, is recorded before the call and
 * the object carries that nonce; after an unknown outcome (5xx, lost
 * connection) the object is read before anything is retried, and only one
 * with the journaled uid or nonce counts as created by us. An object someone
 * else created is handed to `onForeign`, which either throws or accepts
 * leaving it alone; it is never journaled.
 */
export async function journaledCreate(options: {
  journal: RollbackJournal;
  client: KubernetesClient;
  taskId: string;
  stepId: string;
  object: CreatableObject;
  /** Sends the object as given, which carries the journal's nonce. */
  write: (object: KubernetesObject) => Promise<KubernetesObject>;
  onForeign: (existing: KubernetesObject) => Promise<void> | void;
  keep: boolean;
  retryDelaysMs?: number[];
}): Promise<JournaledCreateResult> {
  const { journal, client, taskId } = options;
  const facts = factsOf(client.cluster, options.object);
  const doing = `create ${describeObject(facts)}`;
  const entry = await journal.recordIntent({
    taskId,
    stepId: options.stepId,
    ...journalRefOf(facts),
    data: { ...facts, nonce: createOwnershipNonce() },
  });
  // A replayed step finds its earlier entry, and must stamp that entry's nonce.
  const recorded = entry.data as KubernetesObjectFacts;
  const object = withNonce(options.object, recorded.nonce ?? '');
  const settle = async (found: KubernetesObject) => {
    const uid = found.metadata?.uid ?? '';
    await journal.markCreated(entry.id, { data: { uid } });
    if (options.keep) {
      await journal.markKept(entry.id);
    }
    return { uid, created: true };
  };

  const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  for (let attempt = 0; ; attempt++) {
    let writeError: unknown;
    try {
      return await settle(await options.write(object));
    } catch (e) {
      writeError = e;
    }
    const failure = describeKubernetesFailure(writeError);
    if (failure.status !== 409 && !failure.unknownOutcome) {
      await journal.discard(entry.id);
      throw toPlatformError(writeError, doing);
    }
    // Look before acting: the write may have happened although we got no
    // answer, or the name may belong to someone else.
    let existing: KubernetesObject | undefined;
    try {
      existing = await client.read(object);
    } catch (readError) {
      // Neither the write nor the read told us anything: the intent stays
      // pending, and rollback looks for this run's annotation.
      throw toPlatformError(
        describeKubernetesFailure(readError).unknownOutcome
          ? writeError
          : readError,
        doing,
      );
    }
    if (existing && isCreatedByEntry(existing, recorded)) {
      return settle(existing);
    }
    if (existing) {
      await journal.discard(entry.id);
      await options.onForeign(existing);
      return { uid: existing.metadata?.uid ?? '', created: false };
    }
    if (attempt >= delays.length) {
      await journal.discard(entry.id);
      throw toPlatformError(writeError, doing);
    }
    await new Promise(resolve => setTimeout(resolve, delays[attempt]));
  }
}
