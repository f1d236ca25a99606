import express from 'express';
import { AddressInfo } from 'node:net';
import { createServer, Server } from 'node:https';
import { ArmedFault, FaultBook } from '../faults';
import { validate } from './admission';
import { loopbackCertificate } from './certificate';
import {
  Cluster,
  KubernetesApiServerSettings,
  typeByResource,
} from './cluster';
import { discoveryRouter } from './discovery';
import {
  checkKubernetesFault,
  FaultOptions,
  kubernetesFaultInjection,
} from './faults';
import { isWrite, listIn, RESOURCE_PATH, render } from './objects';
import { KubeObject, RESOURCE_TYPES } from './resources';
import { objectsHandler, seedObject } from './rest';
import { failure } from './status';
import { WatchCache } from './watch';

/** Changes the watch cache keeps; a watch from before them gets 410 Expired. */
const WATCH_HISTORY = 1000;

export interface KubernetesApiServerOptions
  extends Partial<KubernetesApiServerSettings> {
  /** The bearer token every request must carry. */
  token: string;
  /** Defaults to an ephemeral port on 127.0.0.1. */
  port?: number;
}

/** One request the server answered, for assertions. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  status: number;
  /** Whether the request could change state (a write that was not a dry run). */
  write: boolean;
}

/** A running loopback Kubernetes API server. */
export interface LocalKubernetesApiServer {
  /** `https://127.0.0.1:PORT`, with a self-signed certificate. */
  url: string;
  token: string;
  /** The certificate authority that signed the server certificate, base64 PEM. */
  caData: string;
  settings: KubernetesApiServerSettings;
  /**
   * The next `count` matching requests are delayed or fail with a Status.
   * Throws `InvalidFaultError` for options the server cannot act on.
   */
  armFault(count: number, options?: FaultOptions): ArmedFault<FaultOptions>;
  /** `armFault`, for callers that need nothing back. */
  failNext(count: number, options?: FaultOptions): void;
  /** The faults still armed, with the uses each has left. */
  listFaults(): ArmedFault<FaultOptions>[];
  /** Drops one fault by id, or every fault not yet used up; false for an unknown id. */
  clearFaults(id?: string): boolean;
  /** Every request answered so far. */
  requests: RecordedRequest[];
  /**
   * An object by resource plural (`deployments`), namespace and name,
   * including the ReplicaSets and Pods the cluster derives.
   */
  get(
    resource: string,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined;
  /** All objects of a resource, in every namespace. */
  list(resource: string): KubeObject[];
  /** Stores an object as if someone else had created it before the test. */
  seed(object: KubeObject): KubeObject;
  /**
   * Forgets the history of changes up to now, as etcd's compaction does:
   * a watch from an older `resourceVersion` then gets `410 Expired`.
   */
  compactHistory(): void;
  /** Ends every open watch stream, as an API server does when it restarts. */
  endWatches(): void;
  /** How many watch streams are open now. */
  openWatches(): number;
  close(): Promise<void>;
}

/**
 * Starts a loopback HTTP server that speaks the Kubernetes API for
 * namespaces, resource quotas, limit ranges, services, secrets, deployments
 * and ingresses, and for reading the ReplicaSets and Pods of the deployments:
 * discovery, CRUD, server-side apply, `dryRun=All`, watches, bearer tokens
 * and the Status bodies of the real API server.
 */
export async function startKubernetesApiServer(
  options: KubernetesApiServerOptions,
): Promise<LocalKubernetesApiServer> {
  const cluster = new Cluster({
    namespaceDeletionDelayMs: options.namespaceDeletionDelayMs ?? 50,
    deploymentAvailableAfterMs: options.deploymentAvailableAfterMs ?? 50,
    latencyMs: options.latencyMs ?? 0,
    missingImages: options.missingImages ?? [],
  });
  const watches = new WatchCache(cluster, WATCH_HISTORY);
  const faults = new FaultBook<FaultOptions>('kubernetes');
  const requests: RecordedRequest[] = [];

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(
    express.text({
      type: [
        'application/json',
        'application/*+json',
        'application/*+yaml',
        'application/yaml',
      ],
      limit: '5mb',
    }),
  );

  // Recording, latency, then the bearer token.
  app.use(async (req, res, next) => {
    // A watch the client gives up on closes without finishing.
    let recorded = false;
    const record = () => {
      if (recorded) {
        return;
      }
      recorded = true;
      requests.push({
        method: req.method,
        path: req.path,
        query: Object.fromEntries(
          Object.entries(req.query).map(([k, v]) => [k, String(v)]),
        ),
        contentType: req.headers['content-type'],
        status: res.statusCode,
        write: isWrite(req),
      });
    };
    res.on('finish', record);
    res.on('close', record);
    if (cluster.settings.latencyMs > 0) {
      await new Promise(resolve =>
        setTimeout(resolve, cluster.settings.latencyMs),
      );
    }
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      res.status(401).json(failure(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    next();
  });

  app.use(kubernetesFaultInjection(faults));
  app.use(discoveryRouter());
  app.all(RESOURCE_PATH, objectsHandler(cluster, watches));

  const certificate = loopbackCertificate();
  const server: Server = createServer(
    { cert: certificate.cert, key: certificate.key },
    app,
  );
  await new Promise<void>(resolve =>
    server.listen(options.port ?? 0, '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;

  const instance: LocalKubernetesApiServer = {
    url: `https://127.0.0.1:${port}`,
    token: options.token,
    caData: certificate.caData,
    settings: cluster.settings,
    requests,
    armFault(count, fault = {}) {
      checkKubernetesFault(fault);
      return faults.arm(count, fault);
    },
    failNext(count, fault) {
      instance.armFault(count, fault);
    },
    listFaults: () => faults.list(),
    clearFaults: id => faults.clear(id),
    get(resource, namespace, name) {
      const type = typeByResource(resource);
      const stored =
        cluster.get(type, namespace, name) ??
        listIn(cluster, type, namespace).find(
          s => s.object.metadata.name === name,
        );
      return stored ? render(type, stored) : undefined;
    },
    list(resource) {
      const type = typeByResource(resource);
      return listIn(cluster, type).map(s => render(type, s));
    },
    seed(object) {
      const type = RESOURCE_TYPES.find(t => t.kind === object.kind);
      const copy = structuredClone(object);
      const error = type && (type.prepare?.(copy) ?? validate(type, copy));
      if (!type || error) {
        throw new Error(
          `Cannot seed ${object.kind} ${object.metadata.name}: ${
            typeof error === 'string'
              ? error
              : error?.message ?? 'kind not served'
          }`,
        );
      }
      return seedObject(cluster, type, copy);
    },
    compactHistory: () => watches.compact(),
    endWatches: () => watches.endAll(),
    openWatches: () => watches.open,
    async close() {
      cluster.stop();
      watches.endAll();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close(err => (err ? reject(err) : resolve())),
      );
    },
  };
  for (const name of ['default', 'kube-system']) {
    instance.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  return instance;
}
