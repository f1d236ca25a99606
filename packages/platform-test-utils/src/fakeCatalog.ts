import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  CompoundEntityRef,
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotFoundError,
  stringifyError,
} from '@backstage/errors';
import {
  catalogServiceMock,
  CatalogServiceMock,
} from '@backstage/plugin-catalog-node/testUtils';
import { enforceStockEntityChecks } from '@internal/plugin-platform-common';
import { createHash, randomUUID } from 'node:crypto';
import yaml from 'yaml';

/** The name the catalog gives the Location entity of a registered URL. */
function locationEntityName(target: string): string {
  return `generated-${createHash('sha1')
    .update(`url:${target}`)
    .digest('hex')}`;
}

function locationEntityRef(target: string): string {
  return `location:default/${locationEntityName(target)}`;
}

/** A catalog file the fake can read: its entities, or why processing rejects it. */
export interface FakeCatalogFile {
  entities: Entity[];
  /** Processing errors, as the catalog's dry run reports them. */
  errors?: string[];
}

/**
 * Reads the file at a registered URL, as the catalog's URL reader does: its
 * YAML text, or the file already parsed; undefined when there is none (404).
 */
export type FakeCatalogReader = (
  target: string,
) => string | FakeCatalogFile | undefined;

/**
 * A catalog file's YAML as the catalog parses it: one entity per document,
 * empty documents skipped, a document that is no entity an error.
 */
export function parseCatalogFile(
  content: string,
  target: string,
): FakeCatalogFile {
  const entities: Entity[] = [];
  const errors: string[] = [];
  for (const document of yaml.parseAllDocuments(content)) {
    if (document.errors.length > 0) {
      errors.push(`YAML error at url:${target}, ${document.errors[0].message}`);
      continue;
    }
    const data = document.toJSON();
    if (data === null || data === undefined) {
      continue;
    }
    if (typeof data !== 'object' || Array.isArray(data)) {
      errors.push(`Expected object at root, got ${typeof data}`);
      continue;
    }
    entities.push(data as Entity);
  }
  return { entities, ...(errors.length > 0 && { errors }) };
}

/** What a loopback GitHub server (`local-targets`) offers to read files. */
export interface GithubRepositoryContents {
  /** The web host of its URLs, `github.com` for example. */
  host: string;
  files(owner: string, name: string, branch?: string): Record<string, string>;
}

/**
 * Reads `https://HOST/OWNER/REPO/blob/BRANCH/PATH` (or `/tree/`) from the
 * head commit of that branch of a loopback GitHub server's repository, as
 * the catalog's GitHub URL reader reads it from GitHub.
 */
export function readFromGithub(
  github: GithubRepositoryContents,
): FakeCatalogReader {
  return target => {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return undefined;
    }
    if (url.host !== github.host) {
      return undefined;
    }
    const [, owner, repo, kind, branch, ...rest] = url.pathname
      .split('/')
      .map(decodeURIComponent);
    if (!['blob', 'tree'].includes(kind) || !branch || rest.length === 0) {
      return undefined;
    }
    return github.files(owner, repo, branch)[rest.join('/')];
  };
}

/**
 * Why the catalog would reject an entity, in its words. A kind it has no
 * built-in schema for passes: which other kinds an app knows depends on its
 * processors.
 */
async function entityProblems(entity: Entity): Promise<string[]> {
  try {
    await enforceStockEntityChecks(entity);
    return [];
  } catch (e) {
    return [stringifyError(e)];
  }
}

function refKey(ref: string | CompoundEntityRef): string {
  return stringifyEntityRef(
    typeof ref === 'string' ? parseEntityRef(ref) : ref,
  ).toLocaleLowerCase('en-US');
}

type Method = keyof CatalogServiceMock;

interface Fault {
  method: Method;
  error: Error;
  /** Fail after the call had its effect, as a lost answer does. */
  afterEffect: boolean;
  /** Which calls fail; default the next one. */
  when: (args: unknown[]) => boolean;
}

/**
 * An in-memory catalog with locations, for the action's unit tests and for
 * whole runs through the scaffolder: the dry run, validation, registration,
 * processing (at once or when a test says), eager pruning of a removed
 * location's entities, and entities the user may not read. A registered
 * URL's file comes from `files`, else from the `readFile` option (such as
 * `readFromGithub`), read afresh each time the catalog would read it.
 * `service` is the `CatalogService`, each method a jest mock; entity queries
 * other than by ref answer as the in-memory catalog of `catalogServiceMock`.
 */
