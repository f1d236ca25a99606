import { filterChoices, filterServices, toServiceRow } from './services';
import { shopEntities } from '../__testUtils__/entities';

const rows = shopEntities()
  .filter(e => e.kind === 'Component')
  .map(toServiceRow);

describe('filterServices', () => {
  it('keeps the services of one team', () => {
    expect(
      filterServices(rows, { team: 'group:default/team-checkout' }).map(
        r => r.title,
      ),
    ).toEqual(['Checkout', 'Web shop', 'Recommendations']);
  });

  it('combines team, lifecycle and search', () => {
    expect(
      filterServices(rows, {
        team: 'group:default/team-checkout',
        lifecycle: 'production',
        search: 'WEB',
      }).map(r => r.title),
    ).toEqual(['Web shop']);
  });

  it('searches descriptions too', () => {
    const described = [
      { ...rows[0], description: 'Takes card payments and issues refunds.' },
      ...rows.slice(1),
    ];
    expect(
      filterServices(described, { search: 'refunds' }).map(r => r.title),
    ).toEqual(['Payments']);
  });
});

describe('filterChoices', () => {
  it('offers known lifecycles in their natural order and every team', () => {
    expect(filterChoices(rows)).toEqual({
      teams: [
        'group:default/team-checkout',
        'group:default/team-payments',
        'group:default/team-platform',
      ],
      lifecycles: ['experimental', 'development', 'production'],
    });
  });
});
