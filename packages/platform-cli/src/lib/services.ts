import { CatalogApi, QueryEntitiesRequest } from '@backstage/catalog-client';
import {
  Entity,
  RELATION_DEPENDENCY_OF,
  RELATION_DEPENDS_ON,
  RELATION_OWNED_BY,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  readRepositoryUrl,
  readTypedDependencies,
  TypedDependency,
} from '@internal/plugin-platform-common';

/**
 * A service as the CLI prints it in JSON. Refs are full entity refs; fields
 * the entity does not set are left out; lists are sorted by ref.
 */
export interface ServiceSummary {
  ref: string;
  name: string;
  namespace: string;
  title?: string;
  type?: string;
  lifecycle?: string;
  owner?: string;
  repository?: string;
  dependencies: TypedDependency[];
  dependents: string[];
}

/** What `services ls` selects; every field is optional. */
export interface ServiceFilters {
  /** `spec.type`; undefined for every type. */
  type?: string;
  /** A full owner ref such as `group:default/team-payments`. */
  owner?: string;
  lifecycle?: string;
}

/** The entity fields a summary is made of, to keep responses small. */
const SUMMARY_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'metadata.annotations',
  'spec.type',
  'spec.lifecycle',
  'spec.owner',
  'spec.dependencies',
  'spec.dependsOn',
  'relations',
];

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function relatedRefs(entity: Entity, type: string): string[] {
  return (entity.relations ?? [])
    .filter(relation => relation.type === type)
    .map(relation => relation.targetRef)
    .sort();
}

export function toServiceSummary(entity: Entity): ServiceSummary {
  const typed = new Map(
    readTypedDependencies(entity).map(dependency => [
      dependency.target,
      dependency,
    ]),
  );
  return {
    ref: stringifyEntityRef(entity),
    name: entity.metadata.name,
    namespace: entity.metadata.namespace ?? 'default',
    title: entity.metadata.title,
    type: optionalString(entity.spec?.type),
    lifecycle: optionalString(entity.spec?.lifecycle),
    // The relation holds the full ref whichever way spec.owner is written.
    owner:
      relatedRefs(entity, RELATION_OWNED_BY)[0] ??
      optionalString(entity.spec?.owner),
    repository: readRepositoryUrl(entity),
    // The relations are what the catalog linked; the typed list adds type and
    // criticality. A relation another processor added without a typed entry
    // is read as the platform reads a plain dependsOn: runtime, not critical.
    dependencies: relatedRefs(entity, RELATION_DEPENDS_ON).map(
      target =>
        typed.get(target) ?? { target, type: 'runtime', critical: false },
    ),
    dependents: relatedRefs(entity, RELATION_DEPENDENCY_OF),
  };
}

/**
 * Every Component matching the filters, in name order, fetched a page at a
 * time with the catalog's cursor.
 */
export async function listServices(options: {
  catalog: CatalogApi;
  token?: string;
  filters: ServiceFilters;
  pageSize?: number;
}): Promise<ServiceSummary[]> {
  const { catalog, token, filters, pageSize = 200 } = options;
  const { type, owner, lifecycle } = filters;
  let request: QueryEntitiesRequest = {
    filter: {
      kind: 'component',
      ...(type ? { 'spec.type': type } : {}),
      ...(owner ? { 'relations.ownedBy': owner } : {}),
      ...(lifecycle ? { 'spec.lifecycle': lifecycle } : {}),
    },
    orderFields: { field: 'metadata.name', order: 'asc' },
    fields: SUMMARY_FIELDS,
    limit: pageSize,
  };
  const services: ServiceSummary[] = [];
  for (;;) {
    const page = await catalog.queryEntities(request, { token });
    services.push(...page.items.map(toServiceSummary));
    const cursor = page.pageInfo.nextCursor;
    if (!cursor) {
      return services;
    }
    // The cursor carries the filter and order of the first request.
    request = { cursor, fields: SUMMARY_FIELDS, limit: pageSize };
  }
}