export class FakeCatalog {
  /** Catalog files by URL. */
  readonly files = new Map<string, FakeCatalogFile>();
  readonly entities = new Map<string, Entity>();
  readonly locations = new Map<string, { id: string; target: string }>();
  /** Refs that only service credentials may read. */
  readonly hiddenFromUser = new Set<string>();
  /** What `validateEntity` reports for an entity, by ref. */
  readonly validationErrors = new Map<string, string[]>();
  /** Status errors processing puts on an entity, by ref. */
  readonly statusErrors = new Map<string, string[]>();
  /** `manual`: a new location is processed only when a test calls `process`. */
  processing: 'immediately' | 'manual' = 'immediately';
  private readonly faults: Fault[] = [];
  private readonly readFile?: FakeCatalogReader;
  private nextId = 1;
  readonly service: ReturnType<typeof catalogServiceMock.mock>;

  constructor(
    options: { entities?: Entity[]; readFile?: FakeCatalogReader } = {},
  ) {
    this.readFile = options.readFile;
    for (const entity of options.entities ?? []) {
      this.entities.set(stringifyEntityRef(entity), entity);
    }
    const faulty =
      <A extends unknown[], R>(method: Method, fn: (...args: A) => R) =>
      async (...args: A): Promise<Awaited<R>> => {
        const index = this.faults.findIndex(
          f => f.method === method && f.when(args),
        );
        const fault = index >= 0 ? this.faults.splice(index, 1)[0] : undefined;
        if (fault && !fault.afterEffect) {
          throw fault.error;
        }
        const result = await fn(...args);
        if (fault) {
          throw fault.error;
        }
        return result;
      };
    const inMemory = () =>
      catalogServiceMock({ entities: [...this.entities.values()] });
    this.service = catalogServiceMock.mock({
      getEntities: faulty('getEntities', (request?, opts?) =>
        inMemory().getEntities(request, opts),
      ),
      getEntitiesByRefs: faulty('getEntitiesByRefs', (request, opts?) =>
        inMemory().getEntitiesByRefs(request, opts),
      ),
      queryEntities: faulty('queryEntities', (request?, opts?) =>
        inMemory().queryEntities(request, opts),
      ),
      getEntityByRef: faulty(
        'getEntityByRef',
        (ref: string | CompoundEntityRef, request?: unknown) =>
          this.getEntity(ref, request),
      ),
      addLocation: faulty('addLocation', ({ target, dryRun }) =>
        dryRun ? this.dryRun(target) : this.register(target),
      ),
      getLocationById: faulty('getLocationById', (id: string) => {
        const location = this.locations.get(id);
        return location && this.toLocation(location);
      }),
      getLocationByRef: faulty('getLocationByRef', (ref: string) => {
        const location = [...this.locations.values()].find(
          l => `url:${l.target}` === ref,
        );
        return location && this.toLocation(location);
      }),
      removeLocationById: faulty('removeLocationById', (id: string) =>
        this.remove(id),
      ),
      validateEntity: faulty('validateEntity', async (entity: Entity) => {
        const errors = [
          ...(await entityProblems(entity)),
          ...(this.validationErrors.get(stringifyEntityRef(entity)) ?? []),
        ];
        return errors.length > 0
          ? {
              valid: false as const,
              errors: errors.map(message => ({ name: 'InputError', message })),
            }
          : { valid: true as const };
      }),
    });
  }

  /** The next call of `method` (for which `when` holds) fails with `error`. */
  failNext(
    method: Method,
    error: Error,
    options: {
      afterEffect?: boolean;
      when?: (args: any[]) => boolean;
    } = {},
  ) {
    this.faults.push({
      method,
      error,
      afterEffect: options.afterEffect ?? false,
      when: options.when ?? (() => true),
    });
  }

  /** `failNext` for the next registration that is not a dry run. */
  failNextRegistration(error: Error, options: { afterEffect?: boolean } = {}) {
    this.failNext('addLocation', error, {
      ...options,
      when: ([request]) => !request.dryRun,
    });
  }

  /**
   * Adds the entities of a registered location, as the processing loop does.
   * A file it cannot read or that is rejected adds nothing: the catalog
   * keeps the location and its errors, and shows no new entity.
   */
  process(target: string) {
    let entities: Entity[];
    try {
      entities = this.entitiesOf(target);
    } catch {
      return;
    }
    for (const entity of entities) {
      const ref = stringifyEntityRef(entity);
      const existing = this.entities.get(ref);
      if (
        existing &&
        existing.metadata.annotations?.[ANNOTATION_ORIGIN_LOCATION] !==
          `url:${target}`
      ) {
        // The catalog keeps the entity it had and logs a conflict.
        continue;
      }
      const errors = this.statusErrors.get(ref) ?? [];
      this.entities.set(ref, {
        ...entity,
        metadata: {
          ...entity.metadata,
          uid: existing?.metadata.uid ?? randomUUID(),
        },
        ...(errors.length > 0 && {
          status: {
            items: errors.map(message => ({
              type: 'backstage.io/catalog-processing',
              level: 'error' as const,
              message: `InputError: ${message}`,
              error: { name: 'InputError', message },
            })),
          },
        }),
      });
    }
  }

