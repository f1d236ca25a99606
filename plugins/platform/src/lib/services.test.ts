import { ANNOTATION_ON_CALL_URL } from '@internal/plugin-platform-common';
import {
  filterChoices,
  readServicesLocation,
  ServicesLocation,
  servicesCountQuery,
  servicesQuery,
  toServiceRow,
  writeServicesLocation,
} from './services';
import { testEntity } from '../__testUtils__/entities';

describe('readServicesLocation and writeServicesLocation', () => {
  it('show services of every team, lifecycle and name on the first page when the URL says nothing', () => {
    const location = readServicesLocation(new URLSearchParams());
    expect(location).toEqual({
      filters: {
        type: 'service',
        team: undefined,
        lifecycle: undefined,
        search: undefined,
      },
      cursor: undefined,
    });
    expect(writeServicesLocation(location).toString()).toBe('');
  });

  it.each<[string, ServicesLocation]>([
    ['type=all', { filters: { type: undefined } }],
    [
      'type=library&q=ui+kit',
      { filters: { type: 'library', search: 'ui kit' } },
    ],
    [
      'team=group%3Adefault%2Fteam-a&lifecycle=production&cursor=abc',
      {
        filters: {
          type: 'service',
          team: 'group:default/team-a',
          lifecycle: 'production',
        },
        cursor: 'abc',
      },
    ],
  ])('round-trip %s', (query, location) => {
    expect(writeServicesLocation(location).toString()).toBe(query);
    expect(
      writeServicesLocation(
        readServicesLocation(new URLSearchParams(query)),
      ).toString(),
    ).toBe(query);
  });
});

describe('servicesQuery', () => {
  it('asks for one sorted page of trimmed components without a count', () => {
    expect(
      servicesQuery({
        location: {
          filters: {
            type: 'service',
            team: 'group:default/team-a',
            lifecycle: 'production',
            search: '  pay ',
          },
        },
        limit: 20,
      }),
    ).toEqual({
      filter: {
        kind: 'component',
        'spec.type': 'service',
        'relations.ownedBy': 'group:default/team-a',
        'spec.lifecycle': 'production',
      },
      fullTextFilter: {
        term: 'pay',
        fields: ['metadata.name', 'metadata.title', 'metadata.description'],
      },
      orderFields: { field: 'metadata.name', order: 'asc' },
      fields: expect.arrayContaining(['metadata.name', 'spec.lifecycle']),
      limit: 20,
      totalItems: 'exclude',
    });
  });

  it('leaves the type out for every type and follows a cursor alone', () => {
    expect(
      servicesQuery({ location: { filters: {} }, limit: 20 }),
    ).toMatchObject({ filter: { kind: 'component' } });
    expect(
      servicesQuery({
        location: { filters: { type: 'service' }, cursor: 'abc' },
        limit: 20,
      }),
    ).toEqual({ cursor: 'abc', limit: 20, fields: expect.any(Array) });
  });
});

describe('servicesCountQuery', () => {
  it('counts what the filters match without fetching any entity', () => {
    expect(servicesCountQuery({ type: 'website', search: ' ' })).toEqual({
      filter: { kind: 'component', 'spec.type': 'website' },
      limit: 0,
    });
  });
});

describe('toServiceRow', () => {
  it('warns about a production service without a valid on-call rotation', () => {
    const production = (annotations?: Record<string, string>) =>
      toServiceRow(
        testEntity({
          name: 'payments',
          lifecycle: 'production',
          owner: 'team-payments',
          annotations,
        }),
      ).warnings;
    expect(production()).toEqual([
      'In production without an on-call rotation.',
    ]);
    expect(
      production({ [ANNOTATION_ON_CALL_URL]: 'oncall.example.com/p' }),
    ).toHaveLength(1);
    expect(
      production({ [ANNOTATION_ON_CALL_URL]: 'https://oncall.example.com/p' }),
    ).toEqual([]);
  });

  it('does not ask for a rotation before production', () => {
    const row = toServiceRow(
      testEntity({ name: 'labs', lifecycle: 'experimental', owner: 'team-a' }),
    );
    expect(row).toEqual({
      ref: 'component:default/labs',
      title: 'labs',
      description: undefined,
      type: 'service',
      owner: 'group:default/team-a',
      lifecycle: 'experimental',
      warnings: [],
    });
  });
});

describe('filterChoices', () => {
  const facets = {
    'spec.type': [
      { value: 'website', count: 1 },
      { value: 'library', count: 2 },
    ],
    'relations.ownedBy': [
      { value: 'group:default/team-payments', count: 1 },
      { value: 'group:default/team-checkout', count: 3 },
    ],
    'spec.lifecycle': [
      { value: 'production', count: 3 },
      { value: 'sunset', count: 1 },
      { value: 'experimental', count: 1 },
    ],
  };

  it('offers known lifecycles in their natural order, every team and the service type', () => {
    expect(filterChoices({ facets, filters: {} })).toEqual({
      types: ['library', 'service', 'website'],
      teams: ['group:default/team-checkout', 'group:default/team-payments'],
      lifecycles: ['experimental', 'production', 'sunset'],
    });
  });

  it('keeps a selected value the catalog no longer has', () => {
    expect(
      filterChoices({
        facets: {},
        filters: { type: 'job', team: 'group:default/gone' },
      }),
    ).toEqual({
      types: ['job', 'service'],
      teams: ['group:default/gone'],
      lifecycles: [],
    });
  });
});
