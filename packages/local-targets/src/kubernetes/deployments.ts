import { createHash } from 'node:crypto';
import {
  Cluster,
  KubernetesApiServerSettings,
  now,
  Stored,
  typeByResource,
} from './cluster';
import { podQuotaFailure, PodTemplateOwner } from './quotas';
import { KubeObject, ResourceType } from './resources';

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

interface DeploymentStatus {
  observedGeneration: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions: Condition[];
}

/** The parts of a Deployment the miniature controller reads. */
export type DeploymentObject = KubeObject &
  PodTemplateOwner & {
    spec: {
      selector?: { matchLabels?: Record<string, string> };
      template: { metadata?: { labels?: Record<string, string> } };
    };
    status?: DeploymentStatus;
  };

/** What `rand.SafeEncodeString` draws from: no vowels, so no words in generated names. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function safeEncode(text: string): string {
  return [...text]
    .map(c => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length])
    .join('');
}

/** 32-bit FNV-1a, the hash the Deployment controller takes of a pod template. */
function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash;
}

const sha1 = (seed: string) => createHash('sha1').update(seed).digest('hex');

/**
 * A UID for an object the cluster derives rather than stores, the same on
 * every read, so that owner references between reads line up.
 */
function derivedUid(seed: string): string {
  const h = sha1(seed);
  const variant = (8 + (parseInt(h[16], 16) % 4)).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(
    13,
    16,
  )}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The `pod-template-hash` label, as the Deployment controller encodes it. */
function podTemplateHash(deployment: DeploymentObject): string {
  return safeEncode(String(fnv32a(JSON.stringify(deployment.spec.template))));
}

