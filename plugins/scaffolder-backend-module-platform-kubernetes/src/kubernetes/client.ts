import {
  ApiException,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  loadYaml,
  PatchStrategy,
  Watch,
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
  /**
   * Follows one object: its state now (an ADDED event, when it exists),
   * then each change, with the watch API from the resource version of the
   * list that read it, until the API server ends the stream or `signal`
   * aborts (both resolve). A refused or failed request rejects, as the
   * other calls do.
   */
  watch<T extends KubernetesObject>(options: {
    object: ObjectRef;
    /** The resource's plural, as in its API path: `deployments`. */
    resource: string;
    signal: AbortSignal;
    onEvent: (event: WatchEvent<T>) => void;
  }): Promise<void>;
}

/**
 * One line of a watch: the object as changed (`ADDED`, `MODIFIED`), as
 * deleted (`DELETED`), or the `Status` of a failure (`ERROR`), such as 410
 * when the resource version watched from is too old.
 *
 * @public
 */
export type WatchEvent<T extends KubernetesObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | {
      type: 'ERROR';
      object: { code?: number; reason?: string; message?: string };
    };

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
  const watcher = new Watch(kc);
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
    async watch<T extends KubernetesObject>(options: {
      object: ObjectRef;
      resource: string;
      signal: AbortSignal;
      onEvent: (event: WatchEvent<T>) => void;
    }) {
      const { object, signal } = options;
      const { name, namespace } = object.metadata;
      const fieldSelector = `metadata.name=${name}`;
      // The list's resource version, unlike the object's own, is current:
      // an object unchanged for long may be older than the history the API
      // server keeps, and a watch from it would only ever get 410.
      const listed = await objects.list<T>(
        object.apiVersion,
        object.kind,
        namespace,
        undefined,
        undefined,
        undefined,
        fieldSelector,
      );
      if (signal.aborted) {
        return;
      }
      for (const item of listed.items) {
        options.onEvent({ type: 'ADDED', object: item });
      }
      const path = [
        object.apiVersion.includes('/')
          ? `/apis/${object.apiVersion}`
          : `/api/${object.apiVersion}`,
        namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '',
        `/${options.resource}`,
      ].join('');
      if (signal.aborted) {
        return;
      }
      await new Promise<void>((resolve, reject) => {
        let stream: AbortController | undefined;
        const stop = () => {
          stream?.abort();
          resolve();
        };
        signal.addEventListener('abort', stop, { once: true });
        const ended = (error: unknown) => {
          signal.removeEventListener('abort', stop);
          if (!error || signal.aborted) {
            resolve();
            return;
          }
          // The client's watch keeps only the HTTP status of a refusal;
          // as an ApiException it reads like the failures of other calls.
          const status = (error as { statusCode?: unknown }).statusCode;
          reject(
            typeof status === 'number'
              ? new ApiException(status, 'watch refused', undefined, {})
              : error,
          );
        };
        watcher
          .watch(
            path,
            {
              fieldSelector,
              resourceVersion: listed.metadata?.resourceVersion,
            },
            (type, changed) =>
              options.onEvent({ type, object: changed } as WatchEvent<T>),
            ended,
          )
          .then(controller => {
            stream = controller;
            if (signal.aborted) {
              controller.abort();
            }
          }, ended);
      });
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
