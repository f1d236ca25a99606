import { stringifyEntityRef } from '@backstage/catalog-model';
import { InMemoryCatalogClient } from '@backstage/catalog-client/testUtils';
import { entityAt, shop, stitched } from './__testUtils__/catalog';
import { computeBlastRadius, createDependencyGraph } from './dependencyGraph';
import { loadDependencyEntities } from './loadDependencyEntities';

function names(entities: { metadata: { name: string } }[]) {
  return entities.map(e => e.metadata.name).sort();
}

describe('loadDependencyEntities', () => {
  it('loads the dependencies, the dependents and the critical chain behind them', async () => {
    const entities = shop();
    const catalogApi = new InMemoryCatalogClient({ entities });
    const ordersDb = entities.find(e => e.metadata.name === 'orders-db')!;

    const loaded = await loadDependencyEntities({
      catalog: catalogApi,
      entity: ordersDb,
    });

    // web-shop depends on checkout without being critical, so the walk
    // stops there; it is still loaded as checkout's dependent.
    expect(names(loaded)).toEqual([
      'checkout',
      'orders-db',
      'payments',
      'web-shop',
    ]);
  });

  it('gives the same blast radius as the whole catalog would', async () => {
    const chain = stitched(
      ['a', 'b', 'c', 'd'].map((name, i, all) =>
        entityAt(`component:default/${name}`, {
          dependencies:
            i + 1 < all.length
              ? [
                  {
                    target: `component:default/${all[i + 1]}`,
                    type: 'runtime',
                    critical: true,
                  },
                ]
              : [],
        }),
      ),
    );
    const catalogApi = new InMemoryCatalogClient({ entities: chain });
    const d = chain[3];
    const entityRef = stringifyEntityRef(d);

    const loaded = await loadDependencyEntities({
      catalog: catalogApi,
      entity: d,
    });

    expect(
      computeBlastRadius({ graph: createDependencyGraph(loaded), entityRef }),
    ).toEqual(
      computeBlastRadius({ graph: createDependencyGraph(chain), entityRef }),
    );
    expect(names(loaded)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('asks once per level of the walk, never once per entity nor for the whole catalog', async () => {
    const entities = shop();
    const catalogApi = new InMemoryCatalogClient({ entities });
    const getEntities = jest.spyOn(catalogApi, 'getEntities');
    const getEntitiesByRefs = jest.spyOn(catalogApi, 'getEntitiesByRefs');

    await loadDependencyEntities({
      catalog: catalogApi,
      entity: entities.find(e => e.metadata.name === 'orders-db')!,
    });

    // Level one loads payments and checkout; level two loads web-shop, whose
    // edge is not critical, so the walk ends after two requests.
    expect(getEntitiesByRefs).toHaveBeenCalledTimes(2);
    expect(getEntities).not.toHaveBeenCalled();
  });

  it('leaves out what the catalog does not return to the caller', async () => {
    const entities = shop();
    const hidden = new Set(['component:default/checkout']);
    const catalogApi = new InMemoryCatalogClient({ entities });
    const ordersDb = entities.find(e => e.metadata.name === 'orders-db')!;

    const loaded = await loadDependencyEntities({
      catalog: {
        // As the catalog answers a user who may not read checkout.
        getEntitiesByRefs: async request => {
          const { items } = await catalogApi.getEntitiesByRefs(request);
          return {
            items: items.map(item =>
              item && hidden.has(stringifyEntityRef(item)) ? undefined : item,
            ),
          };
        },
      },
      entity: ordersDb,
    });

    // Without checkout the walk cannot reach web-shop either.
    expect(names(loaded)).toEqual(['orders-db', 'payments']);
    expect(
      computeBlastRadius({
        graph: createDependencyGraph(loaded),
        entityRef: 'resource:default/orders-db',
      }).refs,
    ).toEqual(['component:default/payments']);
  });
});
