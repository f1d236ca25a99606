import {
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  loadYaml,
  PatchStrategy,
} from '@kubernetes/client-node';
import { KubernetesCluster } from './config';
import { isKubernetesStatus } from './errors';

/** The field manager of every server-side apply the platform makes. */
export const FIELD_MANAGER = 'backstage-platform';

/**
 * The few calls the platform makes, on one cluster.
 *
 * @public
 */
export interface KubernetesClient {
  cluster: string;
  /** A plain create, never an apply: it fails with 409 if the name is taken. */
  create<T extends KubernetesObject>(
    object: KubernetesObject,
    options: { dryRun: boolean },
  ): Promise<T>;
  /** Undefined when the object does not exist. */
  read<T extends KubernetesObject>(object: ObjectRef): Promise<T | undefined>;
  /** Server-side apply as the platform's field manager. */
  apply<T extends KubernetesObject>(
    object: KubernetesObject,
    options: { dryRun: boolean },
  ): Promise<T>;
  /**
   * Replaces the object as a whole. The API server refuses it with 409 when
   * `metadata.resourceVersion` is no longer current, so a write based on a
   * read never overwrites a change made since.
   */
  replace<T extends KubernetesObject>(object: KubernetesObject): Promise<T>;
  /** Deletes only the object with this uid (a delete precondition). */
  deleteExact(object: ObjectRef, uid: string): Promise<void>;
  /** The objects of a kind in a namespace that match a label selector. */
  list<T extends KubernetesObject>(options: {
    apiVersion: string;
    kind: string;
    namespace: string;
    labelSelector: string;
  }): Promise<T[]>;
}

/** @public */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/**
 * The client serializes through its own models, whose property names differ
 * from the wire names in places (LimitRange `default` is `_default`), so a
 * wire-form object is read into the models first. JSON is YAML.
 */
function toClientModel<T extends KubernetesObject>(
  object: KubernetesObject,
): T {
  return loadYaml<T>(JSON.stringify(object));
}

export function createKubernetesClient(
  cluster: KubernetesCluster,
): KubernetesClient {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(
    {
      name: cluster.name,
      server: cluster.url,
      skipTLSVerify: cluster.skipTLSVerify,
      caData: cluster.caData,
    },
    { name: 'platform', token: cluster.serviceAccountToken },
  );
  const objects = KubernetesObjectApi.makeApiClient(kc);
  return {
    cluster: cluster.name,
    async create<T extends KubernetesObject>(
      object: KubernetesObject,
      options: { dryRun: boolean },
    ) {
      return (await objects.create<T>(
        toClientModel<T>(object),
        undefined,
        options.dryRun ? 'All' : undefined,
        FIELD_MANAGER,
      )) as T;
    },
    async read<T extends KubernetesObject>(ref: ObjectRef) {
      try {
        return (await objects.read<T>(ref as never)) as T;
      } catch (e) {
        if (isKubernetesStatus(e, 404)) {
          return undefined;
        }
        throw e;
      }
    },
    async apply<T extends KubernetesObject>(
      object: KubernetesObject,
      options: { dryRun: boolean },
    ) {
      return (await objects.patch<T>(
        toClientModel<T>(object),
        undefined,
        options.dryRun ? 'All' : undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      )) as T;
    },
    async replace<T extends KubernetesObject>(object: KubernetesObject) {
      return (await objects.replace<T>(
        toClientModel<T>(object),
        undefined,
        undefined,
        FIELD_MANAGER,
      )) as T;
    },
    async list<T extends KubernetesObject>(options: {
      apiVersion: string;
      kind: string;
      namespace: string;
      labelSelector: string;
    }) {
      const { items } = await objects.list<T>(
        options.apiVersion,
        options.kind,
        options.namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        options.labelSelector,
      );
      return items;
    },
    async deleteExact(ref: ObjectRef, uid: string) {
      await objects.delete(
        ref,
        undefined,
        undefined,
        undefined,
        undefined,
        'Background',
        { preconditions: { uid } },
      );
    },
  };
}
