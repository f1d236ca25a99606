import path from 'node:path';
import {
  coreServices,
  createBackendModule,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { AlphaEntity } from '@backstage/catalog-model/alpha';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import catalogBackend from '@backstage/plugin-catalog-backend';
import searchBackend from '@backstage/plugin-search-backend';
import searchModuleCatalogCollator from '@backstage/plugin-search-backend-module-catalog';
import request from 'supertest';
import searchModulePlatform from '@internal/plugin-search-backend-module-platform';
import catalogModulePlatform from '.';

const repoRoot = path.resolve(__dirname, '../../..');
const auth = mockCredentials.user.header();

/** Errors of the entities that failed processing, by entity ref. */
const processingErrors = new Map<string, string[]>();
let searchScheduler: SchedulerService | undefined;

const captureProcessingErrors = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'test-processing-errors',
  register({ registerInit }) {
    registerInit({
      deps: { catalog: catalogProcessingExtensionPoint },
      async init({ catalog }) {
        catalog.setOnProcessingErrorHandler(({ unprocessedEntity, errors }) => {
          processingErrors.set(
            stringifyEntityRef(unprocessedEntity),
            errors.map(error => error.message),
          );
        });
      },
    });
  },
});

const captureSearchScheduler = createBackendModule({
  pluginId: 'search',
  moduleId: 'test-scheduler',
  register({ registerInit }) {
    registerInit({
      deps: { scheduler: coreServices.scheduler },
      async init({ scheduler }) {
        searchScheduler = scheduler;
      },
    });
  },
});

async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error('Timed out waiting for the catalog to process');
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
}

