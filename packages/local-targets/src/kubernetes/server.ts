import express, { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { createServer, Server } from 'node:https';
import { parse as parseYaml } from 'yaml';
import {
  apiVersionOf,
  findResourceType,
  KubeObject,
  matchesLabelSelector,
  qualifiedResource,
  RESOURCE_TYPES,
  ResourceType,
  validateMetadata,
  validateSchema,
} from './resources';
import {
  alreadyExists,
  conflict,
  failure,
  forbidden,
  invalid,
  KubeStatus,
  notFound,
  reasonFor,
} from './status';
import {
  applyConfiguration,
  clone,
  Managers,
  recordUpdate,
  renderManagedFields,
} from './fieldOwnership';
import { loopbackCertificate } from './certificate';

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

export interface FaultOptions {
  /** Defaults to 503. */
  status?: number;
  method?: string;
  /** Only requests whose path contains this. */
  pathIncludes?: string;
  /** Only requests that would change state: no reads, no dry runs. */
  writesOnly?: boolean;
  /**
   * Apply the write, then answer with the failure anyway: the outcome the
   * client sees is unknown although the change happened.
   */
  afterCommit?: boolean;
  /**
   * The Status `message` to answer with, for example one that echoes a
   * credential as a misbehaving admission webhook can.
   */
  message?: string;
}

interface FaultRule extends Required<Pick<FaultOptions, 'status'>> {
  remaining: number;
  method?: string;
  pathIncludes?: string;
  writesOnly: boolean;
  afterCommit: boolean;
  message?: string;
}

/** The parts of a Deployment the miniature controller reads. */
type DeploymentObject = KubeObject & {
  spec: {
    replicas?: number;
    template: {
      spec: {
        containers: Array<{
          name: string;
          resources?: { requests?: object; limits?: object };
        }>;
      };
    };
  };
  status?: Record<string, unknown>;
};

interface Stored {
  object: KubeObject;
  managers: Managers;
}

/** A running loopback Kubernetes API server. */
export interface LocalKubernetesApiServer {
  /** `https://127.0.0.1:PORT`, with a self-signed certificate. */
  url: string;
  token: string;
  /** The certificate authority that signed the server certificate, base64 PEM. */
  caData: string;
  settings: KubernetesApiServerSettings;
  /** The next `count` matching requests fail with a 5xx Status. */
  failNext(count: number, options?: FaultOptions): void;
  /** Every request answered so far. */
  requests: RecordedRequest[];
  /** A stored object by resource plural (`deployments`), namespace and name. */
  get(
    resource: string,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined;
  /** All stored objects of a resource, in every namespace. */
  list(resource: string): KubeObject[];
  /** Stores an object as if someone else had created it before the test. */
  seed(object: KubeObject): KubeObject;
  close(): Promise<void>;
}

function keyOf(
  type: ResourceType,
  namespace: string | undefined,
  name: string,
) {
  return `${qualifiedResource(type)}/${namespace ?? ''}/${name}`;
}

function typeByResource(resource: string): ResourceType {
  const type = RESOURCE_TYPES.find(t => t.resource === resource);
  if (!type) {
    throw new Error(`The loopback server does not serve ${resource}`);
  }
  return type;
}

const CPU_AND_MEMORY_KEYS = [
  'cpu',
  'memory',
  'requests.cpu',
  'requests.memory',
  'limits.cpu',
  'limits.memory',
];

/**
 * Starts a loopback HTTP server that speaks the Kubernetes API for
 * namespaces, resource quotas, limit ranges, services, deployments and
 * ingresses: discovery, CRUD, server-side apply, `dryRun=All`, bearer
 * tokens and the Status bodies of the real API server.
 */
export async function startKubernetesApiServer(
  options: KubernetesApiServerOptions,
): Promise<LocalKubernetesApiServer> {
  const settings: KubernetesApiServerSettings = {
    namespaceDeletionDelayMs: options.namespaceDeletionDelayMs ?? 50,
    deploymentAvailableAfterMs: options.deploymentAvailableAfterMs ?? 50,
    latencyMs: options.latencyMs ?? 0,
    missingImages: options.missingImages ?? [],
  };
  const store = new Map<string, Stored>();
  const faults: FaultRule[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let resourceVersion = 1;

  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const later = (delay: Delay, fn: () => void) => {
    if (delay === 'never') {
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, delay);
    timers.add(timer);
  };

  function render(type: ResourceType, stored: Stored): KubeObject {
    const object = clone(stored.object);
    object.metadata.managedFields = renderManagedFields(
      stored.managers,
      apiVersionOf(type),
    );
    return object;
  }

  function listIn(type: ResourceType, namespace?: string): Stored[] {
    if (type.resource === 'pods') {
      return [...podsOfDeployments(namespace), ...storedIn(type, namespace)];
    }
    return storedIn(type, namespace);
  }

  /** The image of a Deployment's containers that the cluster cannot pull. */
  function missingImageOf(deployment: DeploymentObject): string | undefined {
    return deployment.spec.template.spec.containers
      .map(c => (c as { image?: string }).image ?? '')
      .find(image => settings.missingImages.includes(image));
  }

  /**
   * The pods of each Deployment: one running pod per available replica, and
   * for a Deployment whose image cannot be pulled, pods waiting on it.
   */
  function podsOfDeployments(namespace?: string): Stored[] {
    return storedIn(typeByResource('deployments'), namespace).flatMap(s => {
      const deployment = s.object as DeploymentObject & {
        spec: { template: { metadata?: { labels?: Record<string, string> } } };
      };
      const available = Number(deployment.status?.availableReplicas ?? 0);
      const template = deployment.spec.template;
      const missingImage = missingImageOf(deployment);
      const waiting = missingImage
        ? Array.from({ length: deployment.spec.replicas ?? 1 }, (_, index) => ({
            managers: new Map(),
            object: {
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: {
                name: `${deployment.metadata.name}-7d4b9c8f6d-w${index}`,
                namespace: deployment.metadata.namespace,
                uid: `${deployment.metadata.uid}-waiting-${index}`,
                labels: template.metadata?.labels ?? {},
                creationTimestamp: deployment.metadata.creationTimestamp,
              },
              spec: template.spec,
              status: {
                phase: 'Pending',
                containerStatuses: template.spec.containers.map(c => ({
                  name: c.name,
                  image: (c as { image?: string }).image ?? '',
                  imageID: '',
                  ready: false,
                  started: false,
                  restartCount: 0,
                  state: {
                    waiting: {
                      reason: 'ErrImagePull',
                      message: `rpc error: code = NotFound desc = failed to pull and unpack image "${missingImage}": not found`,
                    },
                  },
                })),
              },
            } as KubeObject,
          }))
        : [];
      return [
        ...waiting,
        ...Array.from({ length: available }, (_, index) => ({
          managers: new Map(),
          object: {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name: `${deployment.metadata.name}-7d4b9c8f6d-${index}`,
              namespace: deployment.metadata.namespace,
              uid: `${deployment.metadata.uid}-pod-${index}`,
              labels: template.metadata?.labels ?? {},
              creationTimestamp: deployment.metadata.creationTimestamp,
            },
            spec: template.spec,
            status: {
              phase: 'Running',
              conditions: [{ type: 'Ready', status: 'True' }],
              containerStatuses: template.spec.containers.map(c => ({
                name: c.name,
                image: (c as { image?: string }).image ?? '',
                imageID: '',
                ready: true,
                started: true,
                restartCount: 0,
                state: {
                  running: { startedAt: deployment.metadata.creationTimestamp },
                },
              })),
            },
          } as KubeObject,
        })),
      ];
    });
  }

  function storedIn(type: ResourceType, namespace?: string): Stored[] {
    return [...store.values()].filter(
      s =>
        s.object.kind === type.kind &&
        (namespace === undefined || s.object.metadata.namespace === namespace),
    );
  }

  function persist(type: ResourceType, stored: Stored) {
    stored.object.metadata.resourceVersion = String(++resourceVersion);
    store.set(
      keyOf(
        type,
        stored.object.metadata.namespace,
        stored.object.metadata.name,
      ),
      stored,
    );
  }

  /** What the server adds to a new object. */
  function initialize(
    type: ResourceType,
    object: KubeObject,
    namespace?: string,
  ) {
    object.apiVersion = apiVersionOf(type);
    object.kind = type.kind;
    object.metadata.uid = randomUUID();
    object.metadata.creationTimestamp = now();
    if (type.namespaced) {
      object.metadata.namespace = namespace;
    }
    if (type.kind === 'Namespace') {
      object.metadata.labels = {
        ...object.metadata.labels,
        'kubernetes.io/metadata.name': object.metadata.name,
      };
      object.spec = { finalizers: ['kubernetes'] };
      object.status = { phase: 'Active' };
    }
    if (type.kind === 'ResourceQuota') {
      const hard = (object.spec as { hard?: Record<string, string> })?.hard;
      object.status = { hard, used: {} };
    }
  }

  /**
   * Deployment controller in miniature: pods that the namespace's quota
   * would reject keep the Deployment unavailable with a ReplicaFailure
   * condition, otherwise it becomes Available after the configured delay.
   */
  function rollOut(stored: Stored) {
    const deployment = stored.object as DeploymentObject;
    const namespace = deployment.metadata.namespace!;
    const replicas = deployment.spec.replicas ?? 1;
    const generation = Number(deployment.metadata.generation ?? 1);
    const reason = podQuotaFailure(namespace, deployment);
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
              message: `ReplicaSet "${deployment.metadata.name}" is progressing.`,
              lastUpdateTime: now(),
              lastTransitionTime: now(),
            },
      ],
    };
    if (reason || missingImageOf(deployment)) {
      return;
    }
    const uid = deployment.metadata.uid;
    later(settings.deploymentAvailableAfterMs, () => {
      const current = store.get(
        keyOf(
          typeByResource('deployments'),
          namespace,
          deployment.metadata.name,
        ),
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
            message: `ReplicaSet "${deployment.metadata.name}" has successfully progressed.`,
            lastUpdateTime: now(),
            lastTransitionTime: now(),
          },
        ],
      };
      current.object.metadata.resourceVersion = String(++resourceVersion);
    });
  }

  function podQuotaFailure(
    namespace: string,
    deployment: DeploymentObject,
  ): string | undefined {
    const quotas = listIn(typeByResource('resourcequotas'), namespace);
    const hasLimitRangeDefaults = listIn(
      typeByResource('limitranges'),
      namespace,
    ).some(s =>
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
    const podName = `${deployment.metadata.name}-7d4b9c8f6d-x2k9p`;
    for (const quota of quotas) {
      const hard =
        (quota.object.spec as { hard?: Record<string, string> })?.hard ?? {};
      const constrained = CPU_AND_MEMORY_KEYS.filter(k => k in hard);
      if (constrained.length > 0 && !hasLimitRangeDefaults) {
        const missing = deployment.spec.template.spec.containers.filter(
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
        const pods = listIn(typeByResource('deployments'), namespace)
          .filter(s => s.object.metadata.name !== deployment.metadata.name)
          .reduce(
            (sum, s) =>
              sum +
              Number((s.object.spec as { replicas?: number }).replicas ?? 1),
            0,
          );
        const requested = deployment.spec.replicas ?? 1;
        if (pods + requested > Number(hard.pods)) {
          return `pods "${podName}" is forbidden: exceeded quota: ${quota.object.metadata.name}, requested: pods=${requested}, used: pods=${pods}, limited: pods=${hard.pods}`;
        }
      }
    }
    return undefined;
  }

  /** Count quotas (`services`, `count/deployments.apps`) answer 403 like admission. */
  function countQuotaFailure(
    type: ResourceType,
    namespace: string,
  ): string | undefined {
    const keys = [`count/${qualifiedResource(type)}`];
    if (type.resource === 'services') {
      keys.push('services');
    }
    for (const quota of listIn(typeByResource('resourcequotas'), namespace)) {
      const hard =
        (quota.object.spec as { hard?: Record<string, string> })?.hard ?? {};
      for (const key of keys) {
        if (hard[key] !== undefined) {
          const used = listIn(type, namespace).length;
          if (used + 1 > Number(hard[key])) {
            return `exceeded quota: ${quota.object.metadata.name}, requested: ${key}=1, used: ${key}=${used}, limited: ${key}=${hard[key]}`;
          }
        }
      }
    }
    return undefined;
  }

  /** Admission for a new object: its namespace must be there and active. */
  function admit(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): KubeStatus | undefined {
    if (!namespace) {
      return undefined;
    }
    const ns = store.get(
      keyOf(typeByResource('namespaces'), undefined, namespace),
    );
    if (!ns) {
      return notFound(typeByResource('namespaces'), namespace);
    }
    if ((ns.object.status as { phase?: string })?.phase === 'Terminating') {
      return forbidden(
        type,
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
    const quota = countQuotaFailure(type, namespace);
    return quota ? forbidden(type, name, quota) : undefined;
  }

  function validate(
    type: ResourceType,
    object: KubeObject,
  ): KubeStatus | undefined {
    const causes = [
      ...validateMetadata(type, object),
      ...validateSchema(type, object),
    ];
    return causes.length > 0
      ? invalid(type, object.metadata?.name ?? '', causes)
      : undefined;
  }

  function deleteNamespace(stored: Stored) {
    const object = stored.object;
    if ((object.status as { phase?: string }).phase !== 'Terminating') {
      object.metadata.deletionTimestamp = now();
      object.status = { phase: 'Terminating' };
      object.metadata.resourceVersion = String(++resourceVersion);
      const uid = object.metadata.uid;
      later(settings.namespaceDeletionDelayMs, () => {
        const name = object.metadata.name;
        const current = store.get(
          keyOf(typeByResource('namespaces'), undefined, name),
        );
        if (current?.object.metadata.uid !== uid) {
          return;
        }
        for (const [key, s] of store) {
          if (s.object.metadata.namespace === name) {
            store.delete(key);
          }
        }
        store.delete(keyOf(typeByResource('namespaces'), undefined, name));
      });
    }
  }

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

  app.use(async (req, res, next) => {
    const send = res.json.bind(res);
    const fault = takeFault(req);
    const write = req.method !== 'GET' && req.query.dryRun === undefined;
    res.json = body => {
      if (fault?.afterCommit) {
        res.status(fault.status);
        return send(serverError(fault));
      }
      return send(body);
    };
    res.on('finish', () => {
      requests.push({
        method: req.method,
        path: req.path,
        query: Object.fromEntries(
          Object.entries(req.query).map(([k, v]) => [k, String(v)]),
        ),
        contentType: req.headers['content-type'],
        status: res.statusCode,
        write,
      });
    });
    if (settings.latencyMs > 0) {
      await new Promise(resolve => setTimeout(resolve, settings.latencyMs));
    }
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      res.status(401);
      send(failure(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    if (fault && !fault.afterCommit) {
      res.status(fault.status);
      send(serverError(fault));
      return;
    }
    next();
  });

  function takeFault(req: Request): FaultRule | undefined {
    const rule = faults.find(
      f =>
        f.remaining > 0 &&
        (!f.method || f.method === req.method) &&
        (!f.pathIncludes || req.path.includes(f.pathIncludes)) &&
        (!f.writesOnly ||
          (req.method !== 'GET' && req.query.dryRun === undefined)),
    );
    if (rule) {
      rule.remaining -= 1;
    }
    return rule;
  }

  function serverError({ status, message }: FaultRule): KubeStatus {
    if (message !== undefined) {
      return failure(status, reasonFor(status), message);
    }
    if (status === 504) {
      return failure(
        504,
        'Timeout',
        'the server was unable to return a response in the time allotted, but may still be processing the request',
      );
    }
    if (status >= 500) {
      return failure(
        status,
        reasonFor(status),
        'an error on the server ("injected fault") has prevented the request from succeeding',
      );
    }
    // A refusal, as the API server words one: not an error on the server.
    return failure(
      status,
      reasonFor(status),
      `the request was refused as ${reasonFor(status)} ("injected fault")`,
    );
  }

  app.get('/version', (_req, res) => {
    res.json({
      major: '1',
      minor: '32',
      gitVersion: 'v1.32.0-loopback',
      platform: 'linux/amd64',
    });
  });
  app.get('/api', (req, res) => {
    res.json({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [
        { clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? '' },
      ],
    });
  });
  app.get('/apis', (_req, res) => {
    const groups = [
      ...new Set(RESOURCE_TYPES.map(t => t.group).filter(Boolean)),
    ];
    res.json({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map(group => {
        const version = RESOURCE_TYPES.find(t => t.group === group)!.version;
        const gv = { groupVersion: `${group}/${version}`, version };
        return { name: group, versions: [gv], preferredVersion: gv };
      }),
    });
  });

  const resourceList = (group: string, version: string) => ({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: RESOURCE_TYPES.filter(
      t => t.group === group && t.version === version,
    ).map(t => ({
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.readOnly
        ? ['get', 'list']
        : ['create', 'delete', 'get', 'list', 'patch', 'update'],
      shortNames: t.shortNames,
    })),
  });
  app.get('/api/v1', (_req, res) => {
    res.json(resourceList('', 'v1'));
  });
  app.get('/apis/:group/:version', (req, res, next) => {
    const list = resourceList(req.params.group, req.params.version);
    if (list.resources.length === 0) {
      next();
      return;
    }
    res.json(list);
  });

  app.all(/^\/(api\/v1|apis\/[^/]+\/[^/]+)\/(.+)$/, (req, res) => {
    const [groupVersion, rest] = [req.params[0], req.params[1]];
    const [group, version] =
      groupVersion === 'api/v1' ? ['', 'v1'] : groupVersion.split('/').slice(1);
    let segments = rest.split('/');
    let namespace: string | undefined;
    if (segments[0] === 'namespaces' && segments.length >= 3) {
      namespace = segments[1];
      segments = segments.slice(2);
    }
    const type = findResourceType(group, version, segments[0]);
    if (!type || segments.length > 2 || (namespace && !type.namespaced)) {
      res
        .status(404)
        .json(
          failure(
            404,
            'NotFound',
            'the server could not find the requested resource',
          ),
        );
      return;
    }
    const dryRun = req.query.dryRun;
    if (dryRun !== undefined && dryRun !== 'All') {
      res
        .status(400)
        .json(
          failure(
            400,
            'BadRequest',
            `Invalid dry run option: ${String(dryRun)}`,
          ),
        );
      return;
    }
    const name = segments[1];
    const reply = (code: number, body: unknown) => res.status(code).json(body);
    try {
      if (name === undefined) {
        handleCollection({ req, type, namespace, dryRun: !!dryRun, reply });
      } else {
        handleItem({ req, type, namespace, name, dryRun: !!dryRun, reply });
      }
    } catch (e) {
      reply(
        400,
        failure(
          400,
          'BadRequest',
          `the request body could not be decoded: ${(e as Error).message}`,
        ),
      );
    }
  });

  type Reply = (code: number, body: unknown) => void;

  function parseBody(req: Request): KubeObject {
    const text = typeof req.body === 'string' ? req.body : '';
    const parsed = (req.headers['content-type'] ?? '').includes('yaml')
      ? parseYaml(text)
      : JSON.parse(text || '{}');
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      Array.isArray(parsed)
    ) {
      throw new Error('expected an object');
    }
    parsed.metadata = parsed.metadata ?? {};
    return parsed;
  }

  function handleCollection(ctx: {
    req: Request;
    type: ResourceType;
    namespace?: string;
    dryRun: boolean;
    reply: Reply;
  }) {
    const { req, type, namespace, dryRun, reply } = ctx;
    if (req.method === 'GET') {
      reply(200, {
        kind: `${type.kind}List`,
        apiVersion: apiVersionOf(type),
        metadata: { resourceVersion: String(resourceVersion) },
        items: listIn(type, namespace)
          .filter(s =>
            matchesLabelSelector(
              s.object.metadata.labels,
              req.query.labelSelector as string | undefined,
            ),
          )
          .map(s => render(type, s)),
      });
      return;
    }
    if (
      req.method !== 'POST' ||
      (type.namespaced && !namespace) ||
      type.readOnly
    ) {
      reply(
        405,
        failure(
          405,
          'MethodNotAllowed',
          `the server does not allow this method on the requested resource`,
        ),
      );
      return;
    }
    const object = parseBody(req);
    if (object.metadata.namespace && object.metadata.namespace !== namespace) {
      reply(
        400,
        failure(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        ),
      );
      return;
    }
    const error = validate(type, {
      ...object,
      apiVersion: apiVersionOf(type),
      kind: type.kind,
    });
    if (error) {
      reply(422, error);
      return;
    }
    const name = object.metadata.name;
    const existing = store.get(keyOf(type, namespace, name));
    if (existing) {
      reply(409, alreadyExists(type, name));
      return;
    }
    const admission = admit(type, namespace, name);
    if (admission) {
      reply(admission.code, admission);
      return;
    }
    initialize(type, object, namespace);
    const stored: Stored = {
      object,
      managers: recordUpdate({
        object,
        managers: new Map(),
        manager: String(req.query.fieldManager ?? 'unknown'),
        now: now(),
      }),
    };
    if (type.kind === 'Deployment') {
      object.metadata.generation = 1;
      rollOut(stored);
    }
    if (!dryRun) {
      persist(type, stored);
    }
    reply(201, render(type, stored));
  }

  /** A request for one named object. */
  type ItemRequest = {
    req: Request;
    type: ResourceType;
    namespace?: string;
    name: string;
    dryRun: boolean;
    reply: Reply;
  };

  function handleItem(ctx: ItemRequest) {
    const { req, type, namespace, name, dryRun, reply } = ctx;
    const key = keyOf(type, namespace, name);
    const existing =
      store.get(key) ??
      listIn(type, namespace).find(s => s.object.metadata.name === name);
    if (type.readOnly && req.method !== 'GET') {
      reply(
        405,
        failure(
          405,
          'MethodNotAllowed',
          'the loopback server serves this resource for reading only',
        ),
      );
      return;
    }
    switch (req.method) {
      case 'GET':
        if (!existing) {
          reply(404, notFound(type, name));
        } else {
          reply(200, render(type, existing));
        }
        return;
      case 'DELETE': {
        if (!existing) {
          reply(404, notFound(type, name));
          return;
        }
        const deleteOptions =
          typeof req.body === 'string' && req.body
            ? (JSON.parse(req.body) as {
                preconditions?: { uid?: string; resourceVersion?: string };
              })
            : {};
        const uid = deleteOptions.preconditions?.uid;
        if (uid && uid !== existing.object.metadata.uid) {
          reply(
            409,
            conflict(
              type,
              name,
              `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.object.metadata.uid}`,
            ),
          );
          return;
        }
        if (dryRun) {
          reply(200, render(type, existing));
          return;
        }
        if (type.kind === 'Namespace') {
          deleteNamespace(existing);
          reply(200, render(type, existing));
          return;
        }
        store.delete(key);
        reply(200, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: {
            name,
            group: type.group || undefined,
            kind: type.resource,
            uid: existing.object.metadata.uid,
          },
        });
        return;
      }
      case 'PATCH':
      case 'PUT':
        handleWrite({ ...ctx, existing });
        return;
      default:
        reply(
          405,
          failure(
            405,
            'MethodNotAllowed',
            'the server does not allow this method on the requested resource',
          ),
        );
    }
  }

  function handleWrite(ctx: ItemRequest & { existing?: Stored }) {
    const { req, type, namespace, name, dryRun, reply, existing } = ctx;
    const contentType = req.headers['content-type'] ?? '';
    const body = parseBody(req);
    const manager = req.query.fieldManager as string | undefined;
    const isApply =
      req.method === 'PATCH' &&
      contentType.startsWith('application/apply-patch');
    let merged: Stored;
    if (isApply) {
      if (!manager) {
        reply(
          422,
          failure(
            422,
            'Invalid',
            'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
          ),
        );
        return;
      }
      if (body.metadata.name !== name) {
        reply(
          400,
          failure(
            400,
            'BadRequest',
            'the name of the object does not match the name on the URL',
          ),
        );
        return;
      }
      const outcome = applyConfiguration({
        live: existing?.object,
        applied: body,
        managers: existing?.managers ?? new Map(),
        manager,
        force: req.query.force === 'true',
        now: now(),
      });
      if ('conflicts' in outcome) {
        const causes = outcome.conflicts.map(c => ({
          reason: 'FieldManagerConflict',
          message: `conflict with "${c.manager}" using ${apiVersionOf(type)}`,
          field: `.${c.path.join('.')}`,
        }));
        reply(
          409,
          conflict(
            type,
            name,
            `Apply failed with ${causes.length} conflict(s): ${causes
              .map(c => `${c.message}: ${c.field}`)
              .join(', ')}`,
            causes,
          ),
        );
        return;
      }
      merged = {
        object: outcome.object as KubeObject,
        managers: outcome.managers,
      };
    } else {
      if (!existing) {
        reply(404, notFound(type, name));
        return;
      }
      const object = (
        req.method === 'PUT' ? body : mergePatch(existing.object, body)
      ) as KubeObject;
      merged = {
        object,
        managers: recordUpdate({
          object,
          managers: existing.managers,
          manager: manager ?? 'unknown',
          now: now(),
        }),
      };
    }
    const object = merged.object;
    object.apiVersion = apiVersionOf(type);
    object.kind = type.kind;
    object.metadata = { ...object.metadata, name };
    const error = validate(type, object);
    if (error) {
      reply(422, error);
      return;
    }
    if (!existing) {
      const admission = admit(type, namespace, name);
      if (admission) {
        reply(admission.code, admission);
        return;
      }
      initialize(type, object, namespace);
    } else {
      for (const field of [
        'uid',
        'creationTimestamp',
        'namespace',
        'deletionTimestamp',
      ] as const) {
        (object.metadata as Record<string, unknown>)[field] =
          existing.object.metadata[field];
      }
      object.status = existing.object.status;
    }
    if (type.kind === 'Deployment') {
      const specChanged =
        !existing ||
        JSON.stringify(existing.object.spec) !== JSON.stringify(object.spec);
      object.metadata.generation =
        Number(existing?.object.metadata.generation ?? 0) +
        (specChanged ? 1 : 0);
      if (specChanged) {
        rollOut(merged);
      }
    }
    if (type.kind === 'ResourceQuota') {
      object.status = {
        hard: (object.spec as { hard?: object })?.hard,
        used: {},
      };
    }
    if (!dryRun) {
      persist(type, merged);
    }
    reply(existing ? 200 : 201, render(type, merged));
  }

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
    settings,
    requests,
    failNext(count, fault = {}) {
      faults.push({
        remaining: count,
        status: fault.status ?? 503,
        method: fault.method,
        pathIncludes: fault.pathIncludes,
        writesOnly: fault.writesOnly ?? false,
        afterCommit: fault.afterCommit ?? false,
        message: fault.message,
      });
    },
    get(resource, namespace, name) {
      const stored = store.get(
        keyOf(typeByResource(resource), namespace, name),
      );
      return stored ? render(typeByResource(resource), stored) : undefined;
    },
    list(resource) {
      const type = typeByResource(resource);
      return listIn(type).map(s => render(type, s));
    },
    seed(object) {
      const type = RESOURCE_TYPES.find(t => t.kind === object.kind);
      const error = type ? validate(type, object) : undefined;
      if (!type || error) {
        throw new Error(
          `Cannot seed ${object.kind} ${object.metadata.name}: ${
            error?.message ?? 'kind not served'
          }`,
        );
      }
      const copy = clone(object);
      initialize(type, copy, copy.metadata.namespace);
      const stored: Stored = {
        object: copy,
        managers: recordUpdate({
          object: copy,
          managers: new Map(),
          manager: 'seed',
          now: now(),
        }),
      };
      if (type.kind === 'Deployment') {
        copy.metadata.generation = 1;
        rollOut(stored);
      }
      persist(type, stored);
      return render(type, stored);
    },
    async close() {
      for (const timer of timers) {
        clearTimeout(timer);
      }
      timers.clear();
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

/** JSON merge patch (RFC 7386), which strategic merge reduces to here. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return clone(patch);
  }
  const result: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? clone(target as Record<string, unknown>)
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      result[key] = mergePatch(result[key], value);
    }
  }
  return result;
}
