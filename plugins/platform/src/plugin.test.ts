import { Entity } from '@backstage/catalog-model';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { dependenciesCard, ownershipCard } from './plugin';

function entityOfKind(kind: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind,
    metadata: { name: 'x' },
  };
}

describe('platform plugin', () => {
  it.each([
    ['dependencies', dependenciesCard],
    ['ownership', ownershipCard],
  ])(
    'offers the %s card on Components, Resources and APIs only',
    (_name, card) => {
      const filter = createExtensionTester(card).get(
        EntityCardBlueprint.dataRefs.filterFunction,
      );
      expect(filter).toBeDefined();
      expect(
        ['Component', 'Resource', 'API', 'Group', 'User', 'System'].map(kind =>
          filter!(entityOfKind(kind)),
        ),
      ).toEqual([true, true, true, false, false, false]);
    },
  );
});
