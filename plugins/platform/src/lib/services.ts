import {
  GetEntityFacetsRequest,
  GetEntityFacetsResponse,
  QueryEntitiesInitialRequest,
  QueryEntitiesRequest,
} from '@backstage/catalog-client';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ANNOTATION_ON_CALL_URL,
  DEFAULT_LIFECYCLES,
  findServiceWarnings,
  readOwnerAndLifecycle,
} from '@internal/plugin-platform-common';

/** One line of the services table. */
export interface ServiceRow {
  ref: string;
  title: string;
  description?: string;
  type?: string;
  owner?: string;
  lifecycle?: string;
  /** Policy problems visible from the row's own fields, one sentence each. */
  warnings: string[];
}

/** The component type the page shows unless the URL names another. */
export const DEFAULT_SERVICE_TYPE = 'service';

/**
 * The value of the `type` query parameter for components of every type. A
 * word rather than an empty value, so that a shared link reads plainly.
 */
export const ALL_TYPES = 'all';

export interface ServiceFilters {
  /** `spec.type`; undefined for every type. */
  type?: string;
  /** A full owner ref such as `group:default/team-payments`. */
  team?: string;
  lifecycle?: string;
  /** Matched by the catalog, case-insensitively, in name, title and description. */
  search?: string;
}

/** What the page's query string holds. */
export interface ServicesLocation {
  filters: ServiceFilters;
  /** The catalog's cursor for a page after the first. */
  cursor?: string;
}

/** What the services table fetches per entity, to keep the response small. */
export const SERVICE_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'metadata.description',
  `metadata.annotations.${ANNOTATION_ON_CALL_URL}`,
  'spec.type',
  'spec.owner',
  'spec.lifecycle',
];

const SEARCH_FIELDS = [
  'metadata.name',
  'metadata.title',
  'metadata.description',
];

/**
 * The choices the filters offer, counted over every Component so that a
 * choice does not vanish while another filter is set.
 */
export const SERVICE_FACETS_REQUEST: GetEntityFacetsRequest = {
  filter: { kind: 'component' },
  facets: ['spec.type', 'relations.ownedBy', 'spec.lifecycle'],
};

export function readServicesLocation(
  params: URLSearchParams,
): ServicesLocation {
  const type = params.get('type') || DEFAULT_SERVICE_TYPE;
  return {
    filters: {
      type: type === ALL_TYPES ? undefined : type,
      team: params.get('team') || undefined,
      lifecycle: params.get('lifecycle') || undefined,
      search: params.get('q') || undefined,
    },
    cursor: params.get('cursor') || undefined,
  };
}

/** The query string of a location; the inverse of {@link readServicesLocation}. */
export function writeServicesLocation(
  location: ServicesLocation,
): URLSearchParams {
  const { filters, cursor } = location;
  const params = new URLSearchParams();
  if (filters.type !== DEFAULT_SERVICE_TYPE) {
    params.set('type', filters.type ?? ALL_TYPES);
  }
  if (filters.team) params.set('team', filters.team);
  if (filters.lifecycle) params.set('lifecycle', filters.lifecycle);
  if (filters.search) params.set('q', filters.search);
  if (cursor) params.set('cursor', cursor);
  return params;
}

/** The filter and search of both requests, without order or page. */
function matching(
  filters: ServiceFilters,
): Pick<QueryEntitiesInitialRequest, 'filter' | 'fullTextFilter'> {
  const filter: Record<string, string> = { kind: 'component' };
  if (filters.type) filter['spec.type'] = filters.type;
  // The relation holds the full ref however spec.owner is written.
  if (filters.team) filter['relations.ownedBy'] = filters.team;
  if (filters.lifecycle) filter['spec.lifecycle'] = filters.lifecycle;
  const term = filters.search?.trim();
  if (!term) {
    return { filter };
  }
  return { filter, fullTextFilter: { term, fields: SEARCH_FIELDS } };
}

/**
 * The catalog request for one page of the table: the catalog filters,
 * searches, sorts and cuts the page, so the response holds at most `limit`
 * trimmed entities however large the catalog is. It leaves out the count,
 * which costs a pass over every match, so that the rows do not wait for it:
 * see {@link servicesCountQuery}.
 */
export function servicesQuery(options: {
  location: ServicesLocation;
  limit: number;
}): QueryEntitiesRequest {
  const { location, limit } = options;
  // The cursor carries the filters, search and order of the first page.
  if (location.cursor) {
    return { cursor: location.cursor, limit, fields: SERVICE_FIELDS };
  }
  return {
    ...matching(location.filters),
    orderFields: { field: 'metadata.name', order: 'asc' },
    fields: SERVICE_FIELDS,
    limit,
    totalItems: 'exclude',
  };
}

/** The catalog request that counts every entity the filters match. */
export function servicesCountQuery(
  filters: ServiceFilters,
): QueryEntitiesRequest {
  return { ...matching(filters), limit: 0 };
}

export function toServiceRow(entity: Entity): ServiceRow {
  const { owner, lifecycle } = readOwnerAndLifecycle(entity);
  const type = entity.spec?.type;
  return {
    ref: stringifyEntityRef(entity),
    title: entity.metadata.title ?? entity.metadata.name,
    description: entity.metadata.description,
    type: typeof type === 'string' ? type : undefined,
    owner,
    lifecycle,
    // Rules that need other entities (critical dependencies on unstable
    // ones, the blast radius) stay on the entity page, which loads the graph.
    warnings: findServiceWarnings(entity),
  };
}

export interface FilterChoices {
  types: string[];
  teams: string[];
  lifecycles: string[];
}

/**
 * The choices for the filters from the catalog's facets: known lifecycles in
 * their natural order first, and always the selected values, so that a link
 * to a filter nothing matches any more still shows what it asks for.
 */
export function filterChoices(options: {
  facets: GetEntityFacetsResponse['facets'];
  filters: ServiceFilters;
}): FilterChoices {
  const { facets, filters } = options;
  const values = (facet: string, ...selected: Array<string | undefined>) => {
    const found = (facets[facet] ?? []).map(f => f.value);
    const all = new Set([...found, ...selected.filter(s => s !== undefined)]);
    return [...all];
  };
  const known: readonly string[] = DEFAULT_LIFECYCLES;
  const rank = (lifecycle: string) => {
    const index = known.indexOf(lifecycle);
    return index === -1 ? known.length : index;
  };
  return {
    types: values('spec.type', DEFAULT_SERVICE_TYPE, filters.type).sort(),
    teams: values('relations.ownedBy', filters.team).sort(),
    lifecycles: values('spec.lifecycle', filters.lifecycle).sort(
      (a, b) => rank(a) - rank(b) || a.localeCompare(b),
    ),
  };
}
