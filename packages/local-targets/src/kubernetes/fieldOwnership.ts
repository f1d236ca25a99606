import { isDeepStrictEqual } from 'node:util';

/**
 * Field ownership for server-side apply, simplified: lists are atomic (the
 * real server merges some lists by key, such as containers by name), every
 * other leaf is owned by the managers that last set it.
 */
export type FieldPath = string[];

/** Fields no manager owns: identity and what the server writes itself. */
const UNOWNED = new Set([
  'apiVersion',
  'kind',
  'status',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'metadata.resourceVersion',
  'metadata.generation',
  'metadata.creationTimestamp',
  'metadata.deletionTimestamp',
  'metadata.managedFields',
]);

/**
 * Objects here are JSON documents. A JSON round trip (not structuredClone)
 * keeps copies in the caller's realm, so deep equality holds under jest.
 */
export function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

export interface ManagerEntry {
  operation: 'Apply' | 'Update';
  time: string;
  paths: Set<string>;
}

export type Managers = Map<string, ManagerEntry>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every owned leaf of an object, keyed by its JSON-encoded path. */
export function leafPaths(object: unknown): Map<string, unknown> {
  const leaves = new Map<string, unknown>();
  const walk = (value: unknown, path: FieldPath) => {
    if (UNOWNED.has(path.join('.'))) {
      return;
    }
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) {
        walk(child, [...path, key]);
      }
      return;
    }
    if (path.length > 0) {
      leaves.set(JSON.stringify(path), value);
    }
  };
  walk(object, []);
  return leaves;
}

export function getPath(object: unknown, path: FieldPath): unknown {
  let current: unknown = object;
  for (const key of path) {
    if (!isPlainObject(current)) {
      return undefined;
    }
    current = current[key];
  }
  return current;
}

function setPath(
  object: Record<string, unknown>,
  path: FieldPath,
  value: unknown,
) {
  let current = object;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(current[key])) {
      current[key] = {};
    }
    current = current[key] as Record<string, unknown>;
  }
  current[path[path.length - 1]] = clone(value);
}

function deletePath(object: Record<string, unknown>, path: FieldPath) {
  const parent = getPath(object, path.slice(0, -1));
  if (isPlainObject(parent)) {
    delete parent[path[path.length - 1]];
  }
}

export interface ApplyConflict {
  manager: string;
  path: FieldPath;
}

/**
 * Merges an applied configuration into the live object on behalf of
 * `manager`. Returns the conflicts instead when other managers own fields
 * the configuration would change and `force` is not set.
 */
export function applyConfiguration(options: {
  live: Record<string, unknown> | undefined;
  applied: Record<string, unknown>;
  managers: Managers;
  manager: string;
  force: boolean;
  now: string;
}):
  | { conflicts: ApplyConflict[] }
  | { object: Record<string, unknown>; managers: Managers } {
  const { live, applied, manager, force, now } = options;
  const managers: Managers = new Map(
    [...options.managers].map(([name, entry]) => [
      name,
      { ...entry, paths: new Set(entry.paths) },
    ]),
  );
  const appliedLeaves = leafPaths(applied);
  const conflicts: ApplyConflict[] = [];
  for (const [key, value] of appliedLeaves) {
    const path = JSON.parse(key) as FieldPath;
    if (live && isDeepStrictEqual(getPath(live, path), value)) {
      continue;
    }
    for (const [other, entry] of managers) {
      if (other !== manager && entry.paths.has(key)) {
        if (force) {
          entry.paths.delete(key);
        } else {
          conflicts.push({ manager: other, path });
        }
      }
    }
  }
  if (conflicts.length > 0) {
    return { conflicts };
  }

  const object = clone(live ?? {}) as Record<string, unknown>;
  const previous = managers.get(manager)?.paths ?? new Set<string>();
  const ownedByOthers = new Set(
    [...managers]
      .filter(([name]) => name !== manager)
      .flatMap(([, entry]) => [...entry.paths]),
  );
  // A field this manager applied before and dropped now is removed, as in
  // the real server, unless someone else still owns it.
  for (const key of previous) {
    if (!appliedLeaves.has(key) && !ownedByOthers.has(key)) {
      deletePath(object, JSON.parse(key));
    }
  }
  for (const [key, value] of appliedLeaves) {
    setPath(object, JSON.parse(key), value);
  }
  for (const [name, entry] of managers) {
    if (entry.paths.size === 0 && name !== manager) {
      managers.delete(name);
    }
  }
  managers.set(manager, {
    operation: 'Apply',
    time: now,
    paths: new Set(appliedLeaves.keys()),
  });
  return { object, managers };
}

/** Ownership after a create, update or merge patch by `manager`. */
export function recordUpdate(options: {
  object: Record<string, unknown>;
  managers: Managers;
  manager: string;
  now: string;
}): Managers {
  const leaves = new Set(leafPaths(options.object).keys());
  const managers: Managers = new Map();
  for (const [name, entry] of options.managers) {
    const kept = new Set([...entry.paths].filter(p => leaves.has(p)));
    if (kept.size > 0 && name !== options.manager) {
      managers.set(name, { ...entry, paths: kept });
    }
  }
  const mine = new Set(
    [...leaves].filter(
      p => ![...managers.values()].some(entry => entry.paths.has(p)),
    ),
  );
  managers.set(options.manager, {
    operation: 'Update',
    time: options.now,
    paths: mine,
  });
  return managers;
}

/** `metadata.managedFields` in the FieldsV1 form kubectl understands. */
export function renderManagedFields(
  managers: Managers,
  apiVersion: string,
): Array<Record<string, unknown>> {
  return [...managers].map(([manager, entry]) => {
    const fieldsV1: Record<string, unknown> = {};
    for (const key of entry.paths) {
      let node = fieldsV1;
      for (const segment of JSON.parse(key) as FieldPath) {
        const name = `f:${segment}`;
        node[name] = (node[name] as Record<string, unknown>) ?? {};
        node = node[name] as Record<string, unknown>;
      }
    }
    return {
      manager,
      operation: entry.operation,
      apiVersion,
      time: entry.time,
      fieldsType: 'FieldsV1',
      fieldsV1,
    };
  });
}
