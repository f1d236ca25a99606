import { KubernetesObject } from '@kubernetes/client-node';
import { PlatformKubernetesSettings } from './config';
import { podSecurityLabels } from './deploymentPolicy';
import {
  ANNOTATION_CREATED_BY_TASK,
  creationAnnotationsOf,
  LABEL_MANAGED_BY,
  LABEL_OWNER,
  LABEL_SERVICE,
  platformMetadata,
} from './ownership';
import { QuotaHard } from './quotaChange';

export const QUOTA_NAME = 'platform-quota';
const LIMIT_RANGE_NAME = 'platform-defaults';

/**
 * The namespace a run creates for a service, labelled for the Pod Security
 * Standard the deployment policy enforces, with its ResourceQuota and the
 * LimitRange without which pods that declare no resources are rejected once
 * a cpu or memory quota exists.
 */
export function platformNamespaceObjects(options: {
  name: string;
  metadata: ReturnType<typeof platformMetadata>;
  hard: QuotaHard;
  settings: PlatformKubernetesSettings;
}) {
  const { name, metadata, hard, settings } = options;
  const inNamespace = (objectName: string) => ({
    name: objectName,
    namespace: name,
    ...metadata,
  });
  const { defaultRequest, default: defaultLimit } = settings.limitRange;
  return {
    namespace: {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        ...metadata,
        labels: {
          ...metadata.labels,
          ...podSecurityLabels(settings.policy.podSecurity),
        },
      },
    },
    quota: {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: inNamespace(QUOTA_NAME),
      spec: { hard },
    },
    limitRange: {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: inNamespace(LIMIT_RANGE_NAME),
      spec: {
        limits: [{ type: 'Container', defaultRequest, default: defaultLimit }],
      },
    },
  };
}

/**
 * The platform's ResourceQuota of an existing namespace, labelled as the
 * namespace is. An existing quota keeps the marks of the run that created
 * it; one this run creates gets its own (and journaledCreate adds the
 * nonce).
 */
export function platformQuota(options: {
  name: string;
  namespace: KubernetesObject;
  existing: KubernetesObject | undefined;
  taskId: string;
  hard: QuotaHard;
}) {
  const { namespace, existing } = options;
  const labels = namespace.metadata?.labels ?? {};
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: {
      name: QUOTA_NAME,
      namespace: options.name,
      labels: {
        [LABEL_MANAGED_BY]: labels[LABEL_MANAGED_BY],
        ...(labels[LABEL_OWNER] ? { [LABEL_OWNER]: labels[LABEL_OWNER] } : {}),
        ...(labels[LABEL_SERVICE]
          ? { [LABEL_SERVICE]: labels[LABEL_SERVICE] }
          : {}),
      },
      annotations: existing
        ? creationAnnotationsOf(existing)
        : { [ANNOTATION_CREATED_BY_TASK]: options.taskId },
    },
    spec: { hard: options.hard },
  };
}