describe('the platform catalog and search modules on the examples', () => {
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];

  async function getEntity(ref: string): Promise<Entity | undefined> {
    const response = await request(server)
      .get(`/api/catalog/entities/by-name/${ref}`)
      .set('Authorization', auth);
    return response.status === 200 ? response.body : undefined;
  }

  /** The text of each search result, by its location in the app. */
  async function search(term: string): Promise<Map<string, string>> {
    const response = await request(server)
      .get('/api/search/query')
      .query({ term, types: ['software-catalog'] })
      .set('Authorization', auth);
    expect(response.status).toBe(200);
    return new Map(
      response.body.results.map(
        (result: { document: { location: string; text: string } }) => [
          result.document.location,
          result.document.text,
        ],
      ),
    );
  }

  beforeAll(async () => {
    const backend = await startTestBackend({
      features: [
        catalogBackend,
        catalogModulePlatform,
        captureProcessingErrors,
        searchBackend,
        searchModuleCatalogCollator,
        searchModulePlatform,
        captureSearchScheduler,
        // Indexing is triggered by the test once the catalog has processed.
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
        mockServices.rootConfig.factory({
          data: {
            catalog: {
              rules: [
                {
                  allow: [
                    'Component',
                    'System',
                    'API',
                    'Resource',
                    'Location',
                    'Group',
                    'User',
                  ],
                },
              ],
              locations: [
                path.join(repoRoot, 'examples/org.yaml'),
                path.join(repoRoot, 'examples/services.yaml'),
                path.join(__dirname, '__fixtures__/invalid-service.yaml'),
              ].map(target => ({ type: 'file', target })),
            },
          },
        }),
      ],
    });
    server = backend.server;

    // An entity shows an inverse relation only once the entity that declared
    // it has been processed and both have been stitched, so these cover every
    // example that the assertions below read.
    const settled: Array<[string, string]> = [
      ['component/default/payments', 'dependencyOf'],
      ['component/default/web-shop', 'dependsOn'],
      ['component/default/legacy-invoices', 'dependencyOf'],
      ['resource/default/orders-backups', 'dependencyOf'],
      ['group/default/team-checkout', 'ownerOf'],
    ];
    await eventually(async () => {
      for (const [ref, relationType] of settled) {
        const entity = await getEntity(ref);
        if (!entity?.relations?.some(r => r.type === relationType)) {
          return undefined;
        }
      }
      return true;
    });
  }, 60_000);

  it('emits the stock dependency relations and keeps type and criticality', async () => {
    const checkout = await getEntity('component/default/checkout');

    expect(checkout?.relations).toEqual(
      expect.arrayContaining([
        { type: 'dependsOn', targetRef: 'component:default/payments' },
        { type: 'dependsOn', targetRef: 'resource:default/orders-db' },
      ]),
    );
    expect(checkout?.spec?.dependencies).toEqual(
      expect.arrayContaining([
        {
          target: 'component:default/payments',
          type: 'runtime',
          critical: true,
        },
        { target: 'resource:default/orders-db', type: 'data', critical: true },
      ]),
    );

    const payments = await getEntity('component/default/payments');
    expect(payments?.relations).toEqual(
      expect.arrayContaining([
        { type: 'dependencyOf', targetRef: 'component:default/checkout' },
      ]),
    );
  });

  it('gives Resources typed dependencies and an optional lifecycle', async () => {
    const ordersDb = await getEntity('resource/default/orders-db');

    expect(ordersDb?.relations).toEqual(
      expect.arrayContaining([
        { type: 'dependsOn', targetRef: 'resource:default/orders-backups' },
      ]),
    );
    expect(ordersDb?.spec?.dependencies).toEqual([
      {
        target: 'resource:default/orders-backups',
        type: 'data',
        critical: false,
      },
    ]);
    const backups = await getEntity('resource/default/orders-backups');
    expect(backups?.spec?.lifecycle).toBeUndefined();
  });

  it('types a plain dependsOn as a non-critical runtime dependency', async () => {
    const webShop = await getEntity('component/default/web-shop');

    expect(webShop?.spec?.dependencies).toEqual([
      {
        target: 'component:default/checkout',
        type: 'runtime',
        critical: false,
      },
    ]);
  });

  it('exposes the ownership annotations as entity links', async () => {
    const payments = await getEntity('component/default/payments');

    expect(payments?.metadata.links).toEqual(
      expect.arrayContaining([
        {
          url: 'https://oncall.example.com/rotations/payments',
          title: 'On-call',
          type: 'on-call',
        },
      ]),
    );
  });

  it('keeps a production service without on-call, with a warning in its status', async () => {
    const webShop: AlphaEntity | undefined = await getEntity(
      'component/default/web-shop',
    );
    const payments: AlphaEntity | undefined = await getEntity(
      'component/default/payments',
    );

    expect(webShop?.status?.items).toEqual([
      {
        type: 'platform.internal/service-warning',
        level: 'warning',
        message: 'In production without an on-call rotation.',
      },
    ]);
    expect(payments?.status).toBeUndefined();
  });

  it('rejects the invalid fixture with one error per broken rule', async () => {
    const errors = await eventually(async () =>
      processingErrors.get('component:default/invalid-service'),
    );

    expect(errors).toEqual(
      expect.arrayContaining([
        'component:default/invalid-service has the lifecycle "prod", which is not one of the configured lifecycles: experimental, development, production, deprecated',
        'spec.dependencies[0] of component:default/invalid-service has the target "payments", which is not an entity ref with a kind such as component:payments',
        'spec.dependencies[1] of component:default/invalid-service has the type "network"; allowed types are runtime, build, data',
        'spec.dependencies[2] of component:default/invalid-service has critical set to "yes"; allowed values are true and false',
        'Annotation platform.internal/docs-url of component:default/invalid-service is "docs/invalid-service", which is not an absolute http or https URL',
      ]),
    );
    expect(
      await getEntity('component/default/invalid-service'),
    ).toBeUndefined();
  });

  describe('search', () => {
    beforeAll(async () => {
      await searchScheduler!.triggerTask('search_index_software_catalog');
    });

    it('finds the services of a team, and lists them on the team', async () => {
      const found = await search('team-checkout');

      expect([...found.keys()]).toEqual(
        expect.arrayContaining([
          '/catalog/default/component/checkout',
          '/catalog/default/component/web-shop',
          '/catalog/default/component/recommendations',
          '/catalog/default/group/team-checkout',
        ]),
      );
      expect(found.get('/catalog/default/group/team-checkout')).toContain(
        'Owns checkout, recommendations, shop, web-shop',
      );
    });

    it('finds the services that depend on a service', async () => {
      const found = await search('payments');

      expect(found.get('/catalog/default/component/checkout')).toContain(
        'payments (runtime, critical)',
      );
      expect(found.has('/catalog/default/component/web-shop')).toBe(false);
    });
  });
});
