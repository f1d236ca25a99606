import { Entity } from '@backstage/catalog-model';
import { defaultCatalogCollatorEntityTransformer } from '@backstage/plugin-search-backend-module-catalog';
import { platformEntityTransformer } from './platformEntityTransformer';

const checkout: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout', description: 'Turns a basket into an order.' },
  spec: {
    type: 'service',
    lifecycle: 'production',
    owner: 'team-checkout',
    dependencies: [
      { target: 'component:default/payments', type: 'runtime', critical: true },
      { target: 'resource:default/orders-db', type: 'data', critical: false },
    ],
  },
  relations: [
    { type: 'ownedBy', targetRef: 'group:default/team-checkout' },
    { type: 'dependsOn', targetRef: 'component:default/payments' },
    { type: 'dependsOn', targetRef: 'resource:default/orders-db' },
    { type: 'dependsOn', targetRef: 'component:default/legacy-cart' },
    { type: 'partOf', targetRef: 'system:default/shop' },
  ],
};

describe('platformEntityTransformer', () => {
  it('adds the owner and the typed dependencies to the stock document text', () => {
    expect(platformEntityTransformer(checkout)).toEqual({
      ...defaultCatalogCollatorEntityTransformer(checkout),
      text: 'Turns a basket into an order. : Owned by team-checkout : Depends on legacy-cart, orders-db (data), payments (runtime, critical)',
    });
  });

  it('lists what a team owns in the document of the team', () => {
    const team: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'team-checkout' },
      spec: { type: 'team', children: [] },
      relations: [
        { type: 'ownerOf', targetRef: 'component:default/web-shop' },
        { type: 'ownerOf', targetRef: 'component:default/checkout' },
      ],
    };

    expect(platformEntityTransformer(team).text).toBe(
      'Owns checkout, web-shop',
    );
  });

  it('keeps the stock document for an entity without relations', () => {
    const bare = { ...checkout, relations: undefined };

    expect(platformEntityTransformer(bare)).toEqual(
      defaultCatalogCollatorEntityTransformer(bare),
    );
  });
});
