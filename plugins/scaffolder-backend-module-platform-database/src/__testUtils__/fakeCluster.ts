import { KubernetesClient } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { KubernetesObject } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';

type Stored = KubernetesObject & {
  metadata: { name: string; namespace?: string; [key: string]: unknown };
};

/** An error shaped as the Kubernetes client throws it: HTTP code and Status body. */
function apiError(code: number, reason: string, message: string) {
  return Object.assign(new Error(`HTTP-Code: ${code}`), {
    code,
    body: JSON.stringify({ kind: 'Status', reason, message, code }),
  });
}

/**
 * The Kubernetes API as the database actions use it (create, read, replace,
 * delete with a uid precondition), in memory. The loopback API server of
 * local-targets serves no Secrets yet; this keeps the API server's answers
 * for the calls made: 409 for a taken name or a stale resourceVersion, 404
 * for a missing object or namespace, 409 for a failed uid precondition.
 */
export class FakeCluster {
  readonly objects = new Map<string, Stored>();
  /** Every write, `POST secrets/payments/payments-database`. */
  readonly writes: string[] = [];
  private version = 0;

  constructor(readonly name = 'local') {}

  private key(kind: string, namespace: string | undefined, name: string) {
    return `${kind}/${namespace ?? ''}/${name}`;
  }

  seedNamespace(name: string, ownerRef = 'group:default/team-payments') {
    this.store({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        annotations: { 'platform.internal/owner-ref': ownerRef },
      },
    });
  }

  get(kind: string, namespace: string | undefined, name: string) {
    const found = this.objects.get(this.key(kind, namespace, name));
    return found && structuredClone(found);
  }

  /** What someone else's write does: stored without passing through the platform. */
  store(object: Stored): Stored {
    const stored = structuredClone(object);
    stored.metadata.uid = stored.metadata.uid ?? randomUUID();
    stored.metadata.resourceVersion = String(++this.version);
    this.objects.set(
      this.key(stored.kind!, stored.metadata.namespace, stored.metadata.name),
      stored,
    );
    return structuredClone(stored);
  }

  client(): KubernetesClient {
    const write = (verb: string, object: Stored) =>
      this.writes.push(
        `${verb} ${object.kind}/${object.metadata.namespace ?? ''}/${
          object.metadata.name
        }`,
      );
    const client = {
      cluster: this.name,
      create: async (object: Stored) => {
        const { kind, metadata } = object;
        if (
          metadata.namespace &&
          !this.objects.has(
            this.key('Namespace', undefined, metadata.namespace),
          )
        ) {
          throw apiError(
            404,
            'NotFound',
            `namespaces "${metadata.namespace}" not found`,
          );
        }
        if (
          this.objects.has(this.key(kind!, metadata.namespace, metadata.name))
        ) {
          throw apiError(
            409,
            'AlreadyExists',
            `${kind} "${metadata.name}" already exists`,
          );
        }
        write('POST', object);
        return this.store(object);
      },
      read: async (ref: Stored) =>
        this.get(ref.kind!, ref.metadata.namespace, ref.metadata.name),
      replace: async (object: Stored) => {
        const { kind, metadata } = object;
        const existing = this.objects.get(
          this.key(kind!, metadata.namespace, metadata.name),
        );
        if (!existing) {
          throw apiError(
            404,
            'NotFound',
            `${kind} "${metadata.name}" not found`,
          );
        }
        if (metadata.resourceVersion !== existing.metadata.resourceVersion) {
          throw apiError(409, 'Conflict', 'the object has been modified');
        }
        write('PUT', object);
        return this.store({
          ...object,
          metadata: { ...metadata, uid: existing.metadata.uid },
        });
      },
      deleteExact: async (ref: Stored, uid: string) => {
        const key = this.key(
          ref.kind!,
          ref.metadata.namespace,
          ref.metadata.name,
        );
        const existing = this.objects.get(key);
        if (!existing) {
          throw apiError(
            404,
            'NotFound',
            `${ref.kind} "${ref.metadata.name}" not found`,
          );
        }
        if (existing.metadata.uid !== uid) {
          throw apiError(
            409,
            'Conflict',
            'Precondition failed: UID in precondition',
          );
        }
        write('DELETE', ref);
        this.objects.delete(key);
      },
    };
    return client as unknown as KubernetesClient;
  }

  /** What `readPlatformKubernetes` gives the actions, for this one cluster. */
  kubernetes() {
    return {
      clientFor: (cluster: string | undefined) => {
        if (cluster !== undefined && cluster !== this.name) {
          throw new Error(`No cluster ${cluster}`);
        }
        return this.client();
      },
    };
  }

  secretValues(
    namespace: string,
    name: string,
  ): Record<string, string> | undefined {
    const secret = this.get('Secret', namespace, name) as
      | { data?: Record<string, string> }
      | undefined;
    return (
      secret?.data &&
      Object.fromEntries(
        Object.entries(secret.data).map(([k, v]) => [
          k,
          Buffer.from(v, 'base64').toString('utf8'),
        ]),
      )
    );
  }
}
