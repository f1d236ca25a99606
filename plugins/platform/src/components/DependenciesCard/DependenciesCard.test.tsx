import { Entity } from '@backstage/catalog-model';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { dependenciesCard } from '../../plugin';
import { shopEntities, testEntity } from '../../__testUtils__/entities';
import { dependencySummaries } from '../../__testUtils__/dependencySummaries';
import { renderEntityCard } from '../../__testUtils__/renderEntityCard';
import {
  findDependencyGraphPicture,
  mockSvgMeasurement,
} from './__testUtils__/dependencyGraphPicture';

mockSvgMeasurement();

function renderCard(options: { entity: Entity; entities: Entity[] }) {
  return renderEntityCard({
    card: dependenciesCard,
    entity: options.entity,
    platformApi: dependencySummaries(options.entities),
  });
}

function shopEntity(name: string): Entity {
  return shopEntities().find(e => e.metadata.name === name)!;
}

describe('DependenciesCard', () => {
  it('shows dependencies and dependents with type, criticality, lifecycle and owner', async () => {
    renderCard({
      entity: shopEntity('payments'),
      entities: shopEntities(),
    });

    const dependencies = await screen.findByRole('table', {
      name: 'Dependencies',
    });
    const ordersRow = within(dependencies)
      .getByText('Orders database')
      .closest('tr')!;
    expect(within(ordersRow).getByText('data')).toBeInTheDocument();
    expect(within(ordersRow).getByText('critical')).toBeInTheDocument();
    expect(within(ordersRow).getByText('production')).toBeInTheDocument();
    expect(within(ordersRow).getByText('team-payments')).toBeInTheDocument();
    const toolkitRow = within(dependencies)
      .getByText('CI toolkit')
      .closest('tr')!;
    expect(within(toolkitRow).getByText('build')).toBeInTheDocument();
    expect(within(toolkitRow).getByText('no')).toBeInTheDocument();
    expect(within(toolkitRow).getByText('development')).toBeInTheDocument();

    const dependents = screen.getByRole('table', { name: 'Dependents' });
    expect(
      within(dependents).getByRole('link', { name: 'Checkout' }),
    ).toHaveAttribute('href', '/catalog/default/component/checkout');
    expect(screen.getByTestId('blast-radius')).toHaveTextContent(
      'Blast radius: 1 service',
    );
    expect(screen.queryByTestId('dependency-warning')).not.toBeInTheDocument();
  });

  it('draws the service between its dependents and its dependencies, critical edges marked', async () => {
    renderCard({
      entity: shopEntity('payments'),
      entities: shopEntities(),
    });

    const graph = await findDependencyGraphPicture(
      /^Dependency graph of Payments: 1 dependent, 2 dependencies$/,
    );
    for (const title of [
      'Payments',
      'Checkout',
      'Orders database',
      'CI toolkit',
    ]) {
      expect(within(graph).getByText(title)).toBeInTheDocument();
    }
    expect(within(graph).getByText('runtime, critical')).toBeInTheDocument();
    expect(within(graph).getByText('data, critical')).toBeInTheDocument();
    expect(within(graph).getByText('build')).toBeInTheDocument();
    expect(
      within(graph).queryByText('not in the catalog'),
    ).not.toBeInTheDocument();
  });

  it('draws six dependencies and counts the others, which the table lists', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const dependencies = names.map(name =>
      testEntity({ name: `lib-${name}`, title: `Library ${name}` }),
    );
    const entity = testEntity({
      name: 'hub',
      title: 'Hub',
      dependencies: dependencies.map(d => ({
        target: `component:default/${d.metadata.name}`,
        type: 'runtime',
        critical: false,
      })),
    });
    renderCard({
      entity,
      entities: [entity, ...dependencies],
    });

    const graph = await findDependencyGraphPicture(/^Dependency graph of Hub/);
    expect(within(graph).getByText('Library f')).toBeInTheDocument();
    expect(within(graph).queryByText('Library g')).not.toBeInTheDocument();
    expect(within(graph).getByText('+2 more')).toBeInTheDocument();
    const table = screen.getByRole('table', { name: 'Dependencies' });
    expect(within(table).getByText('Library g')).toBeInTheDocument();
    expect(within(table).getByText('Library h')).toBeInTheDocument();
  });

  it('counts transitive critical dependents in the blast radius', async () => {
    renderCard({
      entity: shopEntity('orders-db'),
      entities: shopEntities(),
    });
    expect(await screen.findByTestId('blast-radius')).toHaveTextContent(
      'Blast radius: 2 services',
    );
    expect(screen.getByTestId('blast-radius')).toHaveTextContent(
      'Payments, Checkout',
    );
  });

  it('warns that a production service depends critically on an experimental one', async () => {
    renderCard({
      entity: shopEntity('checkout'),
      entities: shopEntities(),
    });
    expect(await screen.findByTestId('dependency-warning')).toHaveTextContent(
      'Checkout is in production and depends critically on Recommendations, which is experimental.',
    );
  });

  it('warns about a dependency the catalog does not know', async () => {
    const entity = testEntity({
      name: 'orphaned',
      title: 'Orphaned',
      lifecycle: 'production',
      dependsOn: ['component:default/ghost'],
    });
    renderCard({ entity, entities: [entity] });
    const graph = await findDependencyGraphPicture(
      /^Dependency graph of Orphaned/,
    );
    expect(screen.getByTestId('dependency-warning')).toHaveTextContent(
      'Orphaned depends on component:default/ghost, which is not in the catalog.',
    );
    const table = screen.getByRole('table', { name: 'Dependencies' });
    expect(within(table).getByText('not in the catalog')).toBeInTheDocument();
    const marker = within(graph).getByText('not in the catalog');
    expect(marker.closest('g')).toHaveTextContent('component:default/g…');
  });

  it('says so when the entity has no dependencies and no dependents', async () => {
    const entity = testEntity({ name: 'alone', title: 'Alone' });
    renderCard({ entity, entities: [entity] });
    expect(
      await screen.findByText(
        'Alone declares no dependencies, and nothing in the catalog depends on it.',
      ),
    ).toBeInTheDocument();
  });

  it('says what failed when the catalog cannot be reached', async () => {
    renderEntityCard({
      card: dependenciesCard,
      entity: shopEntity('payments'),
      platformApi: {
        getDependencies: jest
          .fn()
          .mockRejectedValue(new Error('catalog unavailable (503)')),
      },
    });
    expect(
      await screen.findByText(
        /Could not load the dependencies from the catalog/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('catalog unavailable (503)')).toBeInTheDocument();
  });

  it("shows a hub's first page of dependents, counts them all, and loads the next page on request", async () => {
    const hub = testEntity({ name: 'hub', title: 'Hub' });
    const dependents = Array.from({ length: 60 }, (_, i) =>
      testEntity({
        name: `svc-${String(i).padStart(2, '0')}`,
        title: `Service ${String(i).padStart(2, '0')}`,
        dependencies: [
          { target: 'component:default/hub', type: 'runtime', critical: true },
        ],
      }),
    );
    renderCard({
      entity: hub,
      entities: [hub, ...dependents],
    });

    const table = await screen.findByRole('table', { name: 'Dependents' });
    expect(within(table).getAllByRole('row')).toHaveLength(51);
    expect(screen.getByText('Depended on by 60 entities')).toBeInTheDocument();
    expect(
      await findDependencyGraphPicture(
        /^Dependency graph of Hub: 60 dependents, 0 dependencies$/,
      ),
    ).toHaveTextContent('+54 more');
    expect(screen.getByTestId('blast-radius')).toHaveTextContent(
      'Blast radius: 60 services',
    );

    await userEvent.click(
      screen.getByRole('button', { name: 'Show more dependents' }),
    );
    await waitFor(() =>
      expect(within(table).getAllByRole('row')).toHaveLength(61),
    );
    expect(within(table).getByText('Service 59')).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Show more dependents' }),
    ).not.toBeInTheDocument();
  });

  it('names the nearest hundred of a large blast radius and counts the rest', async () => {
    const hub = testEntity({ name: 'hub', title: 'Hub' });
    const dependents = Array.from({ length: 130 }, (_, i) =>
      testEntity({
        name: `svc-${i}`,
        title: `Service ${i}`,
        dependencies: [
          { target: 'component:default/hub', type: 'runtime', critical: true },
        ],
      }),
    );
    renderCard({
      entity: hub,
      entities: [hub, ...dependents],
    });

    const radius = await screen.findByTestId('blast-radius');
    expect(radius).toHaveTextContent('Blast radius: 130 services');
    expect(radius).toHaveTextContent('Service 99, and 30 more.');
    expect(radius).not.toHaveTextContent('Service 100');
  });
});
