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

/** A change to a stored object, as the watch API reports it. */
export interface Change {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resourceType: ResourceType;
  /** The object as it is after the change, or as it was when deleted. */
  stored: Stored;
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
  private readonly listeners = new Set<(change: Change) => void>();

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

  /** Stores a new or changed object under the next resource version. */
  persist(type: ResourceType, stored: Stored): void {
    const { namespace, name } = stored.object.metadata;
    const key = Cluster.key(type, namespace, name);
    const existed = this.objects.has(key);
    this.touch(stored.object);
    this.objects.set(key, stored);
    this.notify({
      type: existed ? 'MODIFIED' : 'ADDED',
      resourceType: type,
      stored,
    });
  }

  remove(type: ResourceType, namespace: string | undefined, name: string) {
    const key = Cluster.key(type, namespace, name);
    const stored = this.objects.get(key);
    if (stored) {
      this.forget(key, type, stored);
    }
  }

  /** Removes everything inside a namespace, as its finalizer does. */
  removeAllIn(namespace: string) {
    for (const [key, stored] of this.objects) {
      if (stored.object.metadata.namespace === namespace) {
        const type = RESOURCE_TYPES.find(t => t.kind === stored.object.kind)!;
        this.forget(key, type, stored);
      }
    }
  }

  /** Calls `listener` with every change from now on; returns its removal. */
  onChange(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A deletion is a change of its own, with its own resource version. */
  private forget(key: string, type: ResourceType, stored: Stored) {
    this.objects.delete(key);
    this.touch(stored.object);
    this.notify({ type: 'DELETED', resourceType: type, stored });
  }

  private touch(object: KubeObject): void {
    object.metadata.resourceVersion = String(++this.version);
  }

  private notify(change: Change) {
    for (const listener of this.listeners) {
      listener(change);
    }
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