function controllerReference(owner: KubeObject) {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The name of the ReplicaSet's `index`th pod: five safe characters, stable per pod. */
function podName(replicaSet: KubeObject, index: number): string {
  const suffix = safeEncode(sha1(`${replicaSet.metadata.uid}/${index}`));
  return `${replicaSet.metadata.name}-${suffix.slice(0, 5)}`;
}

/** The image of a Deployment's containers that the cluster cannot pull. */
function missingImageOf(
  settings: KubernetesApiServerSettings,
  deployment: DeploymentObject,
): string | undefined {
  return deployment.spec.template.spec.containers
    .map(c => c.image ?? '')
    .find(image => settings.missingImages.includes(image));
}

/**
 * The ReplicaSet the Deployment controller keeps for the current template:
 * owned by the Deployment, counting what the Deployment's status counts.
 * Earlier templates' ReplicaSets, scaled to zero on a real cluster, are not
 * kept.
 */
function replicaSetOf(deployment: DeploymentObject): KubeObject {
  const hash = podTemplateHash(deployment);
  const { template, selector } = deployment.spec;
  const labels = { ...template.metadata?.labels, 'pod-template-hash': hash };
  const status = deployment.status;
  const failure = status?.conditions.find(c => c.type === 'ReplicaFailure');
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${deployment.metadata.name}-${hash}`,
      namespace: deployment.metadata.namespace,
      uid: derivedUid(`${deployment.metadata.uid}/${hash}`),
      resourceVersion: deployment.metadata.resourceVersion,
      creationTimestamp: deployment.metadata.creationTimestamp,
      labels,
      ownerReferences: [controllerReference(deployment)],
    },
    spec: {
      replicas: deployment.spec.replicas ?? 1,
      selector: {
        ...selector,
        matchLabels: { ...selector?.matchLabels, 'pod-template-hash': hash },
      },
      template: { ...template, metadata: { ...template.metadata, labels } },
    },
    // Zero counts left out, as the API omits them.
    status: {
      replicas: status?.replicas ?? 0,
      ...(status?.replicas ? { fullyLabeledReplicas: status.replicas } : {}),
      ...(status?.readyReplicas ? { readyReplicas: status.readyReplicas } : {}),
      ...(status?.availableReplicas
        ? { availableReplicas: status.availableReplicas }
        : {}),
      observedGeneration: 1,
      ...(failure
        ? {
            conditions: [
              {
                type: failure.type,
                status: failure.status,
                reason: failure.reason,
                message: failure.message,
                lastTransitionTime: failure.lastTransitionTime,
              },
            ],
          }
        : {}),
    },
  };
}

/**
 * The pods of a Deployment's ReplicaSet: as many as the Deployment's status
 * counts, the ready ones Running, the others Pending while their container
 * is created, or for good when its image cannot be pulled.
 */
function podsOf(
  settings: KubernetesApiServerSettings,
  deployment: DeploymentObject,
  replicaSet: KubeObject,
): KubeObject[] {
  const { template } = replicaSet.spec as {
    template: DeploymentObject['spec']['template'];
  };
  const missingImage = missingImageOf(settings, deployment);
  const ready = deployment.status?.readyReplicas ?? 0;
  const started = deployment.metadata.creationTimestamp;
  return Array.from(
    { length: deployment.status?.replicas ?? 0 },
    (_, index) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName(replicaSet, index),
        namespace: deployment.metadata.namespace,
        uid: derivedUid(`${replicaSet.metadata.uid}/${index}`),
        resourceVersion: deployment.metadata.resourceVersion,
        labels: template.metadata?.labels ?? {},
        creationTimestamp: started,
        ownerReferences: [controllerReference(replicaSet)],
      },
      spec: template.spec,
      status:
        index < ready
          ? {
              phase: 'Running',
              conditions: [{ type: 'Ready', status: 'True' }],
              containerStatuses: template.spec.containers.map(c => ({
                name: c.name,
                image: c.image ?? '',
                imageID: '',
                ready: true,
                started: true,
                restartCount: 0,
                state: { running: { startedAt: started } },
              })),
            }
          : {
              phase: 'Pending',
              conditions: [{ type: 'Ready', status: 'False' }],
              containerStatuses: template.spec.containers.map(c => ({
                name: c.name,
                image: c.image ?? '',
                imageID: '',
                ready: false,
                started: false,
                restartCount: 0,
                state: {
                  waiting: missingImage
                    ? {
                        reason: 'ErrImagePull',
                        message: `rpc error: code = NotFound desc = failed to pull and unpack image "${missingImage}": not found`,
                      }
                    : { reason: 'ContainerCreating' },
                },
              })),
            },
    }),
  );
}

/** The resources whose objects the Deployments' controller derives on every read. */
export const DERIVED_RESOURCES = ['replicasets', 'pods'];

/**
 * The ReplicaSets or Pods the Deployments of a namespace (or of every
 * namespace) control; no other type has controlled objects here.
 */
export function controlledObjects(
  cluster: Cluster,
  type: ResourceType,
  namespace?: string,
): Stored[] {
  if (!DERIVED_RESOURCES.includes(type.resource)) {
    return [];
  }
  return cluster
    .storedIn(typeByResource('deployments'), namespace)
    .flatMap(stored => {
      const deployment = stored.object as DeploymentObject;
      const replicaSet = replicaSetOf(deployment);
      return type.resource === 'replicasets'
        ? [replicaSet]
        : podsOf(cluster.settings, deployment, replicaSet);
    })
    .map(object => ({ object, managers: new Map() }));
}

/**
 * The Deployment controller in miniature: pods that the namespace's quota
 * would reject keep the Deployment unavailable with a ReplicaFailure
 * condition, otherwise it becomes Available after the configured delay.
 */
export function rollOut(cluster: Cluster, stored: Stored): void {
  const deployment = stored.object as DeploymentObject;
  const namespace = deployment.metadata.namespace!;
  const replicas = deployment.spec.replicas ?? 1;
  const generation = Number(deployment.metadata.generation ?? 1);
  const replicaSet = replicaSetOf(deployment);
  const reason = podQuotaFailure({
    cluster,
    namespace,
    owner: deployment,
    podName: podName(replicaSet, 0),
  });
  deployment.status = {
    observedGeneration: generation,
    replicas: reason ? 0 : replicas,
    updatedReplicas: reason ? 0 : replicas,
    unavailableReplicas: replicas,
    conditions: [
      {
        type: 'Available',
        status: 'False',
        reason: 'MinimumReplicasUnavailable',
        message: 'Deployment does not have minimum availability.',
        lastUpdateTime: now(),
        lastTransitionTime: now(),
      },
      reason
        ? {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message: reason,
            lastUpdateTime: now(),
            lastTransitionTime: now(),
          }
        : {
            type: 'Progressing',
            status: 'True',
            reason: 'ReplicaSetUpdated',
            message: `ReplicaSet "${replicaSet.metadata.name}" is progressing.`,
            lastUpdateTime: now(),
            lastTransitionTime: now(),
          },
    ],
  };
  if (reason || missingImageOf(cluster.settings, deployment)) {
    return;
  }
  const uid = deployment.metadata.uid;
  cluster.later(cluster.settings.deploymentAvailableAfterMs, () => {
    const current = cluster.get(
      typeByResource('deployments'),
      namespace,
      deployment.metadata.name,
    );
    if (
      !current ||
      current.object.metadata.uid !== uid ||
      Number(current.object.metadata.generation) !== generation
    ) {
      return;
    }
    current.object.status = {
      observedGeneration: generation,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
          lastUpdateTime: now(),
          lastTransitionTime: now(),
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${replicaSet.metadata.name}" has successfully progressed.`,
          lastUpdateTime: now(),
          lastTransitionTime: now(),
        },
      ],
    } satisfies DeploymentStatus;
    cluster.persist(typeByResource('deployments'), current);
  });
}
