import { JsonObject } from '@backstage/types';
import { KubernetesObject } from '@kubernetes/client-node';
import { RollbackJournal } from '../rollback/types';
import { KubernetesClient, ObjectRef } from './client';
import { describeKubernetesFailure, toPlatformError } from './errors';
import { isCreatedByTask } from './ownership';

/** What the journal keeps about a Kubernetes object; never a token. */
export interface KubernetesObjectFacts extends JsonObject {
  cluster: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** Set once the action saw the object created: the proof of ownership. */
  uid?: string;
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

export type JournaledCreateResult = {
  uid: string;
  /** False when an object that this run did not create was found instead. */
  created: boolean;
};

const DEFAULT_RETRY_DELAYS_MS = [500, 2000];

/**
 * Creates an object that should not exist yet, journaled so rollback can
 * remove it. The intent is recorded before the call; after an unknown
 * outcome (5xx, lost connection) the object is read before anything is
 * retried, and one carrying this run's annotation counts as created by us.
 * An object someone else created is handed to `onForeign`, which either
 * throws or accepts leaving it alone; it is never journaled.
 */
export async function journaledCreate(options: {
  journal: RollbackJournal;
  client: KubernetesClient;
  taskId: string;
  stepId: string;
  object: KubernetesObject & ObjectRef;
  write: () => Promise<KubernetesObject>;
  onForeign: (existing: KubernetesObject) => void;
  keep: boolean;
  retryDelaysMs?: number[];
}): Promise<JournaledCreateResult> {
  const { journal, client, taskId, object } = options;
  const facts: KubernetesObjectFacts = {
    cluster: client.cluster,
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace
      ? { namespace: object.metadata.namespace }
      : {}),
  };
  const doing = `create ${describeObject(facts)}`;
  const entry = await journal.recordIntent({
    taskId,
    stepId: options.stepId,
    kind: journalKind(facts.kind),
    identity: journalIdentity(facts),
    data: facts,
  });
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
      return await settle(await options.write());
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
    if (existing && isCreatedByTask(existing, taskId)) {
      return settle(existing);
    }
    if (existing) {
      await journal.discard(entry.id);
      options.onForeign(existing);
      return { uid: existing.metadata?.uid ?? '', created: false };
    }
    if (attempt >= delays.length) {
      await journal.discard(entry.id);
      throw toPlatformError(writeError, doing);
    }
    await new Promise(resolve => setTimeout(resolve, delays[attempt]));
  }
}
