import { Cluster, typeByResource } from './cluster';
import { KubeObject } from './resources';

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
}

/** 10.96.0.0/12, kubeadm's default service range. */
const SERVICE_RANGE_START = (10 << 24) + (96 << 16);
const SERVICE_RANGE_SIZE = 1 << 20;

function ipOf(n: number): string {
  return [24, 16, 8, 0].map(shift => (n >>> shift) & 255).join('.');
}

/**
 * The next free address of the service range. The first is left out: a
 * real cluster gives it to the `kubernetes` Service in `default`.
 */
function allocateClusterIP(cluster: Cluster): string {
  const used = new Set(
    cluster
      .storedIn(typeByResource('services'))
      .flatMap(
        s => (s.object.spec as ServiceSpec | undefined)?.clusterIPs ?? [],
      ),
  );
  for (let offset = 2; offset < SERVICE_RANGE_SIZE - 1; offset++) {
    const ip = ipOf(SERVICE_RANGE_START + offset);
    if (!used.has(ip)) {
      return ip;
    }
  }
  throw new Error('The loopback cluster has no service address left');
}

/**
 * What the API server gives a Service it stores: `type: ClusterIP` when
 * none is given, and a cluster IP for every type but ExternalName, kept
 * across updates that leave it out, as the Kubernetes tab and clients
 * expect to read them back.
 */
export function defaultService(
  cluster: Cluster,
  service: KubeObject,
  previous: KubeObject | undefined,
): void {
  const spec = ((service.spec as ServiceSpec | undefined) ?? {}) as ServiceSpec;
  service.spec = spec;
  spec.type ??= 'ClusterIP';
  if (spec.type === 'ExternalName') {
    return;
  }
  const kept = (previous?.spec as ServiceSpec | undefined)?.clusterIP;
  spec.clusterIP ??= kept ?? allocateClusterIP(cluster);
  spec.clusterIPs ??= [spec.clusterIP];
}
