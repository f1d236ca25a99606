import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import { PlatformNamespaceResource } from '@internal/plugin-platform-node';
import { KubernetesObject } from '@kubernetes/client-node';
import { PlatformPermissions } from '@internal/plugin-platform-node';
import { RollbackJournal } from '@internal/plugin-platform-node';
import { isCreatedByTask } from './journaledCreate';
import { isManagedByPlatform, LABEL_SERVICE } from './ownership';
import { ANNOTATION_OWNER_REF } from './ownership';
import { PlatformKubernetes } from './platformKubernetes';

/**
 * A namespace as the platform's permission rules see it.
 *
 * @public
 */
export function toNamespaceResource(
  cluster: string,
  namespace: KubernetesObject,
): PlatformNamespaceResource {
  return {
    cluster,
    name: namespace.metadata?.name ?? '',
    ownerRef: namespace.metadata?.annotations?.[ANNOTATION_OWNER_REF],
  };
}

/**
 * Namespaces by permission resource ref, `<cluster>/<name>`, read from the
 * clusters platform actions write to; undefined for a ref that names no
 * such cluster or namespace.
 *
 * @public
 */
export async function namespaceResources(
  kubernetes: PlatformKubernetes,
  refs: string[],
): Promise<Array<PlatformNamespaceResource | undefined>> {
  return Promise.all(
    refs.map(async ref => {
      const [cluster, name, ...rest] = ref.split('/');
      if (!cluster || !name || rest.length > 0) {
        return undefined;
      }
      if (!kubernetes.clusters.some(c => c.name === cluster)) {
        return undefined;
      }
      const namespace = await kubernetes.clientFor(cluster).read({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      });
      return namespace && toNamespaceResource(cluster, namespace);
    }),
  );
}

/**
 * Refuses, before any write, a user who may not write into an existing
 * namespace. A namespace this same run created (its uid, or the nonce of an
 * outcome the run never saw, in the run's journal) is the run's own and
 * needs no permission beyond the one to run the template.
 *
 * @public
 */
export async function assertMayWriteInto(options: {
  access: PlatformPermissions;
  journal: RollbackJournal;
  ctx: {
    task: { id: string };
    getInitiatorCredentials(): Promise<BackstageCredentials>;
  };
  cluster: string;
  namespace: KubernetesObject;
  doing: string;
}): Promise<void> {
  const { access, journal, ctx, cluster, namespace, doing } = options;
  const ownRun = await isCreatedByTask({
    journal,
    taskId: ctx.task.id,
    facts: {
      cluster,
      apiVersion: 'v1',
      kind: 'Namespace',
      name: namespace.metadata?.name ?? '',
    },
    object: namespace,
  });
  if (!ownRun) {
    await access.assertNamespaceWrite({
      credentials: await ctx.getInitiatorCredentials(),
      namespace: toNamespaceResource(cluster, namespace),
      doing,
    });
  }
}

/**
 * Refuses a namespace that already has the name a run would create, unless
 * the run asked to adopt it, the platform manages it for the same service
 * and the user may write into it. Adopting is a write into someone's
 * namespace, so the permission is part of the rule.
 *
 * @public
 */
export async function assertAdoptable(options: {
  existing: KubernetesObject;
  cluster: string;
  service: string;
  adopt: boolean;
  access: PlatformPermissions;
  credentials: () => Promise<BackstageCredentials>;
}): Promise<void> {
  const { existing, cluster, service } = options;
  const name = existing.metadata?.name ?? '';
  const phase = (existing as { status?: { phase?: string } }).status?.phase;
  if (phase === 'Terminating') {
    throw new ConflictError(
      `Namespace ${name} on cluster ${cluster} is being deleted; wait until it is gone or choose another name`,
    );
  }
  if (!options.adopt) {
    throw new ConflictError(
      `Namespace ${name} already exists on cluster ${cluster}; choose another name, or set adopt: true to use a namespace this platform manages for service ${service}`,
    );
  }
  if (
    !isManagedByPlatform(existing) ||
    existing.metadata?.labels?.[LABEL_SERVICE] !== service
  ) {
    throw new ConflictError(
      `Namespace ${name} on cluster ${cluster} is not managed by this platform for service ${service}, so it cannot be adopted`,
    );
  }
  await options.access.assertNamespaceWrite({
    credentials: await options.credentials(),
    namespace: toNamespaceResource(cluster, existing),
    doing: 'adopt',
  });
}
