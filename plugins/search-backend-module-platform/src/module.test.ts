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
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import searchBackend from '@backstage/plugin-search-backend';
import searchModuleCatalogCollator from '@backstage/plugin-search-backend-module-catalog';
import searchModuleTechDocsCollator from '@backstage/plugin-search-backend-module-techdocs';
import request from 'supertest';
import searchModulePlatform from '.';

jest.setTimeout(60_000);

function service(
  name: string,
  owner: string,
  description: string,
  dependsOn: string[] = [],
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      description,
      annotations: { 'backstage.io/techdocs-ref': 'dir:.' },
    },
    spec: { type: 'service', lifecycle: 'production', owner },
    relations: [
      { type: 'ownedBy', targetRef: `group:default/${owner}` },
      ...dependsOn.map(targetRef => ({ type: 'dependsOn', targetRef })),
    ],
  };
}

function team(name: string, owns: string[]): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name },
    spec: { type: 'team', children: [] },
    relations: owns.map(owned => ({
      type: 'ownerOf',
      targetRef: `component:default/${owned}`,
    })),
  };
}

// Two teams whose words cross: team-checkout's services talk about payments
// and one is named after them, so a match on "payments" alone is not enough.
const entities = [
  team('team-payments', ['ledger', 'refunds']),
  service('ledger', 'team-payments', 'Keeps the books.'),
  service('refunds', 'team-payments', 'Gives money back.'),
  team('team-checkout', ['checkout', 'payments-gateway', 'basket']),
  service('checkout', 'team-checkout', 'Takes payments for a basket.', [
    'component:default/payments-gateway',
    'component:default/ledger',
  ]),
  service(
    'payments-gateway',
    'team-checkout',
    'Sends payments to the card payments provider.',
  ),
  service('basket', 'team-checkout', 'Holds what a shopper picked.'),
];

const location = (kind: string, name: string) =>
  `/catalog/default/${kind}/${name}`;

describe('the platform search module', () => {
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let scheduler: SchedulerService | undefined;

  const captureScheduler = createBackendModule({
    pluginId: 'search',
    moduleId: 'test-scheduler',
    register({ registerInit }) {
      registerInit({
        deps: { searchScheduler: coreServices.scheduler },
        async init({ searchScheduler }) {
          scheduler = searchScheduler;
        },
      });
    },
  });

  async function query(params: Record<string, unknown>) {
    return request(server)
      .get('/api/search/query')
      .query(params)
      .set('Authorization', mockCredentials.user.header());
  }

  beforeAll(async () => {
    const backend = await startTestBackend({
      features: [
        searchBackend,
        searchModuleCatalogCollator,
        searchModuleTechDocsCollator,
        searchModulePlatform,
        captureScheduler,
        catalogServiceMock.factory({ entities }),
        // Indexing runs when the test says so.
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
      ],
    });
    server = backend.server;
    await scheduler!.triggerTask('search_index_software_catalog');
  });

  it("finds a team's services before any other team's", async () => {
    const response = await query({ term: 'team-payments' });

    expect(response.status).toBe(200);
    const found: string[] = response.body.results.map(
      (result: { document: { location: string } }) => result.document.location,
    );
    const otherTeams = [
      location('group', 'team-checkout'),
      location('component', 'checkout'),
      location('component', 'payments-gateway'),
      location('component', 'basket'),
    ];
    const firstOfOtherTeams = found.findIndex(l => otherTeams.includes(l));
    expect(found.slice(0, firstOfOtherTeams)).toEqual([
      location('component', 'ledger'),
      location('component', 'refunds'),
      location('group', 'team-payments'),
    ]);
  });

  it('still finds services by the words of their own name and description', async () => {
    const response = await query({ term: 'payments' });

    expect(response.status).toBe(200);
    expect(
      response.body.results.map(
        (result: { document: { location: string } }) =>
          result.document.location,
      ),
    ).toEqual(
      expect.arrayContaining([
        location('component', 'payments-gateway'),
        location('component', 'checkout'),
      ]),
    );
  });

  // No TechDocs have been built, so the TechDocs collator has indexed
  // nothing: this is what the search page's Documentation filter asks.
  it.each([
    [{ term: 'payments', types: ['techdocs'] }],
    [{ term: '', types: ['techdocs'] }],
    [{ term: 'payments', types: ['software-catalog', 'techdocs'] }],
  ])('answers 200 for %j before any TechDocs are indexed', async params => {
    await scheduler!.triggerTask('search_index_techdocs');
    const response = await query(params);

    expect(response.status).toBe(200);
    expect(
      response.body.results.every(
        (result: { type: string }) => result.type === 'software-catalog',
      ),
    ).toBe(true);
  });
});
