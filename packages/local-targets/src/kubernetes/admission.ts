import { Cluster, typeByResource } from './cluster';
import { isTerminating } from './namespaces';
import { countQuotaFailure } from './quotas';
import {
  KubeObject,
  ResourceType,
  validateMetadata,
  validateSchema,
} from './resources';
import { forbidden, invalid, KubeStatus, notFound } from './status';

/** The 422 Invalid the API server answers for an object, or undefined. */
export function validate(
  type: ResourceType,
  object: KubeObject,
  previous?: KubeObject,
): KubeStatus | undefined {
  const causes = [
    ...validateMetadata(type, object),
    ...validateSchema(type, object),
    ...(type.rules?.(object, previous) ?? []),
  ];
  return causes.length > 0
    ? invalid(type, object.metadata?.name ?? '', causes)
    : undefined;
}

/**
 * Admission for a new object: its namespace must be there and active, and
 * its count quotas must leave room for it.
 */
export function admit(
  cluster: Cluster,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
): KubeStatus | undefined {
  if (!namespace) {
    return undefined;
  }
  const namespaces = typeByResource('namespaces');
  const ns = cluster.get(namespaces, undefined, namespace);
  if (!ns) {
    return notFound(namespaces, namespace);
  }
  if (isTerminating(ns.object)) {
    return forbidden(
      type,
      name,
      `unable to create new content in namespace ${namespace} because it is being terminated`,
    );
  }
  const quota = countQuotaFailure(cluster, type, namespace);
  return quota ? forbidden(type, name, quota) : undefined;
}
