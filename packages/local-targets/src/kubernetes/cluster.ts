import { Managers } from './fieldOwnership';
import {
  KubeObject,
  qualifiedResource,
  RESOURCE_TYPES,
  ResourceType,
} from './resources';

/** How long something takes on the fake cluster, or `never`. */
export type Delay = number | 'never';

/** Settings a test may change while the server runs. */
export interface KubernetesApiServerSettings {
  /** Time from a namespace delete until it is gone (it is Terminating meanwhile). */
  namespaceDeletionDelayMs: Delay;
  /** Time from a Deployment write until it reports Available. */
  deploymentAvailableAfterMs: Delay;
  /** Added to every response. */
  latencyMs: number;
  /**
   * Images the cluster cannot pull, as a registry without them would: a
   * Deployment using one never becomes available, and its pods wait with
   * `ErrImagePull`.
   */
  missingImages: string[];
}

/** An object as stored, with the field managers of server-side apply. */
export interface Stored {
  object: KubeObject;
  managers: Managers;
}

/** A timestamp as the API server writes them: seconds, UTC. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export function typeByResource(resource: string): ResourceType {
  const type = RESOURCE_TYPES.find(t => t.resource === resource);
  if (!type) {
    throw new Error(`The loopback server does not serve ${resource}`);
  }
  return type;
}

/**
 * The stored objects of the loopback cluster, its resource version counter,
 * and the timers of the miniature controllers that change objects later.
 */
export class Cluster {
  private readonly objects = new Map<string, Stored>();
  private version = 1;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(readonly settings: KubernetesApiServerSettings) {}

  private static key(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ) {
    return `${qualifiedResource(type)}/${namespace ?? ''}/${name}`;
  }

  /** The resource version of the latest change, as lists report it. */
  get resourceVersion(): string {
    return String(this.version);
  }

  get(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Stored | undefined {
    return this.objects.get(Cluster.key(type, namespace, name));
  }

  /** Stored objects of a type, in one namespace or in all. */
  storedIn(type: ResourceType, namespace?: string): Stored[] {
    return [...this.objects.values()].filter(
      s =>
        s.object.kind === type.kind &&
        (namespace === undefined || s.object.metadata.namespace === namespace),
    );
  }

  persist(type: ResourceType, stored: Stored): void {
    this.touch(stored.object);
    const { namespace, name } = stored.object.metadata;
    this.objects.set(Cluster.key(type, namespace, name), stored);
  }

  remove(type: ResourceType, namespace: string | undefined, name: string) {
    this.objects.delete(Cluster.key(type, namespace, name));
  }

  /** Removes everything inside a namespace, as its finalizer does. */
  removeAllIn(namespace: string) {
    for (const [key, stored] of this.objects) {
      if (stored.object.metadata.namespace === namespace) {
        this.objects.delete(key);
      }
    }
  }

  /** Gives a changed object the next resource version. */
  touch(object: KubeObject): void {
    object.metadata.resourceVersion = String(++this.version);
  }

  /** Runs `fn` after `delay`, unless the server closes first. */
  later(delay: Delay, fn: () => void): void {
    if (delay === 'never') {
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, delay);
    this.timers.add(timer);
  }

  stop(): void {
    for (const timer of this.timers) {
      clearTimeout(timer);
    }
    this.timers.clear();
  }
}
