import { renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { shopEntities } from '../../__testUtils__/entities';
import { ServicesPage } from './ServicesPage';

function renderPage(catalogApi: ReturnType<typeof catalogApiMock>) {
  return renderInTestApp(<ServicesPage />, {
    apis: [catalogApi],
    mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
  });
}

function serviceNames() {
  return within(screen.getByRole('table'))
    .queryAllByRole('link')
    .map(link => link.textContent)
    .filter(name => !name?.startsWith('team-'));
}

async function choose(testId: string, option: string) {
  await userEvent.click(screen.getByTestId(testId));
  await userEvent.click(await screen.findByRole('option', { name: option }));
}

describe('ServicesPage', () => {
  it('lists the components with owner and lifecycle, and filters them', async () => {
    renderPage(catalogApiMock({ entities: shopEntities() }));

    expect(await screen.findByText('Services (5 of 5)')).toBeInTheDocument();
    const checkoutRow = screen
      .getByRole('link', { name: 'Checkout' })
      .closest('tr')!;
    expect(
      within(checkoutRow).getByRole('link', { name: 'team-checkout' }),
    ).toHaveAttribute('href', '/catalog/default/group/team-checkout');
    expect(
      within(checkoutRow).getByTestId('lifecycle-badge'),
    ).toHaveTextContent('production');
    // The resource is not a service.
    expect(screen.queryByText('Orders database')).not.toBeInTheDocument();

    await choose('services-team-filter', 'team-checkout');
    expect(await screen.findByText('Services (3 of 5)')).toBeInTheDocument();

    await choose('services-lifecycle-filter', 'experimental');
    expect(await screen.findByText('Services (1 of 5)')).toBeInTheDocument();
    expect(serviceNames()).toEqual(['Recommendations']);

    await choose('services-lifecycle-filter', 'All lifecycles');
    await userEvent.type(screen.getByTestId('services-search'), 'web');
    expect(await screen.findByText('Services (1 of 5)')).toBeInTheDocument();
    expect(serviceNames()).toEqual(['Web shop']);

    await userEvent.type(screen.getByTestId('services-search'), 'zzz');
    expect(
      await screen.findByText('No service matches these filters.'),
    ).toBeInTheDocument();
  });

  it('says so when the catalog has no services', async () => {
    renderPage(catalogApiMock({ entities: [] }));
    expect(
      await screen.findByText(/The catalog has no services yet/),
    ).toBeInTheDocument();
  });

  it('says what failed when the catalog cannot be reached', async () => {
    renderPage(
      catalogApiMock.mock({
        getEntities: jest.fn().mockRejectedValue(new Error('catalog is down')),
      }),
    );
    expect(
      await screen.findByText(/Could not load the services from the catalog/),
    ).toBeInTheDocument();
    expect(screen.getByText('catalog is down')).toBeInTheDocument();
  });
});
