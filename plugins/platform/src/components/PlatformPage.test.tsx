import { renderTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { platformApiRef } from '../api/PlatformApi';
import { platformPlugin } from '../plugin';
import { shopEntities } from '../__testUtils__/entities';

describe('Platform page', () => {
  it('is in the sidebar, opens on the services and switches to the runs', async () => {
    renderTestApp({
      features: [platformPlugin],
      apis: [
        catalogApiMock({ entities: shopEntities() }),
        [
          platformApiRef,
          { listRuns: async () => ({ runs: [], totalItems: 0 }) },
        ],
      ],
      initialRouteEntries: ['/platform'],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });

    expect(await screen.findByText('Services (5)')).toBeInTheDocument();
    const sidebar = screen.getByRole('navigation', { name: 'sidebar nav' });
    expect(
      within(sidebar).getByRole('link', { name: 'Platform' }),
    ).toHaveAttribute('href', '/platform');
    await userEvent.click(screen.getByRole('tab', { name: 'Runs' }));
    expect(await screen.findByText(/No runs yet/)).toBeInTheDocument();
  }, 30_000);
});
