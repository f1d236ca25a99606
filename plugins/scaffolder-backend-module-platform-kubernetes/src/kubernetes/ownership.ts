import { InputError } from '@backstage/errors';
import { KubernetesObject } from '@kubernetes/client-node';

/** @public */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
/** @public */
export const MANAGED_BY_PLATFORM = 'backstage-platform';
/** @public */
export const LABEL_OWNER = 'platform.internal/owner';
/** @public */
export const LABEL_SERVICE = 'platform.internal/service';
/** The stock Kubernetes tab finds a component's objects by this label. */
export const LABEL_KUBERNETES_ID = 'backstage.io/kubernetes-id';
/**
 * The task that created the object: for people to read, never proof of anything.
 *
 * @public
 */
export const ANNOTATION_CREATED_BY_TASK = 'platform.internal/created-by-task';
/**
 * The nonce the creating run journaled before the create: proof, after an
 * unclear outcome, that the object came from that create.
 */
export const ANNOTATION_RUN_NONCE = 'platform.internal/run-nonce';
export const ANNOTATION_CREATED_BY = 'platform.internal/created-by';
/** @public */
export const ANNOTATION_OWNER_REF = 'platform.internal/owner-ref';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * Namespace and Service names: a DNS-1123 label, as the API server wants.
 *
 * @public
 */
export function assertDns1123Label(value: string, what: string): void {
  if (value.length > 63 || !DNS1123_LABEL.test(value)) {
    throw new InputError(
      `${what} "${value}" is not a valid DNS-1123 label: use at most 63 lower case letters, digits and '-', starting and ending with a letter or digit`,
    );
  }
}

/**
 * The team part of an owner entity ref (`group:default/payments-team` gives
 * `payments-team`), checked as a label value.
 *
 * @public
 */
export function ownerLabelValue(owner: string): string {
  const name = owner.replace(/^[^:]*:/, '').replace(/^[^/]*\//, '');
  if (!name || name.length > 63 || !LABEL_VALUE.test(name)) {
    throw new InputError(
      `Owner "${owner}" does not name a team usable as a Kubernetes label value`,
    );
  }
  return name;
}

export interface RunIdentity {
  taskId: string;
  /** The user who started the run, an entity ref. */
  createdBy?: string;
}

/** Labels and annotations on everything the platform creates. */
export function platformMetadata(options: {
  service: string;
  owner: string;
  run: RunIdentity;
}): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  return {
    labels: {
      [LABEL_MANAGED_BY]: MANAGED_BY_PLATFORM,
      [LABEL_OWNER]: ownerLabelValue(options.owner),
      [LABEL_SERVICE]: options.service,
      [LABEL_KUBERNETES_ID]: options.service,
    },
    annotations: {
      [ANNOTATION_OWNER_REF]: options.owner,
      [ANNOTATION_CREATED_BY_TASK]: options.run.taskId,
      ...(options.run.createdBy
        ? { [ANNOTATION_CREATED_BY]: options.run.createdBy }
        : {}),
    },
  };
}

/** @public */
export function isManagedByPlatform(object: KubernetesObject): boolean {
  return object.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_PLATFORM;
}

/** What a journal entry holds that can prove an object is the one it created. */
export interface OwnershipProof {
  /** The uid the API server gave the object, once the run saw it created. */
  uid?: string;
  /** The nonce the run put on the object, for an outcome it never saw. */
  nonce?: string;
}

/**
 * Whether `object` is the one the journal entry's create made: the recorded
 * uid when there is one, else the recorded nonce. A task id, a name or a
 * label proves nothing, since anyone who can write the object can set them.
 */
export function isCreatedByEntry(
  object: KubernetesObject,
  proof: OwnershipProof,
): boolean {
  if (proof.uid) {
    return object.metadata?.uid === proof.uid;
  }
  return (
    Boolean(proof.nonce) &&
    object.metadata?.annotations?.[ANNOTATION_RUN_NONCE] === proof.nonce
  );
}

/**
 * The creation annotations an existing object carries. A server-side apply
 * as the platform's field manager removes any field the platform set before
 * and now omits, so an update must send these again unchanged: the nonce is
 * the creating run's proof, and an update by another run must not move it.
 */
export function creationAnnotationsOf(
  object: KubernetesObject | undefined,
): Record<string, string> {
  const annotations = object?.metadata?.annotations ?? {};
  const kept: Record<string, string> = {};
  for (const key of [ANNOTATION_CREATED_BY_TASK, ANNOTATION_RUN_NONCE]) {
    if (annotations[key] !== undefined) {
      kept[key] = annotations[key];
    }
  }
  return kept;
}
