import { Request, RequestHandler } from 'express';
import { parse as parseYaml } from 'yaml';
import { admit, validate } from './admission';
import { Cluster, now, Stored } from './cluster';
import { applyConfiguration, clone, recordUpdate } from './fieldOwnership';
import { deleteNamespace } from './namespaces';
import {
  fieldSelectorOf,
  initialize,
  isWatch,
  listIn,
  parseResourcePath,
  reconcile,
  render,
} from './objects';
import {
  apiVersionOf,
  KubeObject,
  matchesLabelSelector,
  ResourceType,
} from './resources';
import { alreadyExists, conflict, failure, notFound } from './status';
import { WatchCache } from './watch';

type Reply = (code: number, body: unknown) => void;

/** One request for a collection or one named object. */
interface ObjectRequest {
  cluster: Cluster;
  req: Request;
  type: ResourceType;
  namespace?: string;
  dryRun: boolean;
  reply: Reply;
}

type ItemRequest = ObjectRequest & { name: string };

const methodNotAllowed = (message: string) =>
  failure(405, 'MethodNotAllowed', message);

function parseBody(req: Request): KubeObject {
  const text = typeof req.body === 'string' ? req.body : '';
  const parsed = (req.headers['content-type'] ?? '').includes('yaml')
    ? parseYaml(text)
    : JSON.parse(text || '{}');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('expected an object');
  }
  parsed.metadata = parsed.metadata ?? {};
  return parsed;
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

/** Stores an object as if someone else had created it, for tests. */
export function seedObject(
  cluster: Cluster,
  type: ResourceType,
  object: KubeObject,
): KubeObject {
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
  reconcile(cluster, type, stored);
  cluster.persist(type, stored);
  return render(type, stored);
}

function handleCollection(ctx: ObjectRequest) {
  const { cluster, req, type, namespace, dryRun, reply } = ctx;
  if (req.method === 'GET') {
    const matchesFields = fieldSelectorOf(
      type,
      req.query.fieldSelector as string | undefined,
    );
    if (typeof matchesFields !== 'function') {
      reply(matchesFields.code, matchesFields);
      return;
    }
    reply(200, {
      kind: `${type.kind}List`,
      apiVersion: apiVersionOf(type),
      metadata: { resourceVersion: cluster.resourceVersion },
      items: listIn(cluster, type, namespace)
        .filter(
          s =>
            matchesLabelSelector(
              s.object.metadata.labels,
              req.query.labelSelector as string | undefined,
            ) && matchesFields(s.object),
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
      methodNotAllowed(
        'the server does not allow this method on the requested resource',
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
  const undecodable = type.prepare?.(object);
  if (undecodable) {
    reply(400, failure(400, 'BadRequest', undecodable));
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
  if (cluster.get(type, namespace, name)) {
    reply(409, alreadyExists(type, name));
    return;
  }
  const admission = admit(cluster, type, namespace, name);
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
  reconcile(cluster, type, stored);
  if (!dryRun) {
    cluster.persist(type, stored);
  }
  reply(201, render(type, stored));
}

function handleDelete(ctx: ItemRequest & { existing?: Stored }) {
  const { cluster, req, type, namespace, name, dryRun, reply, existing } = ctx;
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
    deleteNamespace(cluster, existing);
    reply(200, render(type, existing));
    return;
  }
  cluster.remove(type, namespace, name);
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
}

function handleItem(ctx: ItemRequest) {
  const { cluster, req, type, namespace, name, reply } = ctx;
  const existing =
    cluster.get(type, namespace, name) ??
    listIn(cluster, type, namespace).find(s => s.object.metadata.name === name);
  if (type.readOnly && req.method !== 'GET') {
    reply(
      405,
      methodNotAllowed(
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
    case 'DELETE':
      handleDelete({ ...ctx, existing });
      return;
    case 'PATCH':
    case 'PUT':
      handleWrite({ ...ctx, existing });
      return;
    default:
      reply(
        405,
        methodNotAllowed(
          'the server does not allow this method on the requested resource',
        ),
      );
  }
}

/** Server-side apply, or an update or merge patch of an existing object. */
function handleWrite(ctx: ItemRequest & { existing?: Stored }) {
  const { cluster, req, type, namespace, name, dryRun, reply, existing } = ctx;
  const contentType = req.headers['content-type'] ?? '';
  const body = parseBody(req);
  const manager = req.query.fieldManager as string | undefined;
  const isApply =
    req.method === 'PATCH' && contentType.startsWith('application/apply-patch');
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
    // Optimistic concurrency: an update that names the resourceVersion it
    // read fails once someone else has written since.
    const expected = body.metadata.resourceVersion;
    if (
      expected !== undefined &&
      expected !== existing.object.metadata.resourceVersion
    ) {
      reply(
        409,
        conflict(
          type,
          name,
          'the object has been modified; please apply your changes to the latest version and try again',
        ),
      );
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
  const undecodable = type.prepare?.(object);
  if (undecodable) {
    reply(400, failure(400, 'BadRequest', undecodable));
    return;
  }
  const error = validate(type, object, existing?.object);
  if (error) {
    reply(422, error);
    return;
  }
  if (!existing) {
    const admission = admit(cluster, type, namespace, name);
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
  reconcile(cluster, type, merged, existing);
  if (!dryRun) {
    cluster.persist(type, merged);
  }
  reply(existing ? 200 : 201, render(type, merged));
}

/**
 * CRUD, server-side apply and `dryRun=All` for every served resource under
 * `/api/v1` and `/apis/:group/:version`.
 */
export function objectsHandler(
  cluster: Cluster,
  watches: WatchCache,
): RequestHandler {
  return (req, res) => {
    const reply: Reply = (code, body) => res.status(code).json(body);
    const path = parseResourcePath(req.path);
    if (!path) {
      reply(
        404,
        failure(
          404,
          'NotFound',
          'the server could not find the requested resource',
        ),
      );
      return;
    }
    if (isWatch(req)) {
      watches.serve({ req, res, ...path });
      return;
    }
    const dryRun = req.query.dryRun;
    if (dryRun !== undefined && dryRun !== 'All') {
      reply(
        400,
        failure(400, 'BadRequest', `Invalid dry run option: ${String(dryRun)}`),
      );
      return;
    }
    const ctx = {
      cluster,
      req,
      type: path.type,
      namespace: path.namespace,
      dryRun: !!dryRun,
      reply,
    };
    try {
      if (path.name === undefined) {
        handleCollection(ctx);
      } else {
        handleItem({ ...ctx, name: path.name });
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
  };
}
