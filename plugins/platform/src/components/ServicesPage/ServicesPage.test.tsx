import { Entity } from '@backstage/catalog-model';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import {
  ANNOTATION_ON_CALL_URL,
  readOwnerAndLifecycle,
} from '@internal/plugin-platform-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLocation } from 'react-router-dom';
import { shopEntities, testEntity } from '../../__testUtils__/entities';
import { ServicesPage } from './ServicesPage';

/** The ownedBy relation the catalog adds from spec.owner. */
function withOwnedBy(entity: Entity): Entity {
  const { owner } = readOwnerAndLifecycle(entity);
  return {
    ...entity,
    relations: [
      ...(entity.relations ?? []),
      ...(owner ? [{ type: 'ownedBy', targetRef: owner }] : []),
    ],
  };
}

function ofType(type: string, entity: Entity): Entity {
  return { ...entity, spec: { ...entity.spec, type } };
}

/** The shop, with a library and a website beside its five services. */
function catalogEntities(): Entity[] {
  return [
    ...shopEntities(),
    ofType(
      'library',
      testEntity({
        name: 'ui-kit',
        title: 'UI kit',
        lifecycle: 'production',
        owner: 'team-checkout',
      }),
    ),
    ofType(
      'website',
      testEntity({
        name: 'docs-site',
        title: 'Docs site',
        lifecycle: 'development',
        owner: 'team-platform',
      }),
    ),
  ].map(withOwnedBy);
}

/** Shows the query string, as the address bar would. */
function AddressBar() {
  return <output aria-label="address">{useLocation().search}</output>;
}

function renderPage(options: {
  catalogApi: ReturnType<typeof catalogApiMock>;
  url?: string;
  pageSize?: number;
}) {
  return renderInTestApp(
    <>
      <ServicesPage pageSize={options.pageSize} />
      <AddressBar />
    </>,
    {
      apis: [options.catalogApi],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      initialRouteEntries: [options.url ?? '/platform/services'],
    },
  );
}

function spiedCatalog() {
  const catalogApi = catalogApiMock({ entities: catalogEntities() });
  const queryEntities = jest.spyOn(catalogApi, 'queryEntities');
  return { catalogApi, queryEntities };
}

/** The requests for rows, leaving out those that only count. */
function pageRequests(queryEntities: jest.SpyInstance) {
  return queryEntities.mock.calls
    .map(([request]) => request)
    .filter(request => request.limit !== 0);
}

function serviceNames() {
  return within(screen.getByRole('table'))
    .queryAllByRole('link')
    .map(link => link.textContent)
    .filter(name => !name?.startsWith('team-'));
}

function address() {
  return new URLSearchParams(screen.getByLabelText('address').textContent!);
}

async function choose(filter: string, option: string) {
  await userEvent.click(screen.getByLabelText(filter));
  await userEvent.click(await screen.findByRole('option', { name: option }));
}

