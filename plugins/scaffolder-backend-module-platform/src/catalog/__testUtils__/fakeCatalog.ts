import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  CompoundEntityRef,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  catalogServiceMock,
  CatalogServiceMock,
} from '@backstage/plugin-catalog-node/testUtils';
import { createHash, randomUUID } from 'node:crypto';

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
 * An in-memory catalog with locations for the action's unit tests: the dry
 * run, registration, processing (at once or when a test says), eager pruning
 * of a removed location's entities, and entities the user may not read.
 * `service` is the `CatalogService`, each method a jest mock.
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
  private nextId = 1;
  readonly service: ReturnType<typeof catalogServiceMock.mock>;

  constructor(options: { entities?: Entity[] } = {}) {
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
    this.service = catalogServiceMock.mock({
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
      validateEntity: faulty('validateEntity', (entity: Entity) => {
        const errors = this.validationErrors.get(stringifyEntityRef(entity));
        return errors
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

  /** Adds the entities of a registered location, as the processing loop does. */
  process(target: string) {
    for (const entity of this.entitiesOf(target)) {
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

  private getEntity(ref: string | CompoundEntityRef, options?: unknown) {
    const key = typeof ref === 'string' ? ref : stringifyEntityRef(ref);
    const principal = (options as { credentials?: BackstageCredentials })
      ?.credentials?.principal as { type?: string } | undefined;
    if (principal?.type === 'user' && this.hiddenFromUser.has(key)) {
      return undefined;
    }
    return this.entities.get(key);
  }

  private entitiesOf(target: string): Entity[] {
    const file = this.files.get(target);
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

  private dryRun(target: string) {
    const entities = this.entitiesOf(target);
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
