import { Entity } from '@backstage/catalog-model';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import {
  ANNOTATION_DOCS_URL,
  ANNOTATION_ON_CALL_URL,
  ANNOTATION_REPOSITORY_URL,
} from '@internal/plugin-platform-common';
import { screen } from '@testing-library/react';
import { ownershipCard } from '../../plugin';
import { testEntity } from '../../__testUtils__/entities';
import { renderEntityCard } from '../../__testUtils__/renderEntityCard';

const teamPayments: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'team-payments', namespace: 'default' },
  spec: { type: 'team', children: [] },
};

function renderCard(entity: Entity, groups: Entity[] = [teamPayments]) {
  return renderEntityCard({
    card: ownershipCard,
    entity,
    catalogApi: catalogApiMock({ entities: [entity, ...groups] }),
  });
}

describe('OwnershipCard', () => {
  it('links the owning team, on-call rotation, repository and docs', async () => {
    renderCard(
      testEntity({
        name: 'payments',
        lifecycle: 'production',
        owner: 'team-payments',
        annotations: {
          [ANNOTATION_ON_CALL_URL]: 'https://oncall.example.com/payments',
          [ANNOTATION_DOCS_URL]: 'https://docs.example.com/payments',
          [ANNOTATION_REPOSITORY_URL]: 'https://git.example.com/payments',
        },
      }),
    );

    const owner = await screen.findByRole('link', { name: 'team-payments' });
    expect(owner).toHaveAttribute(
      'href',
      '/catalog/default/group/team-payments',
    );
    expect(
      screen.getByRole('link', { name: /^On-call rotation/ }),
    ).toHaveAttribute('href', 'https://oncall.example.com/payments');
    expect(
      screen.getByRole('link', {
        name: /^https:\/\/git\.example\.com\/payments/,
      }),
    ).toHaveAttribute('href', 'https://git.example.com/payments');
    expect(
      screen.getByRole('link', { name: /^Documentation/ }),
    ).toHaveAttribute('href', 'https://docs.example.com/payments');
    expect(screen.getByTestId('lifecycle-badge')).toHaveTextContent(
      'production',
    );
    expect(screen.queryByText(/not in the catalog/)).not.toBeInTheDocument();
  });

  it('says which ownership data is missing and how to add it', async () => {
    renderCard(testEntity({ name: 'bare' }));
    expect(
      await screen.findByText('No owner declared. Set spec.owner.'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        `No on-call rotation declared. Add the annotation ${ANNOTATION_ON_CALL_URL}.`,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        `No repository declared. Add the annotation ${ANNOTATION_REPOSITORY_URL}.`,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        `No documentation declared. Add the annotation ${ANNOTATION_DOCS_URL}.`,
      ),
    ).toBeInTheDocument();
    expect(screen.getByTestId('lifecycle-badge')).toHaveTextContent(
      'no lifecycle',
    );
  });

  it('links the repository the catalog read the entity from when none is declared', async () => {
    const tree = 'http://127.0.0.1:7070/example-org/payments/tree/main/';
    renderCard(
      testEntity({
        name: 'payments',
        annotations: { 'backstage.io/source-location': `url:${tree}` },
      }),
    );
    // The link's name also says that it opens in a new window.
    expect(
      await screen.findByRole('link', {
        name: name => name.startsWith(tree),
      }),
    ).toHaveAttribute(
      'href',
      tree,
    );
    expect(
      screen.queryByText(/No repository declared/),
    ).not.toBeInTheDocument();
  });

  it('never renders an annotation that is not an http(s) URL as a link', async () => {
    renderCard(
      testEntity({
        name: 'payments',
        owner: 'team-payments',
        // A script URL, assembled so the linter does not mistake the test
        // data for code that runs one.
        annotations: {
          [ANNOTATION_DOCS_URL]: ['javascript', 'alert(1)'].join(':'),
        },
      }),
    );
    expect(
      await screen.findByText(
        `No documentation declared. Add the annotation ${ANNOTATION_DOCS_URL}.`,
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: /^Documentation/ }),
    ).not.toBeInTheDocument();
  });

  it('says when the owning team has no catalog entry', async () => {
    renderCard(testEntity({ name: 'payments', owner: 'team-ghosts' }), []);
    expect(
      await screen.findByText(/this team is not in the catalog/),
    ).toBeInTheDocument();
  });
});