describe('ServicesPage', () => {
  it('asks the catalog for one page of services and shows it with owner, lifecycle and warnings', async () => {
    const { catalogApi, queryEntities } = spiedCatalog();
    renderPage({ catalogApi });

    expect(await screen.findByText('Services (5)')).toBeInTheDocument();
    // One page of trimmed entities, and the count in a request of its own.
    expect(pageRequests(queryEntities)).toEqual([
      expect.objectContaining({
        filter: { kind: 'component', 'spec.type': 'service' },
        limit: 20,
        fields: expect.arrayContaining(['metadata.name', 'spec.owner']),
      }),
    ]);
    expect(queryEntities).toHaveBeenCalledWith({
      filter: { kind: 'component', 'spec.type': 'service' },
      limit: 0,
    });
    // Libraries and websites are components, not services.
    expect(serviceNames()).toEqual([
      'Checkout',
      'CI toolkit',
      'Payments',
      'Recommendations',
      'Web shop',
    ]);

    const checkoutRow = screen
      .getByRole('link', { name: 'Checkout' })
      .closest('tr')!;
    expect(
      within(checkoutRow).getByRole('link', { name: 'team-checkout' }),
    ).toHaveAttribute('href', '/catalog/default/group/team-checkout');
    expect(
      within(checkoutRow).getByTestId('lifecycle-badge'),
    ).toHaveTextContent('production');
    expect(
      within(checkoutRow).getByText(
        'In production without an on-call rotation.',
      ),
    ).toBeInTheDocument();
    const experimentalRow = screen
      .getByRole('link', { name: 'Recommendations' })
      .closest('tr')!;
    expect(
      within(experimentalRow).queryByText(/on-call/),
    ).not.toBeInTheDocument();
  });

  it('does not warn about a production service with an on-call rotation', async () => {
    const entities = catalogEntities().map(entity =>
      entity.metadata.name === 'checkout'
        ? {
            ...entity,
            metadata: {
              ...entity.metadata,
              annotations: {
                [ANNOTATION_ON_CALL_URL]: 'https://oncall.example.com/checkout',
              },
            },
          }
        : entity,
    );
    renderPage({ catalogApi: catalogApiMock({ entities }) });

    const checkoutRow = (
      await screen.findByRole('link', { name: 'Checkout' })
    ).closest('tr')!;
    expect(within(checkoutRow).queryByText(/on-call/)).not.toBeInTheDocument();
    const paymentsRow = screen
      .getByRole('link', { name: 'Payments' })
      .closest('tr')!;
    expect(within(paymentsRow).getByText(/on-call/)).toBeInTheDocument();
  });

  it('names every input', async () => {
    renderPage({ catalogApi: catalogApiMock({ entities: catalogEntities() }) });
    await screen.findByText('Services (5)');

    expect(
      screen.getByRole('searchbox', { name: 'Search services' }),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('Type')).toHaveTextContent('service');
    expect(screen.getByLabelText('Team')).toHaveTextContent('All teams');
    expect(screen.getByLabelText('Lifecycle')).toHaveTextContent(
      'All lifecycles',
    );
  });

  it('sends the team and lifecycle filters to the catalog and keeps them in the URL', async () => {
    const { catalogApi, queryEntities } = spiedCatalog();
    renderPage({ catalogApi });
    await screen.findByText('Services (5)');

    await choose('Team', 'team-checkout');
    expect(await screen.findByText('Services (3)')).toBeInTheDocument();
    await choose('Lifecycle', 'production');
    expect(await screen.findByText('Services (2)')).toBeInTheDocument();
    expect(serviceNames()).toEqual(['Checkout', 'Web shop']);

    expect(queryEntities).toHaveBeenLastCalledWith(
      expect.objectContaining({
        filter: {
          kind: 'component',
          'spec.type': 'service',
          'relations.ownedBy': 'group:default/team-checkout',
          'spec.lifecycle': 'production',
        },
      }),
    );
    expect(pageRequests(queryEntities).at(-1)).toMatchObject({ limit: 20 });
    expect(Object.fromEntries(address())).toEqual({
      team: 'group:default/team-checkout',
      lifecycle: 'production',
    });
  });

  it('searches in the catalog once typing pauses, and keeps the search in the URL', async () => {
    const { catalogApi, queryEntities } = spiedCatalog();
    renderPage({ catalogApi, url: '/platform/services?lifecycle=production' });
    await screen.findByText('Services (3)');

    await userEvent.type(
      screen.getByRole('searchbox', { name: 'Search services' }),
      'web',
    );
    expect(await screen.findByText('Services (1)')).toBeInTheDocument();
    expect(serviceNames()).toEqual(['Web shop']);
    // The whole word in one request, not a request per letter.
    expect(
      pageRequests(queryEntities).filter(
        request => 'fullTextFilter' in request,
      ),
    ).toEqual([
      expect.objectContaining({
        filter: {
          kind: 'component',
          'spec.type': 'service',
          'spec.lifecycle': 'production',
        },
        fullTextFilter: expect.objectContaining({ term: 'web' }),
        limit: 20,
      }),
    ]);
    expect(Object.fromEntries(address())).toEqual({
      lifecycle: 'production',
      q: 'web',
    });

    await userEvent.type(
      screen.getByRole('searchbox', { name: 'Search services' }),
      'zzz',
    );
    expect(
      await screen.findByText('No service matches these filters.'),
    ).toBeInTheDocument();
  });

  it('restores the filters from the URL', async () => {
    const { catalogApi, queryEntities } = spiedCatalog();
    renderPage({
      catalogApi,
      url: '/platform/services?type=all&team=group%3Adefault%2Fteam-checkout&lifecycle=production&q=ui',
    });

    expect(await screen.findByText('Components (1)')).toBeInTheDocument();
    expect(serviceNames()).toEqual(['UI kit']);
    expect(pageRequests(queryEntities)).toEqual([
      expect.objectContaining({
        filter: {
          kind: 'component',
          'relations.ownedBy': 'group:default/team-checkout',
          'spec.lifecycle': 'production',
        },
        fullTextFilter: expect.objectContaining({ term: 'ui' }),
      }),
    ]);
    expect(
      screen.getByRole('searchbox', { name: 'Search services' }),
    ).toHaveValue('ui');
    expect(screen.getByLabelText('Type')).toHaveTextContent('All types');
    expect(screen.getByLabelText('Team')).toHaveTextContent('team-checkout');
    expect(screen.getByLabelText('Lifecycle')).toHaveTextContent('production');
  });

  it('shows libraries and websites under all types', async () => {
    renderPage({ catalogApi: catalogApiMock({ entities: catalogEntities() }) });
    await screen.findByText('Services (5)');

    await choose('Type', 'All types');
    expect(await screen.findByText('Components (7)')).toBeInTheDocument();
    expect(serviceNames()).toEqual(
      expect.arrayContaining(['UI kit', 'Docs site']),
    );
    expect(address().get('type')).toBe('all');

    await choose('Type', 'library');
    expect(await screen.findByText('Components (1)')).toBeInTheDocument();
    expect(serviceNames()).toEqual(['UI kit']);
  });

  it('pages with the cursors the catalog returns, and keeps the page in the URL', async () => {
    const { catalogApi, queryEntities } = spiedCatalog();
    renderPage({ catalogApi, pageSize: 2 });

    expect(await screen.findByText('Services (5)')).toBeInTheDocument();
    expect(serviceNames()).toEqual(['Checkout', 'CI toolkit']);
    expect(
      screen.getByRole('button', { name: 'Previous page' }),
    ).toBeDisabled();
    const firstPage = queryEntities.mock.calls.findIndex(
      ([request]) => request?.limit === 2,
    );
    const { nextCursor } = (await queryEntities.mock.results[firstPage].value)
      .pageInfo;

    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() =>
      expect(serviceNames()).toEqual(['Payments', 'Recommendations']),
    );
    expect(queryEntities).toHaveBeenLastCalledWith({
      cursor: nextCursor,
      limit: 2,
      fields: expect.any(Array),
    });
    expect(address().get('cursor')).toBe(nextCursor);

    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(serviceNames()).toEqual(['Web shop']));
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();

    await userEvent.click(
      screen.getByRole('button', { name: 'Previous page' }),
    );
    await waitFor(() =>
      expect(serviceNames()).toEqual(['Payments', 'Recommendations']),
    );

    // A new filter starts again at the first page.
    await choose('Lifecycle', 'production');
    await waitFor(() =>
      expect(serviceNames()).toEqual(['Checkout', 'Payments']),
    );
    expect(address().get('cursor')).toBeNull();
  });

  it('says so when the catalog has no services', async () => {
    renderPage({ catalogApi: catalogApiMock({ entities: [] }) });
    expect(
      await screen.findByText(/The catalog has no services yet/),
    ).toBeInTheDocument();
  });

  it('says what failed when the catalog cannot be reached', async () => {
    renderPage({
      catalogApi: catalogApiMock.mock({
        queryEntities: jest
          .fn()
          .mockRejectedValue(new Error('catalog is down')),
        getEntityFacets: jest.fn().mockResolvedValue({ facets: {} }),
      }),
    });
    expect(
      await screen.findByText(/Could not load the services from the catalog/),
    ).toBeInTheDocument();
    expect(screen.getByText('catalog is down')).toBeInTheDocument();
  });
});
