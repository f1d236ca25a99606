import { Entity } from '@backstage/catalog-model';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { screen } from '@testing-library/react';
import { databaseCard } from '../../plugin';
import { renderEntityCard } from '../../__testUtils__/renderEntityCard';
import {
  ANNOTATION_DATABASE_NAME,
  ANNOTATION_DATABASE_SECRET,
  ANNOTATION_DATABASE_SERVER,
} from './DatabaseCard';

function resource(type: string, annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name: 'orders-db', namespace: 'default', annotations },
    spec: { type, owner: 'group:default/team-payments' },
  };
}

describe('DatabaseCard', () => {
  it('shows where the database is and which Secret holds its credentials', async () => {
    const entity = resource('database', {
      [ANNOTATION_DATABASE_SERVER]: 'main',
      [ANNOTATION_DATABASE_NAME]: 'orders',
      [ANNOTATION_DATABASE_SECRET]: 'orders/orders-database',
    });
    renderEntityCard({
      card: databaseCard,
      entity,
      catalogApi: catalogApiMock({ entities: [entity] }),
    });

    const card = await screen.findByTestId('platform-database-card');
    expect(card).toHaveTextContent(
      'Servermain' +
        'Databaseorders' +
        'Credentials in Secretorders/orders-database',
    );
  });

  it('names the annotation to add where a value was not recorded', async () => {
    const entity = resource('database', {
      [ANNOTATION_DATABASE_SERVER]: 'main',
    });
    renderEntityCard({
      card: databaseCard,
      entity,
      catalogApi: catalogApiMock({ entities: [entity] }),
    });

    expect(
      await screen.findByText(
        `Not recorded. Add the annotation ${ANNOTATION_DATABASE_SECRET}.`,
      ),
    ).toBeInTheDocument();
  });

  it('is offered on database Resources only', () => {
    const accepts = createExtensionTester(databaseCard).get(
      EntityCardBlueprint.dataRefs.filterFunction,
    );
    expect(accepts?.(resource('database', {}))).toBe(true);
    expect(accepts?.(resource('s3-bucket', {}))).toBe(false);
    expect(accepts?.({ ...resource('database', {}), kind: 'Component' })).toBe(
      false,
    );
  });
});
