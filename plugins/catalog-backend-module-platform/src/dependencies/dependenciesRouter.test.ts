import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mockCredentials } from '@backstage/backend-test-utils';
import { authAs, testDatabases } from '@internal/platform-test-utils';
import request from 'supertest';
import { startTwoTeamsCatalog } from '../__testUtils__/twoTeamsCatalog';

jest.setTimeout(90_000);

const DEPENDENTS = 120;
const name = (i: number) => `svc-${String(i).padStart(3, '0')}`;

/**
 * A hub of team-checkout with 120 dependents, every other one critical; a
 * chain of two more behind svc-000, and the hub itself behind the chain, so
 * the critical edges form a cycle.
 */
function hubCatalog(): string {
  const component = (
    componentName: string,
    dependencies: Array<{ target: string; critical: boolean }>,
  ) =>
    JSON.stringify({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: componentName },
      spec: {
        type: 'service',
        lifecycle: 'production',
        owner: 'team-checkout',
        dependencies,
      },
    });
  const documents = [
    component('hub', [{ target: 'component:chain-2', critical: true }]),
    component('chain-1', [{ target: `component:${name(0)}`, critical: true }]),
    component('chain-2', [{ target: 'component:chain-1', critical: true }]),
  ];
  for (let i = 0; i < DEPENDENTS; i++) {
    documents.push(
      component(name(i), [{ target: 'component:hub', critical: i % 2 === 0 }]),
    );
  }
  return documents.join('\n---\n');
}

// The blast radius is one recursive SQL query: it runs on both databases.
const { databases, ids } = testDatabases();

describe.each(ids)(
  'GET /api/catalog/platform/dependencies and /dependents, on %s',
  databaseId => {
    let server: Awaited<ReturnType<typeof startTwoTeamsCatalog>>;
    const fixtures = mkdtempSync(path.join(tmpdir(), 'platform-hub-'));

    function get(user: string, route: string, query: Record<string, string>) {
      return request(server)
        .get(`/api/catalog/platform/${route}`)
        .query(query)
        .set('Authorization', authAs(user));
    }

    async function summary(user: string, entityRef: string) {
      const response = await get(user, 'dependencies', { entityRef });
      expect(response.status).toBe(200);
      return response.body;
    }

    beforeAll(async () => {
      const file = path.join(fixtures, 'hub.yaml');
      writeFileSync(file, hubCatalog());
      server = await startTwoTeamsCatalog({
        database: await databases.init(databaseId),
        extraFiles: [file],
        // Every dependent is stitched once the catalog's own query finds it.
        ready: async readAsAdmin =>
          (
            await readAsAdmin('/api/catalog/entities/by-query').query({
              filter: 'relations.dependsOn=component:default/hub',
              limit: 0,
            })
          ).body.totalItems === DEPENDENTS,
      });
    });

    afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

    it('summarises dependencies, dependents, blast radius and warnings across two teams', async () => {
      expect(await summary('linus', 'component:default/payments')).toEqual({
        entityRef: 'component:default/payments',
        dependencies: [
          {
            ref: 'resource:default/orders-db',
            type: 'data',
            critical: true,
            node: {
              ref: 'resource:default/orders-db',
              title: 'Orders database',
              lifecycle: 'production',
              owner: 'group:default/team-payments',
            },
          },
        ],
        dependents: {
          rows: [
            {
              ref: 'component:default/checkout',
              type: 'runtime',
              critical: true,
              node: {
                ref: 'component:default/checkout',
                title: 'checkout',
                lifecycle: 'production',
                owner: 'group:default/team-checkout',
              },
            },
          ],
          totalItems: 1,
        },
        warnings: [],
        blastRadius: {
          total: 2,
          items: [
            { ref: 'component:default/checkout', title: 'checkout' },
            { ref: 'component:default/web-shop', title: 'web-shop' },
          ],
        },
      });
    });

    it("counts none of another team's dependents for a team member", async () => {
      const payments = await summary('ada', 'component:default/payments');

      expect(payments.dependencies).toHaveLength(1);
      expect(payments.dependents).toEqual({ rows: [], totalItems: 0 });
      expect(payments.blastRadius).toEqual({ total: 0, items: [] });
    });

    it('warns about production dependents of an experimental service', async () => {
      expect(
        (await summary('linus', 'component:default/ledger')).warnings,
      ).toEqual([
        {
          kind: 'unstable-critical-dependency',
          source: 'component:default/checkout',
          target: 'component:default/ledger',
          targetLifecycle: 'experimental',
          message:
            'checkout is in production and depends critically on ledger, which is experimental.',
        },
      ]);
      // ada may not read checkout: the warning would name it.
      expect(
        (await summary('ada', 'component:default/ledger')).warnings,
      ).toEqual([]);
    });

    it("refuses another team's entity as if it did not exist", async () => {
      const response = await get('grace', 'dependencies', {
        entityRef: 'component:default/payments',
      });

      expect(response.status).toBe(404);
      expect(response.body.error).toMatchObject({
        name: 'NotFoundError',
        message:
          'The catalog has no component:default/payments, or you may not read it',
      });
    });

    it("gives a hub's dependents a page at a time, by name", async () => {
      const hub = await summary('grace', 'component:default/hub');
      expect(hub.dependents.rows).toHaveLength(50);
      expect(hub.dependents.totalItems).toBe(DEPENDENTS);

      const names = hub.dependents.rows.map((row: { ref: string }) => row.ref);
      let cursor = hub.dependents.nextCursor;
      while (cursor) {
        const page = await get('grace', 'dependents', {
          entityRef: 'component:default/hub',
          cursor,
        });
        expect(page.status).toBe(200);
        names.push(...page.body.rows.map((row: { ref: string }) => row.ref));
        cursor = page.body.nextCursor;
      }

      expect(names).toEqual(
        Array.from(
          { length: DEPENDENTS },
          (_, i) => `component:default/${name(i)}`,
        ),
      );
    });

    it('walks the blast radius through chains and cycles, nearest first, without the entity itself', async () => {
      const { blastRadius } = await summary('grace', 'component:default/hub');
      const critical = Array.from(
        { length: DEPENDENTS / 2 },
        (_, i) => `component:default/${name(2 * i)}`,
      );

      expect(blastRadius.total).toBe(critical.length + 2);
      expect(
        blastRadius.items.map((item: { ref: string }) => item.ref),
      ).toEqual([
        ...critical,
        'component:default/chain-1',
        'component:default/chain-2',
      ]);
    });

    it('refuses a missing or malformed entity ref and an unauthenticated caller', async () => {
      const missing = await get('grace', 'dependencies', {});
      expect(missing.status).toBe(400);
      expect(missing.body.error.name).toBe('InputError');

      const malformed = await get('grace', 'dependents', { entityRef: 'hub' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.message).toBe(
        'entityRef "hub" is not a full ref such as component:default/payments',
      );

      const anonymous = await request(server)
        .get('/api/catalog/platform/dependencies')
        .query({ entityRef: 'component:default/hub' })
        .set('Authorization', mockCredentials.none.header());
      expect(anonymous.status).toBe(401);
    });
  },
);
