import {
  BackstageCredentials,
  DatabaseService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  Entity,
  RELATION_DEPENDS_ON,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  BLAST_RADIUS_ITEMS_LIMIT,
  createDependencyGraph,
  DEPENDENCY_FIELDS,
  DependencySummary,
  DependentsPage,
  describeDependencyWarning,
  findDependencyWarnings,
  readOwnerAndLifecycle,
  readTypedDependencies,
  refKey,
  RELATION_CRITICALLY_DEPENDS_ON,
  UNSTABLE_LIFECYCLES,
} from '@internal/plugin-platform-common';

type Knex = Awaited<ReturnType<DatabaseService['getClient']>>;

const NAME_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
];

/** Rows of dependents per page: a hub's first page stays a few kilobytes. */
export const DEPENDENTS_PAGE_SIZE = 50;

// getEntitiesByRefs is a POST, so only the size of one response limits this.
const REFS_PER_REQUEST = 1000;

/**
 * Answers what the Dependencies card and `catalog:get-platform-service` show
 * of one entity with a fixed number of catalog queries whatever its fan-in:
 * dependents come a page at a time from the catalog's relation index, and the
 * blast radius is one recursive query over the `criticallyDependsOn`
 * relations the platform's processor emits, read from the catalog's
 * `relations` table as the catalog stores them (refs in lower case).
 *
 * Everything shown passes through the catalog with the caller's credentials,
 * so an entity the caller may not read is neither listed nor counted; the
 * walk itself goes through it, because a service fails with its critical
 * dependency whether or not the caller may see the chain between them.
 */
export class CatalogDependencyReader {
  readonly #catalog: CatalogService;
  readonly #database: DatabaseService;
  readonly #permissions: PermissionsService;

  constructor(options: {
    catalog: CatalogService;
    database: DatabaseService;
    permissions: PermissionsService;
  }) {
    this.#catalog = options.catalog;
    this.#database = options.database;
    this.#permissions = options.permissions;
  }

