import { renderInTestApp } from '@backstage/frontend-test-utils';
import { within } from '@testing-library/react';
import { DependencyRow } from '@internal/plugin-platform-common';
import { DependencyGraphPicture } from './DependencyGraphPicture';
import {
  findDependencyGraphPicture,
  mockSvgMeasurement,
} from './__testUtils__/dependencyGraphPicture';

mockSvgMeasurement();

function row(
  name: string,
  options: { type?: string; critical?: boolean; missing?: boolean } = {},
): DependencyRow {
  const ref = `component:default/${name.toLocaleLowerCase('en-US')}`;
  return {
    ref,
    type: (options.type ?? 'runtime') as DependencyRow['type'],
    critical: options.critical ?? false,
    node: options.missing ? undefined : { ref, title: name },
  };
}

async function renderPicture(props: {
  dependencies?: DependencyRow[];
  dependents?: DependencyRow[];
}) {
  renderInTestApp(
    <DependencyGraphPicture
      entityTitle="Payments"
      dependencies={props.dependencies ?? []}
      dependents={props.dependents ?? []}
    />,
  );
  return findDependencyGraphPicture(/^Dependency graph of Payments/);
}

describe('DependencyGraphPicture', () => {
  it('draws the entity, its neighbours and the type of each edge', async () => {
    const graph = await renderPicture({
      dependencies: [row('Ledger', { type: 'data', critical: true })],
      dependents: [row('Checkout')],
    });
    expect(graph).toHaveAccessibleName(
      'Dependency graph of Payments: 1 dependent, 1 dependency',
    );
    expect(within(graph).getByText('Payments')).toBeInTheDocument();
    expect(within(graph).getByText('Ledger')).toBeInTheDocument();
    expect(within(graph).getByText('Checkout')).toBeInTheDocument();
    const critical = within(graph).getByText('data, critical');
    const plain = within(graph).getByText('runtime');
    expect(critical).toHaveAttribute('font-weight', 'bold');
    expect(critical.getAttribute('fill')).not.toBe(plain.getAttribute('fill'));
  });

  it('marks a ref the catalog does not know', async () => {
    const graph = await renderPicture({
      dependencies: [row('Ghost', { missing: true }), row('Ledger')],
    });
    const marker = within(graph).getByText('not in the catalog');
    expect(marker.closest('g')).toHaveTextContent('component:default/g…');
  });

  it('shows six neighbours per side and counts the rest', async () => {
    const names = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I'];
    const graph = await renderPicture({
      dependencies: names.slice(0, 8).map(name => row(`Dependency ${name}`)),
      dependents: names.map(name => row(`Dependent ${name}`)),
    });
    expect(graph).toHaveAccessibleName(
      'Dependency graph of Payments: 9 dependents, 8 dependencies',
    );
    expect(within(graph).getByText('Dependency F')).toBeInTheDocument();
    expect(within(graph).queryByText('Dependency G')).not.toBeInTheDocument();
    expect(within(graph).getByText('+2 more')).toBeInTheDocument();
    expect(within(graph).getByText('Dependent F')).toBeInTheDocument();
    expect(within(graph).queryByText('Dependent G')).not.toBeInTheDocument();
    expect(within(graph).getByText('+3 more')).toBeInTheDocument();
  });

  it('draws one edge for a neighbour linked in two ways, naming both', async () => {
    const graph = await renderPicture({
      dependencies: [
        row('Ledger', { type: 'runtime' }),
        row('Ledger', { type: 'data', critical: true }),
      ],
    });
    expect(graph).toHaveAccessibleName(
      'Dependency graph of Payments: 0 dependents, 1 dependency',
    );
    expect(within(graph).getAllByText('Ledger')).toHaveLength(1);
    expect(
      within(graph).getByText(
        (_, element) =>
          element?.tagName === 'text' &&
          element.textContent === 'runtime / data, critical',
      ),
    ).toBeInTheDocument();
  });

  it('draws a neighbour that is both a dependency and a dependent on each side', async () => {
    const graph = await renderPicture({
      dependencies: [row('Ledger')],
      dependents: [row('Ledger', { type: 'data' })],
    });
    expect(within(graph).getAllByText('Ledger')).toHaveLength(2);
  });
});
