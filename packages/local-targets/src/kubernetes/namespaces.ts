import { Cluster, now, Stored, typeByResource } from './cluster';
import { KubeObject } from './resources';

/** What the API server adds to a new Namespace. */
export function initializeNamespace(namespace: KubeObject): void {
  namespace.metadata.labels = {
    ...namespace.metadata.labels,
    'kubernetes.io/metadata.name': namespace.metadata.name,
  };
  namespace.spec = { finalizers: ['kubernetes'] };
  namespace.status = { phase: 'Active' };
}

export function isTerminating(namespace: KubeObject): boolean {
  return (namespace.status as { phase?: string })?.phase === 'Terminating';
}

/**
 * Deletes a namespace the way a cluster does: Terminating at once, gone
 * with everything in it once the configured delay has passed.
 */
export function deleteNamespace(cluster: Cluster, stored: Stored): void {
  const object = stored.object;
  if (isTerminating(object)) {
    return;
  }
  object.metadata.deletionTimestamp = now();
  object.status = { phase: 'Terminating' };
  const type = typeByResource('namespaces');
  cluster.persist(type, stored);
  const { uid, name } = object.metadata;
  cluster.later(cluster.settings.namespaceDeletionDelayMs, () => {
    if (cluster.get(type, undefined, name)?.object.metadata.uid !== uid) {
      return;
    }
    cluster.removeAllIn(name);
    cluster.remove(type, undefined, name);
  });
}
