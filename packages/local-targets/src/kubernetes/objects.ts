import { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { Cluster, now, Stored } from './cluster';
import { controlledObjects, rollOut } from './deployments';
import { clone, renderManagedFields } from './fieldOwnership';
import { initializeNamespace } from './namespaces';
import { quotaStatus } from './quotas';
import {
  apiVersionOf,
  findResourceType,
  KubeObject,
  ResourceType,
} from './resources';
import { defaultService } from './services';
import { failure, KubeStatus } from './status';

/** What an API path names: a resource type, maybe a namespace, maybe one object. */
export interface ResourcePath {
  type: ResourceType;
  namespace?: string;
  name?: string;
}

export const RESOURCE_PATH = /^\/(api\/v1|apis\/[^/]+\/[^/]+)\/(.+)$/;

/** The resource a path names, or undefined when the server serves none there. */
export function parseResourcePath(path: string): ResourcePath | undefined {
  const match = RESOURCE_PATH.exec(path);
  if (!match) {
    return undefined;
  }
  const [group, version] =
    match[1] === 'api/v1' ? ['', 'v1'] : match[1].split('/').slice(1);
  let segments = match[2].split('/');
  let namespace: string | undefined;
  if (segments[0] === 'namespaces' && segments.length >= 3) {
    namespace = segments[1];
    segments = segments.slice(2);
  }
  const type = findResourceType(group, version, segments[0]);
  if (!type || segments.length > 2 || (namespace && !type.namespaced)) {
    return undefined;
  }
  return { type, namespace, name: segments[1] };
}

/** Whether a request could change state: not a read, not a dry run. */
export function isWrite(req: Request): boolean {
  return req.method !== 'GET' && req.query.dryRun === undefined;
}

/** Whether a request asks for the watch API: `GET …?watch=true`. */
export function isWatch(req: Request): boolean {
  return (
    req.method === 'GET' &&
    (req.query.watch === 'true' || req.query.watch === '1')
  );
}

/** The verbs of Kubernetes RBAC that this server serves. */
export const VERBS = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
] as const;

export type KubernetesVerb = (typeof VERBS)[number];

/** The RBAC verb of a request, as an authorizer names it. */
export function verbOf(
  req: Request,
  name: string | undefined,
): KubernetesVerb | undefined {
  if (isWatch(req)) {
    return 'watch';
  }
  switch (req.method) {
    case 'GET':
      return name === undefined ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return undefined;
  }
}

/** The fields every resource can be selected by, as the API server allows them. */
const SELECTABLE_FIELDS: Record<string, (object: KubeObject) => unknown> = {
  'metadata.name': object => object.metadata.name,
  'metadata.namespace': object => object.metadata.namespace,
};

/**
 * Whether an object matches a `fieldSelector` (`metadata.name=web`,
 * `metadata.namespace!=kube-system`, comma-separated); a field the server
 * cannot select by is a failure with the API server's words.
 */
export function fieldSelectorOf(
  type: ResourceType,
  selector: string | undefined,
): ((object: KubeObject) => boolean) | KubeStatus {
  const requirements: Array<{
    read: (object: KubeObject) => unknown;
    negated: boolean;
    value: string;
  }> = [];
  for (const part of (selector ?? '').split(',').map(p => p.trim())) {
    if (!part) {
      continue;
    }
    const parsed = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!parsed) {
      return failure(
        400,
        'BadRequest',
        `invalid selector: '${selector}'; can't understand '${part}'`,
      );
    }
    const [, field, operator, value] = parsed;
    const read = SELECTABLE_FIELDS[field] ?? type.selectableFields?.[field];
    if (!read) {
      return failure(
        400,
        'BadRequest',
        `Unable to find "${apiVersionOf(type)}, Resource=${
          type.resource
        }" that match label selector "", field selector "${selector}": field label not supported: ${field}`,
      );
    }
    requirements.push({ read, negated: operator === '!=', value });
  }
  return object =>
    requirements.every(
      ({ read, negated, value }) =>
        (String(read(object) ?? '') === value) !== negated,
    );
}

/** Objects of a type as the API lists them: the derived ones, then the stored. */
export function listIn(
  cluster: Cluster,
  type: ResourceType,
  namespace?: string,
): Stored[] {
  return [
    ...controlledObjects(cluster, type, namespace),
    ...cluster.storedIn(type, namespace),
  ];
}

export function render(type: ResourceType, stored: Stored): KubeObject {
  const object = clone(stored.object);
  object.metadata.managedFields = renderManagedFields(
    stored.managers,
    apiVersionOf(type),
  );
  return object;
}

/** What the server adds to a new object. */
export function initialize(
  type: ResourceType,
  object: KubeObject,
  namespace?: string,
): void {
  object.apiVersion = apiVersionOf(type);
  object.kind = type.kind;
  object.metadata.uid = randomUUID();
  object.metadata.creationTimestamp = now();
  if (type.namespaced) {
    object.metadata.namespace = namespace;
  }
  if (type.kind === 'Namespace') {
    initializeNamespace(object);
  }
}

/**
 * What the server and its controllers make of a written object, after its
 * field owners are known, so that none of them owns what the server set:
 * a Deployment's generation and rollout, a quota's status, a Service's
 * defaults.
 */
export function reconcile(
  cluster: Cluster,
  type: ResourceType,
  stored: Stored,
  previous?: Stored,
): void {
  const object = stored.object;
  if (type.kind === 'Deployment') {
    const specChanged =
      !previous ||
      JSON.stringify(previous.object.spec) !== JSON.stringify(object.spec);
    object.metadata.generation =
      Number(previous?.object.metadata.generation ?? 0) + (specChanged ? 1 : 0);
    if (specChanged) {
      rollOut(cluster, stored);
    }
  }
  if (type.kind === 'ResourceQuota') {
    object.status = quotaStatus(object);
  }
  if (type.kind === 'Service') {
    defaultService(cluster, object, previous?.object);
  }
}
