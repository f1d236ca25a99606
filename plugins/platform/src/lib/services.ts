import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { DEFAULT_LIFECYCLES } from '@internal/plugin-platform-common';
import { readOwnerAndLifecycle } from './entityReaders';

/** One line of the services table. */
export interface ServiceRow {
  ref: string;
  title: string;
  description?: string;
  type?: string;
  owner?: string;
  lifecycle?: string;
}

export interface ServiceFilters {
  /** A full group ref; undefined for every team. */
  team?: string;
  lifecycle?: string;
  /** Matched, case-insensitively, against name, title and description. */
  search?: string;
}

/** What the services table fetches per entity, to keep the response small. */
export const SERVICE_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'metadata.description',
  'spec.type',
  'spec.owner',
  'spec.lifecycle',
];

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
  };
}

export function filterServices(
  rows: ServiceRow[],
  filters: ServiceFilters,
): ServiceRow[] {
  const search = filters.search?.trim().toLocaleLowerCase('en-US');
  return rows.filter(row => {
    if (filters.team && row.owner !== filters.team) {
      return false;
    }
    if (filters.lifecycle && row.lifecycle !== filters.lifecycle) {
      return false;
    }
    if (search) {
      const haystack = [row.ref, row.title, row.description ?? '']
        .join(' ')
        .toLocaleLowerCase('en-US');
      return haystack.includes(search);
    }
    return true;
  });
}

/**
 * The choices for the filters: the teams and lifecycles that occur, known
 * lifecycles in their natural order first.
 */
export function filterChoices(rows: ServiceRow[]): {
  teams: string[];
  lifecycles: string[];
} {
  const teams = new Set<string>();
  const lifecycles = new Set<string>();
  for (const row of rows) {
    if (row.owner) teams.add(row.owner);
    if (row.lifecycle) lifecycles.add(row.lifecycle);
  }
  const known: readonly string[] = DEFAULT_LIFECYCLES;
  const rank = (lifecycle: string) => {
    const index = known.indexOf(lifecycle);
    return index === -1 ? known.length : index;
  };
  return {
    teams: [...teams].sort(),
    lifecycles: [...lifecycles].sort(
      (a, b) => rank(a) - rank(b) || a.localeCompare(b),
    ),
  };
}