  /** The entity, as the caller may read it, with only `fields` if given. */
  async readEntity(
    entityRef: string,
    credentials: BackstageCredentials,
    fields?: string[],
  ): Promise<Entity> {
    const { items } = await this.#catalog.getEntitiesByRefs(
      { entityRefs: [entityRef], fields },
      { credentials },
    );
    if (!items[0]) {
      throw new NotFoundError(
        `The catalog has no ${entityRef}, or you may not read it`,
      );
    }
    return items[0];
  }

  /**
   * The summary of the entity `entityRef` (a full ref). Everything that needs
   * only the ref is asked at the same time as the entity itself; if the
   * caller may not read the entity, none of it is answered.
   */
  async summarize(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<DependencySummary> {
    const entityRead = this.readEntity(
      entityRef,
      credentials,
      DEPENDENCY_FIELDS,
    );
    const neighboursRead = entityRead.then(entity =>
      Promise.all([
        this.#readByRefs(
          readTypedDependencies(entity).map(d => d.target),
          DEPENDENCY_FIELDS,
          credentials,
        ),
        this.#productionCriticalDependents(entity, credentials),
      ]),
    );
    const [entity, [targets, unstableSide], dependents, blastRadius] =
      await Promise.all([
        entityRead,
        neighboursRead,
        this.dependents(entityRef, credentials),
        this.#blastRadius(entityRef, credentials),
      ]);
    const ref = stringifyEntityRef(entity);

    // Warnings need only the entity, what it depends on, and (when it is
    // unstable itself) the production entities relying on it critically.
    const graph = createDependencyGraph([entity, ...targets, ...unstableSide]);
    return {
      entityRef: ref,
      dependencies: graph.dependenciesOf(ref).map(edge => ({
        ref: edge.target,
        type: edge.type,
        critical: edge.critical,
        node: graph.node(edge.target),
      })),
      dependents,
      warnings: findDependencyWarnings({ graph, entityRef: ref }).map(
        warning => ({
          ...warning,
          message: describeDependencyWarning(warning, graph),
        }),
      ),
      blastRadius,
    };
  }

  /**
   * One page of the entities that depend on `entityRef`, by name; `cursor`
   * is the `nextCursor` of the page before.
   */
  async dependents(
    entityRef: string,
    credentials: BackstageCredentials,
    cursor?: string,
  ): Promise<DependentsPage> {
    const response = await this.#catalog.queryEntities(
      cursor
        ? { cursor, fields: DEPENDENCY_FIELDS, limit: DEPENDENTS_PAGE_SIZE }
        : {
            filter: { [`relations.${RELATION_DEPENDS_ON}`]: entityRef },
            fields: DEPENDENCY_FIELDS,
            orderFields: { field: 'metadata.name', order: 'asc' },
            limit: DEPENDENTS_PAGE_SIZE,
          },
      { credentials },
    );
    const key = refKey(entityRef);
    const rows = response.items.flatMap(dependent => {
      const node = {
        ref: stringifyEntityRef(dependent),
        ...describe(dependent),
      };
      return readTypedDependencies(dependent)
        .filter(dependency => refKey(dependency.target) === key)
        .map(({ type, critical }) => ({ ref: node.ref, type, critical, node }));
    });
    return {
      rows,
      totalItems: response.totalItems,
      nextCursor: response.pageInfo.nextCursor,
    };
  }

  async #productionCriticalDependents(
    entity: Entity,
    credentials: BackstageCredentials,
  ): Promise<Entity[]> {
    const { lifecycle } = readOwnerAndLifecycle(entity);
    if (!lifecycle || !UNSTABLE_LIFECYCLES.includes(lifecycle)) {
      return [];
    }
    const found: Entity[] = [];
    let cursor: string | undefined;
    do {
      const response = await this.#catalog.queryEntities(
        cursor
          ? { cursor, fields: DEPENDENCY_FIELDS }
          : {
              filter: {
                [`relations.${RELATION_CRITICALLY_DEPENDS_ON}`]:
                  stringifyEntityRef(entity),
                'spec.lifecycle': 'production',
              },
              fields: DEPENDENCY_FIELDS,
              limit: REFS_PER_REQUEST,
            },
        { credentials },
      );
      found.push(...response.items);
      cursor = response.pageInfo.nextCursor;
    } while (cursor);
    return found;
  }

  async #blastRadius(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<DependencySummary['blastRadius']> {
    const [refs, readsEveryEntity] = await Promise.all([
      this.#criticalEdgesInto(entityRef).then(edges =>
        nearestFirst(entityRef, edges),
      ),
      this.#readsEveryEntity(credentials),
    ]);
    // Who may read every entity needs names only for those shown; anyone
    // else has each entity checked, so that the count leaves out the rest.
    const readable = await this.#readByRefs(
      readsEveryEntity ? refs.slice(0, BLAST_RADIUS_ITEMS_LIMIT) : refs,
      NAME_FIELDS,
      credentials,
    );
    return {
      total: readsEveryEntity ? refs.length : readable.length,
      items: readable.slice(0, BLAST_RADIUS_ITEMS_LIMIT).map(entity => ({
        ref: stringifyEntityRef(entity),
        title: describe(entity).title,
      })),
    };
  }

  /** Whether the catalog's read permission is granted without conditions. */
  async #readsEveryEntity(credentials: BackstageCredentials): Promise<boolean> {
    const [decision] = await this.#permissions.authorizeConditional(
      [{ permission: catalogEntityReadPermission }],
      { credentials },
    );
    return decision.result === AuthorizeResult.ALLOW;
  }

  /**
   * Every critical edge on a path into `entityRef`, in one query: the
   * recursive part collects the entities that reach it through critical
   * edges (UNION ends cycles), then their outgoing critical edges come back
   * for the walk that orders them.
   */
  async #criticalEdgesInto(
    entityRef: string,
  ): Promise<Array<{ source: string; target: string }>> {
    const knex: Knex = await this.#database.getClient();
    const type = RELATION_CRITICALLY_DEPENDS_ON;
    const rows: Array<{ source: string; target: string }> = await knex
      .withRecursive('reaching', ['ref'], query =>
        query
          .select('source_entity_ref')
          .from('relations')
          .where({ type, target_entity_ref: refKey(entityRef) })
          .union(recursive =>
            recursive
              .select('relations.source_entity_ref')
              .from('relations')
              .join('reaching', 'relations.target_entity_ref', 'reaching.ref')
              .where('relations.type', type),
          ),
      )
      .distinct({
        source: 'source_entity_ref',
        target: 'target_entity_ref',
      })
      .from('relations')
      .where({ type })
      .whereIn('source_entity_ref', knex.select('ref').from('reaching'));
    return rows;
  }

  /** The entities of `refs` the caller may read, in the order of `refs`. */
  async #readByRefs(
    refs: string[],
    fields: string[],
    credentials: BackstageCredentials,
  ): Promise<Entity[]> {
    const found: Entity[] = [];
    for (let i = 0; i < refs.length; i += REFS_PER_REQUEST) {
      const { items } = await this.#catalog.getEntitiesByRefs(
        { entityRefs: refs.slice(i, i + REFS_PER_REQUEST), fields },
        { credentials },
      );
      found.push(...items.filter((item): item is Entity => Boolean(item)));
    }
    return found;
  }
}

function describe(entity: Entity) {
  return {
    title: entity.metadata.title ?? entity.metadata.name,
    ...readOwnerAndLifecycle(entity),
  };
}

/**
 * The sources of `edges` that reach `entityRef`, nearest first: a breadth
 * first walk against the direction of the edges.
 */
function nearestFirst(
  entityRef: string,
  edges: Array<{ source: string; target: string }>,
): string[] {
  const sourcesByTarget = new Map<string, string[]>();
  for (const { source, target } of edges) {
    const sources = sourcesByTarget.get(target);
    if (sources) {
      sources.push(source);
    } else {
      sourcesByTarget.set(target, [source]);
    }
  }
  const start = refKey(entityRef);
  const seen = new Set([start]);
  const order: string[] = [];
  for (let frontier = [start]; frontier.length > 0; ) {
    const next: string[] = [];
    for (const target of frontier) {
      for (const source of sourcesByTarget.get(target) ?? []) {
        if (!seen.has(source)) {
          seen.add(source);
          order.push(source);
          next.push(source);
        }
      }
    }
    frontier = next;
  }
  return order;
}
