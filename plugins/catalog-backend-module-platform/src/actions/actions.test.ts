import { authAs } from '@internal/platform-test-utils';
import request from 'supertest';
import { startTwoTeamsCatalog } from '../__testUtils__/twoTeamsCatalog';

jest.setTimeout(60_000);

describe('the platform catalog actions', () => {
  let server: Awaited<ReturnType<typeof startTwoTeamsCatalog>>;

  /** Calls a catalog action through the actions registry as `user`. */
  function invoke(user: string, action: string, input: object) {
    return request(server)
      .post(
        `/api/catalog/.backstage/actions/v1/actions/catalog:${action}/invoke`,
      )
      .set('Authorization', authAs(user))
      .send(input);
  }

  async function output(user: string, action: string, input: object) {
    const response = await invoke(user, action, input);
    expect(response.status).toBe(200);
    return response.body.output;
  }

  beforeAll(async () => {
    server = await startTwoTeamsCatalog();
  });

  describe('catalog:list-platform-services', () => {
    it("lists only the services of the caller's team", async () => {
      const refs = async (user: string) =>
        (await output(user, 'list-platform-services', {})) as {
          services: Array<{ ref: string }>;
          totalItems: number;
        };

      expect(await refs('ada')).toEqual({
        services: [
          {
            ref: 'component:default/ledger',
            title: 'ledger',
            type: 'service',
            lifecycle: 'experimental',
            owner: 'group:default/team-payments',
          },
          {
            ref: 'component:default/payments',
            title: 'Payments',
            type: 'service',
            lifecycle: 'production',
            owner: 'group:default/team-payments',
          },
        ],
        totalItems: 2,
      });
      const grace = await refs('grace');
      expect(grace.services.map(s => s.ref)).toEqual([
        'component:default/checkout',
        'component:default/web-shop',
      ]);
      expect(grace.totalItems).toBe(2);
    });

    it('filters by team and lifecycle, and pages with a cursor', async () => {
      const byTeam = await output('linus', 'list-platform-services', {
        team: 'team-checkout',
      });
      expect(byTeam.services.map((s: { ref: string }) => s.ref)).toEqual([
        'component:default/checkout',
        'component:default/web-shop',
      ]);
      const experimental = await output('linus', 'list-platform-services', {
        lifecycle: 'experimental',
      });
      expect(experimental.totalItems).toBe(1);

      const first = await output('linus', 'list-platform-services', {
        limit: 3,
      });
      expect(first.services).toHaveLength(3);
      expect(first.totalItems).toBe(4);
      const second = await output('linus', 'list-platform-services', {
        cursor: first.nextCursor,
        limit: 3,
      });
      expect(second.services.map((s: { ref: string }) => s.ref)).toEqual([
        'component:default/web-shop',
      ]);
      expect(second.nextCursor).toBeUndefined();
    });
  });

  describe('catalog:get-platform-service', () => {
    it('describes a service with on-call, docs, dependencies, dependents and blast radius', async () => {
      expect(
        await output('linus', 'get-platform-service', { name: 'payments' }),
      ).toEqual({
        ref: 'component:default/payments',
        title: 'Payments',
        type: 'service',
        lifecycle: 'production',
        owner: 'group:default/team-payments',
        onCall: 'https://oncall.example.com/rotations/payments',
        repository: 'https://git.example.com/org/payments',
        docs: {
          url: 'https://docs.example.com/payments',
          techdocs: 'dir:.',
          links: expect.arrayContaining([
            {
              url: 'https://docs.example.com/payments',
              title: 'Documentation',
              type: 'documentation',
            },
          ]),
        },
        dependencies: [
          {
            ref: 'resource:default/orders-db',
            type: 'data',
            critical: true,
            title: 'Orders database',
            lifecycle: 'production',
            owner: 'group:default/team-payments',
          },
        ],
        dependents: [
          {
            ref: 'component:default/checkout',
            type: 'runtime',
            critical: true,
            title: 'checkout',
            lifecycle: 'production',
            owner: 'group:default/team-checkout',
          },
        ],
        dependentsTotal: 1,
        blastRadius: [
          'component:default/checkout',
          'component:default/web-shop',
        ],
        blastRadiusTotal: 2,
        warnings: [],
      });
    });

    it('leaves out the dependents the caller may not read', async () => {
      const service = await output('ada', 'get-platform-service', {
        name: 'component:default/payments',
      });

      expect(service.ref).toBe('component:default/payments');
      expect(service.dependencies).toHaveLength(1);
      expect(service.dependents).toEqual([]);
      expect(service.dependentsTotal).toBe(0);
      expect(service.blastRadius).toEqual([]);
      expect(service.blastRadiusTotal).toBe(0);
    });

    it("refuses another team's service as if it did not exist", async () => {
      const response = await invoke('grace', 'get-platform-service', {
        name: 'payments',
      });

      expect(response.status).toBe(404);
      expect(response.body.error).toMatchObject({
        name: 'NotFoundError',
        message:
          'The catalog has no component:default/payments, or you may not read it',
      });
    });

    it('warns about the policies a service breaks', async () => {
      expect(
        (await output('linus', 'get-platform-service', { name: 'checkout' }))
          .warnings,
      ).toEqual([
        'checkout is in production and depends critically on ledger, which is experimental.',
      ]);
      expect(
        (await output('grace', 'get-platform-service', { name: 'web-shop' }))
          .warnings,
      ).toEqual(['In production without an on-call rotation.']);
      // payments and ledger belong to team-payments: for grace, checkout
      // depends on what she cannot find, and she learns nothing more of them.
      expect(
        (await output('grace', 'get-platform-service', { name: 'checkout' }))
          .warnings,
      ).toEqual([
        'checkout depends on component:default/payments, which is not in the catalog.',
        'checkout depends on component:default/ledger, which is not in the catalog.',
      ]);
    });
  });

  describe('catalog:validate-platform-entity', () => {
    it('reports each broken rule at its line', async () => {
      const yaml = [
        'apiVersion: backstage.io/v1alpha1',
        'kind: Component',
        'metadata:',
        '  name: billing',
        'spec:',
        '  type: service',
        '  lifecycle: prod',
        '  owner: team-payments',
      ].join('\n');

      expect(
        await output('grace', 'validate-platform-entity', { yaml }),
      ).toEqual({
        valid: false,
        entities: 1,
        problems: [
          {
            line: 7,
            message:
              'component:default/billing has the lifecycle "prod", which is not one of the configured lifecycles: experimental, development, production, deprecated',
          },
        ],
      });
    });

    it('accepts a valid entity', async () => {
      const yaml =
        'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: billing\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n';

      expect(await output('ada', 'validate-platform-entity', { yaml })).toEqual(
        { valid: true, entities: 1, problems: [] },
      );
    });
  });
});