  /** Registrations as they reached the catalog: dry runs and real ones. */
  addLocationCalls() {
    return this.service.addLocation.mock.calls.map(([request, options]) => ({
      target: request.target,
      dryRun: Boolean(request.dryRun),
      principal: (options as { credentials?: BackstageCredentials })
        ?.credentials?.principal,
    }));
  }

  /** The registered locations' targets, in the order they were added. */
  registeredTargets(): string[] {
    return [...this.locations.values()].map(l => l.target);
  }

  private getEntity(ref: string | CompoundEntityRef, options?: unknown) {
    const wanted = refKey(ref);
    const found = [...this.entities].find(([key]) => refKey(key) === wanted);
    if (!found) {
      return undefined;
    }
    const principal = (options as { credentials?: BackstageCredentials })
      ?.credentials?.principal as { type?: string } | undefined;
    if (principal?.type === 'user' && this.hiddenFromUser.has(found[0])) {
      return undefined;
    }
    return found[1];
  }

  /** The file at a URL as the catalog reads it: `files` first, then `readFile`. */
  private read(target: string): FakeCatalogFile | undefined {
    const file = this.files.get(target);
    if (file) {
      return file;
    }
    const content = this.readFile?.(target);
    return typeof content === 'string'
      ? parseCatalogFile(content, target)
      : content;
  }

  private entitiesOf(target: string): Entity[] {
    const file = this.read(target);
    if (!file) {
      throw new InputError(
        `NotFoundError: Unable to read url:${target}, could not read ${target}, 404 Not Found`,
      );
    }
    if (file.errors?.length) {
      throw new InputError(file.errors.map(e => `InputError: ${e}`).join(', '));
    }
    const locationRef = `url:${target}`;
    const annotations = {
      [ANNOTATION_LOCATION]: locationRef,
      [ANNOTATION_ORIGIN_LOCATION]: locationRef,
    };
    const locationEntity: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Location',
      metadata: {
        name: locationEntityName(target),
        namespace: 'default',
        annotations,
      },
      spec: { type: 'url', target },
    };
    return [
      locationEntity,
      ...file.entities.map(e => ({
        ...e,
        metadata: {
          namespace: 'default',
          ...e.metadata,
          annotations: { ...e.metadata.annotations, ...annotations },
        },
      })),
    ];
  }

  private toLocation(location: { id: string; target: string }) {
    return {
      id: location.id,
      type: 'url',
      target: location.target,
      entityRef: locationEntityRef(location.target),
    };
  }

  /** Reads and checks the file as processing would, storing nothing. */
  private async dryRun(target: string) {
    const entities = this.entitiesOf(target);
    const problems: string[] = [];
    for (const entity of entities) {
      for (const problem of await entityProblems(entity)) {
        problems.push(`InputError: ${problem}`);
      }
    }
    if (problems.length > 0) {
      throw new InputError(problems.join(', '));
    }
    return {
      location: {
        id: `url:${target}`,
        type: 'url',
        target,
        entityRef: locationEntityRef(target),
      },
      entities,
      exists: [...this.locations.values()].some(l => l.target === target),
    };
  }

  private register(target: string) {
    if ([...this.locations.values()].some(l => l.target === target)) {
      throw new ConflictError(`Location url:${target} already exists`);
    }
    const location = { id: `location-${this.nextId++}`, target };
    this.locations.set(location.id, location);
    if (this.processing === 'immediately') {
      this.process(target);
    }
    return { location: this.toLocation(location), entities: [] };
  }

  private remove(id: string) {
    const location = this.locations.get(id);
    if (!location) {
      throw new NotFoundError(`Found no location with ID ${id}`);
    }
    this.locations.delete(id);
    for (const [ref, entity] of this.entities) {
      if (
        entity.metadata.annotations?.[ANNOTATION_ORIGIN_LOCATION] ===
        `url:${location.target}`
      ) {
        this.entities.delete(ref);
      }
    }
  }
}

/** A Component as a catalog file declares it. */
export function component(
  name: string,
  owner = 'group:default/team-a',
  extra: Partial<Entity['metadata']> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, ...extra },
    spec: { type: 'service', lifecycle: 'experimental', owner },
  };
}

/** An entity already in the catalog from another location. */
export function registeredElsewhere(entity: Entity, target: string): Entity {
  return {
    ...entity,
    metadata: {
      namespace: 'default',
      ...entity.metadata,
      uid: randomUUID(),
      annotations: {
        [ANNOTATION_LOCATION]: `url:${target}`,
        [ANNOTATION_ORIGIN_LOCATION]: `url:${target}`,
      },
    },
  };
}
