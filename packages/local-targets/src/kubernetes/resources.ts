import {
  ConfigMap,
  LimitRange,
  Namespace,
  Pod,
  ResourceQuota,
  Secret,
  Service,
} from 'kubernetes-models/v1';
import {
  DaemonSet,
  Deployment,
  ReplicaSet,
  StatefulSet,
} from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { prepareSecret, secretRules } from './secrets';

/** A stored object, as the API server returns it. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

interface Validatable {
  validate(): void;
}

/** One resource type the loopback server serves. */
export interface ResourceType {
  /** Empty for the core group. */
  group: string;
  version: string;
  kind: string;
  /** The plural used in URLs, `namespaces`. */
  resource: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  /** Namespaces and Services need a DNS-1123 label, the rest a subdomain. */
  nameRule: 'label' | 'subdomain';
  Model: new (data: any) => Validatable;
  /**
   * Served for reading only, so that the stock Kubernetes plugin's entity
   * tab, which lists these, works against this server. Pods are derived
   * from the available Deployments; the others are empty unless seeded.
   */
  readOnly?: boolean;
  /**
   * What the API server makes of a written object before validating it
   * (decoding, defaults); returns why the body cannot be decoded (400).
   */
  prepare?(object: KubeObject): string | undefined;
  /** The type's own validation beyond the schema, with the stored object on an update. */
  rules?(object: KubeObject, previous: KubeObject | undefined): FieldCause[];
  /** Fields a `fieldSelector` may name beyond `metadata.name` and `metadata.namespace`. */
  selectableFields?: Record<string, (object: KubeObject) => unknown>;
}

const readOnly = (
  group: string,
  version: string,
  kind: string,
  resource: string,
  Model: ResourceType['Model'],
): ResourceType => ({
  group,
  version,
  kind,
  resource,
  singular: kind.toLowerCase(),
  shortNames: [],
  namespaced: true,
  nameRule: 'subdomain',
  Model,
  readOnly: true,
});

export const RESOURCE_TYPES: ResourceType[] = [
  {
    group: '',
    version: 'v1',
    kind: 'Namespace',
    resource: 'namespaces',
    singular: 'namespace',
    shortNames: ['ns'],
    namespaced: false,
    nameRule: 'label',
    Model: Namespace,
  },
  {
    group: '',
    version: 'v1',
    kind: 'ResourceQuota',
    resource: 'resourcequotas',
    singular: 'resourcequota',
    shortNames: ['quota'],
    namespaced: true,
    nameRule: 'subdomain',
    Model: ResourceQuota,
  },
  {
    group: '',
    version: 'v1',
    kind: 'LimitRange',
    resource: 'limitranges',
    singular: 'limitrange',
    shortNames: ['limits'],
    namespaced: true,
    nameRule: 'subdomain',
    Model: LimitRange,
  },
  {
    group: '',
    version: 'v1',
    kind: 'Service',
    resource: 'services',
    singular: 'service',
    shortNames: ['svc'],
    namespaced: true,
    nameRule: 'label',
    Model: Service,
  },
  {
    group: '',
    version: 'v1',
    kind: 'Secret',
    resource: 'secrets',
    singular: 'secret',
    shortNames: [],
    namespaced: true,
    nameRule: 'subdomain',
    Model: Secret,
    prepare: prepareSecret,
    rules: secretRules,
    selectableFields: { type: object => object.type },
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    resource: 'deployments',
    singular: 'deployment',
    shortNames: ['deploy'],
    namespaced: true,
    nameRule: 'subdomain',
    Model: Deployment,
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'Ingress',
    resource: 'ingresses',
    singular: 'ingress',
    shortNames: ['ing'],
    namespaced: true,
    nameRule: 'subdomain',
    Model: Ingress,
  },
  readOnly('', 'v1', 'Pod', 'pods', Pod),
  readOnly('', 'v1', 'ConfigMap', 'configmaps', ConfigMap),
  readOnly('apps', 'v1', 'ReplicaSet', 'replicasets', ReplicaSet),
  readOnly('apps', 'v1', 'StatefulSet', 'statefulsets', StatefulSet),
  readOnly('apps', 'v1', 'DaemonSet', 'daemonsets', DaemonSet),
  readOnly(
    'autoscaling',
    'v2',
    'HorizontalPodAutoscaler',
    'horizontalpodautoscalers',
    HorizontalPodAutoscaler,
  ),
  readOnly('batch', 'v1', 'Job', 'jobs', Job),
  readOnly('batch', 'v1', 'CronJob', 'cronjobs', CronJob),
];

