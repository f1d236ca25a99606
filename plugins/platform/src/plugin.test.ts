import { Entity } from '@backstage/catalog-model';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { dependenciesCard, ownershipCard } from './plugin';

const KINDS = ['Component', 'Resource', 'API', 'Group', 'User', 'System'];

function kindsAccepted(filter: ((entity: Entity) => boolean) | undefined) {
  return KINDS.filter(kind =>
    filter?.({
      apiVersion: 'backstage.io/v1alpha1',
      kind,
      metadata: { name: 'x' },
    }),
  );
}

describe('platform plugin', () => {
  it('offers the dependencies card on Components, Resources and APIs only', () => {
    const filter = createExtensionTester(dependenciesCard).get(
      EntityCardBlueprint.dataRefs.filterFunction,
    );
    expect(kindsAccepted(filter)).toEqual(['Component', 'Resource', 'API']);
  });

  it('offers the ownership card on Components, Resources and APIs only', () => {
    const filter = createExtensionTester(ownershipCard).get(
      EntityCardBlueprint.dataRefs.filterFunction,
    );
    expect(kindsAccepted(filter)).toEqual(['Component', 'Resource', 'API']);
  });
});
