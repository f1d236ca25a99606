import { InputError } from '@backstage/errors';
import { KubernetesObject } from '@kubernetes/client-node';

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_PLATFORM = 'backstage-platform';
export const LABEL_OWNER = 'platform.internal/owner';
export const LABEL_SERVICE = 'platform.internal/service';
/** The stock Kubernetes tab finds a component's objects by this label. */
export const LABEL_KUBERNETES_ID = 'backstage.io/kubernetes-id';
/** Proof of ownership for rollback: the task that created the object. */
export const ANNOTATION_CREATED_BY_TASK = 'platform.internal/created-by-task';
export const ANNOTATION_CREATED_BY = 'platform.internal/created-by';
export const ANNOTATION_OWNER_REF = 'platform.internal/owner-ref';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Namespace and Service names: a DNS-1123 label, as the API server wants. */
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

export function isManagedByPlatform(object: KubernetesObject): boolean {
  return object.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_PLATFORM;
}

export function isCreatedByTask(
  object: KubernetesObject,
  taskId: string,
): boolean {
  return object.metadata?.annotations?.[ANNOTATION_CREATED_BY_TASK] === taskId;
}