/**
 * Whether an object's labels match a label selector: `a=b`, `a==b`, `a!=b`,
 * `a`, `!a`, `a in (x,y)` and `a notin (x,y)`, joined by commas.
 */
export function matchesLabelSelector(
  labels: Record<string, string> | undefined,
  selector: string | undefined,
): boolean {
  if (!selector) {
    return true;
  }
  const requirements = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return requirements.every(raw => {
    const requirement = raw.trim();
    const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(requirement);
    if (set) {
      const values = set[3].split(',').map(v => v.trim());
      const has =
        labels?.[set[1]] !== undefined && values.includes(labels[set[1]]);
      return set[2] === 'in' ? has : !has;
    }
    const equality = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(requirement);
    if (equality) {
      const equal = labels?.[equality[1]] === equality[3];
      return equality[2] === '!=' ? !equal : equal;
    }
    if (requirement.startsWith('!')) {
      return labels?.[requirement.slice(1)] === undefined;
    }
    return labels?.[requirement] !== undefined;
  });
}

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** `deployments.apps`, as quotas and error messages name a resource. */
export function qualifiedResource(type: ResourceType): string {
  return type.group ? `${type.resource}.${type.group}` : type.resource;
}

export function findResourceType(
  group: string,
  version: string,
  resource: string,
): ResourceType | undefined {
  return RESOURCE_TYPES.find(
    t => t.group === group && t.version === version && t.resource === resource,
  );
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** A field error as the API server reports it in `details.causes`. */
export interface FieldCause {
  reason:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueForbidden'
    | 'FieldValueTooLong';
  message: string;
  field: string;
}

/**
 * The checks the real API server makes beyond the OpenAPI schema that
 * matter for us: name formats and label syntax.
 */
export function validateMetadata(
  type: ResourceType,
  object: KubeObject,
): FieldCause[] {
  const causes: FieldCause[] = [];
  const name = object.metadata?.name;
  if (!name) {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
      field: 'metadata.name',
    });
  } else if (type.nameRule === 'label') {
    if (name.length > 63 || !DNS1123_LABEL.test(name)) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
        field: 'metadata.name',
      });
    }
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      field: 'metadata.name',
    });
  }
  for (const [key, value] of Object.entries(object.metadata?.labels ?? {})) {
    const [prefix, labelName] = key.includes('/')
      ? key.split('/', 2)
      : [undefined, key];
    const badKey =
      labelName.length > 63 ||
      !LABEL_NAME.test(labelName) ||
      (prefix !== undefined &&
        (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)));
    if (badKey) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
        field: 'metadata.labels',
      });
    }
    if (
      typeof value === 'string' &&
      (value.length > 63 || !LABEL_VALUE.test(value))
    ) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        field: 'metadata.labels',
      });
    }
  }
  return causes;
}

/** The official OpenAPI schema check, through kubernetes-models. */
export function validateSchema(
  type: ResourceType,
  object: KubeObject,
): FieldCause[] {
  try {
    new type.Model(object).validate();
    return [];
  } catch (e) {
    const errors: Array<{ instancePath?: string; message?: string }> =
      (e as { errors?: Array<{ instancePath?: string; message?: string }> })
        .errors ?? [];
    if (errors.length === 0) {
      return [
        {
          reason: 'FieldValueInvalid',
          message: String((e as Error).message),
          field: '',
        },
      ];
    }
    return errors.map(err => ({
      reason: 'FieldValueInvalid' as const,
      message: `Invalid value: ${err.message ?? 'invalid'}`,
      field: (err.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.'),
    }));
  }
}
