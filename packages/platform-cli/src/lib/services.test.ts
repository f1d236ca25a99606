import { CatalogClient } from '@backstage/catalog-client';
import { Entity } from '@backstage/catalog-model';
import {
  startCatalogBackend,
  TEST_TOKEN,
} from '../__testUtils__/catalogBackend';
import { listServices, toServiceSummary } from './services';

describe('toServiceSummary', () => {
  const entity: Entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'team-checkout',
      dependencies: [
        { target: 'component:shop/payments', type: 'runtime', critical: true },
      ],
    },
    relations: [
      { type: 'ownedBy', targetRef: 'group:shop/team-checkout' },
      { type: 'dependsOn', targetRef: 'resource:shop/orders-db' },
      { type: 'dependsOn', targetRef: 'component:shop/payments' },
      { type: 'dependencyOf', targetRef: 'component:shop/web-shop' },
      { type: 'dependencyOf', targetRef: 'component:shop/admin' },
    ],
  };

  it('takes owner, dependencies and dependents from the relations, sorted', () => {
    expect(toServiceSummary(entity)).toEqual({
      ref: 'component:shop/checkout',
      name: 'checkout',
      namespace: 'shop',
      type: 'service',
      lifecycle: 'production',
      owner: 'group:shop/team-checkout',
      dependencies: [
        { target: 'component:shop/payments', type: 'runtime', critical: true },
        // Related by another processor, with no typed entry.
        { target: 'resource:shop/orders-db', type: 'runtime', critical: false },
      ],
      dependents: ['component:shop/admin', 'component:shop/web-shop'],
    });
  });

  it('falls back to spec.owner before the catalog has related the owner', () => {
    expect(toServiceSummary({ ...entity, relations: undefined }).owner).toBe(
      'team-checkout',
    );
  });
});

describe('listServices', () => {
  let backend: Awaited<ReturnType<typeof startCatalogBackend>>;

  beforeAll(async () => {
    backend = await startCatalogBackend();
  }, 90_000);

  afterAll(async () => {
    await backend?.stop();
  });

  it('follows the cursor through every page', async () => {
    const requests: Array<{ url: string; body?: string }> = [];
    const catalog = new CatalogClient({
      discoveryApi: { getBaseUrl: async () => `${backend.url}/api/catalog` },
      fetchApi: {
        fetch: (input, init) => {
          requests.push({ url: String(input), body: init?.body?.toString() });
          return fetch(input, init);
        },
      },
    });

    const services = await listServices({
      catalog,
      token: TEST_TOKEN,
      filters: {},
      pageSize: 2,
    });

    expect(services.map(service => service.name)).toEqual([
      'checkout',
      'ledger',
      'payments',
      'web-shop',
    ]);
    expect(requests).toEqual([
      {
        url: expect.stringContaining('/api/catalog/entities/by-query?'),
        body: undefined,
      },
      {
        url: `${backend.url}/api/catalog/entities/by-query`,
        body: expect.stringContaining('"cursor":'),
      },
    ]);
  });
});
