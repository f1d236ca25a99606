import { Cluster, typeByResource } from './cluster';
import { KubeObject, qualifiedResource, ResourceType } from './resources';

type Hard = Record<string, string>;

const CPU_AND_MEMORY_KEYS = [
  'cpu',
  'memory',
  'requests.cpu',
  'requests.memory',
  'limits.cpu',
  'limits.memory',
];

/** The parts of a pod-making workload that quota admission and controllers read. */
export interface PodTemplateOwner {
  metadata: { name: string };
  spec: {
    replicas?: number;
    template: {
      spec: {
        containers: Array<{
          name: string;
          image?: string;
          resources?: { requests?: object; limits?: object };
        }>;
      };
    };
  };
}

const specHard = (quota: KubeObject): Hard | undefined =>
  (quota.spec as { hard?: Hard } | undefined)?.hard;

const hardOf = (quota: KubeObject): Hard => specHard(quota) ?? {};

/** What a new ResourceQuota, or one whose limits changed, reports. */
export function quotaStatus(quota: KubeObject) {
  return { hard: specHard(quota), used: {} };
}

/**
 * Why quota admission would refuse the pods of a Deployment, worded as the
 * API server words it, or undefined when it would admit them.
 */
export function podQuotaFailure(options: {
  cluster: Cluster;
  namespace: string;
  owner: PodTemplateOwner;
  /** The name the refused pod would have had. */
  podName: string;
}): string | undefined {
  const { cluster, namespace, owner, podName } = options;
  const hasLimitRangeDefaults = cluster
    .storedIn(typeByResource('limitranges'), namespace)
    .some(s =>
      (
        (
          s.object.spec as {
            limits?: Array<{
              type?: string;
              default?: object;
              defaultRequest?: object;
            }>;
          }
        )?.limits ?? []
      ).some(l => l.type === 'Container' && l.default && l.defaultRequest),
    );
  for (const quota of cluster.storedIn(
    typeByResource('resourcequotas'),
    namespace,
  )) {
    const hard = hardOf(quota.object);
    const constrained = CPU_AND_MEMORY_KEYS.filter(k => k in hard);
    if (constrained.length > 0 && !hasLimitRangeDefaults) {
      const missing = owner.spec.template.spec.containers.filter(
        c => !c.resources?.requests || !c.resources?.limits,
      );
      if (missing.length > 0) {
        return `pods "${podName}" is forbidden: failed quota: ${
          quota.object.metadata.name
        }: must specify ${constrained.join(',')} for: ${missing
          .map(c => c.name)
          .join(',')}`;
      }
    }
    if (hard.pods !== undefined) {
      const pods = cluster
        .storedIn(typeByResource('deployments'), namespace)
        .filter(s => s.object.metadata.name !== owner.metadata.name)
        .reduce(
          (sum, s) =>
            sum +
            Number((s.object.spec as { replicas?: number }).replicas ?? 1),
          0,
        );
      const requested = owner.spec.replicas ?? 1;
      if (pods + requested > Number(hard.pods)) {
        return `pods "${podName}" is forbidden: exceeded quota: ${quota.object.metadata.name}, requested: pods=${requested}, used: pods=${pods}, limited: pods=${hard.pods}`;
      }
    }
  }
  return undefined;
}

/** Count quotas (`services`, `count/deployments.apps`) refuse one more object as admission does. */
export function countQuotaFailure(
  cluster: Cluster,
  type: ResourceType,
  namespace: string,
): string | undefined {
  const keys = [`count/${qualifiedResource(type)}`];
  if (type.resource === 'services') {
    keys.push('services');
  }
  for (const quota of cluster.storedIn(
    typeByResource('resourcequotas'),
    namespace,
  )) {
    const hard = hardOf(quota.object);
    for (const key of keys) {
      if (hard[key] !== undefined) {
        const used = cluster.storedIn(type, namespace).length;
        if (used + 1 > Number(hard[key])) {
          return `exceeded quota: ${quota.object.metadata.name}, requested: ${key}=1, used: ${key}=${used}, limited: ${key}=${hard[key]}`;
        }
      }
    }
  }
  return undefined;
}
