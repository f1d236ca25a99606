import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startCatalogBackend,
  TEST_TOKEN,
} from '../__testUtils__/catalogBackend';
import { runCli } from '../__testUtils__/runCli';

const checkout = {
  ref: 'component:default/checkout',
  name: 'checkout',
  namespace: 'default',
  title: 'Checkout',
  type: 'service',
  lifecycle: 'production',
  owner: 'group:default/team-checkout',
  repository: 'https://git.example.com/org/checkout',
  dependencies: [
    { target: 'component:default/ledger', type: 'runtime', critical: false },
    { target: 'component:default/payments', type: 'runtime', critical: true },
    { target: 'resource:default/orders-db', type: 'data', critical: false },
  ],
  dependents: ['component:default/web-shop'],
};

describe('platform services', () => {
  let backend: Awaited<ReturnType<typeof startCatalogBackend>>;
  let home: string;

  beforeAll(async () => {
    backend = await startCatalogBackend();
  }, 90_000);

  afterAll(async () => {
    await backend?.stop();
  });

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'platform-cli-'));
  });

  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  /** A user with no saved login; `extra` adds PLATFORM_URL and the like. */
  function env(extra: Record<string, string> = {}) {
    return { HOME: home, ...extra };
  }

  function withToken() {
    return env({ PLATFORM_URL: backend.url, PLATFORM_TOKEN: TEST_TOKEN });
  }

  async function listJson(args: string[]): Promise<Array<{ ref: string }>> {
    const result = await runCli(['services', 'ls', '-o', 'json', ...args], {
      env: withToken(),
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(result.stdout);
  }

  describe('ls', () => {
    it('lists the services in name order with owner, lifecycle, type, repository, dependencies and dependents', async () => {
      expect(await listJson([])).toEqual([
        checkout,
        {
          ref: 'component:default/ledger',
          name: 'ledger',
          namespace: 'default',
          type: 'service',
          lifecycle: 'experimental',
          owner: 'group:default/team-payments',
          dependencies: [],
          dependents: ['component:default/checkout'],
        },
        {
          ref: 'component:default/payments',
          name: 'payments',
          namespace: 'default',
          title: 'Payments',
          type: 'service',
          lifecycle: 'production',
          owner: 'group:default/team-payments',
          repository: 'https://git.example.com/org/payments',
          dependencies: [
            {
              target: 'resource:default/orders-db',
              type: 'data',
              critical: true,
            },
          ],
          dependents: ['component:default/checkout'],
        },
      ]);
    });

    it.each([
      [
        ['--team', 'team-payments'],
        ['ledger', 'payments'],
      ],
      [['--team', 'group:default/team-checkout'], ['checkout']],
      [['--lifecycle', 'experimental'], ['ledger']],
      [['--type', 'website'], ['web-shop']],
      [
        ['--type', 'all'],
        ['checkout', 'ledger', 'payments', 'web-shop'],
      ],
      [
        ['--team', 'team-checkout', '--type', 'all'],
        ['checkout', 'web-shop'],
      ],
      [['--team', 'team-nobody'], []],
    ])('filters with %j', async (args, names) => {
      const services = await listJson(args);

      expect(services.map(service => service.ref)).toEqual(
        names.map(name => `component:default/${name}`),
      );
    });

    it('prints a table', async () => {
      const result = await runCli(['services', 'ls', '--type', 'all'], {
        env: withToken(),
      });

      expect(result.code).toBe(0);
      expect(result.stdout.split('\n')).toEqual([
        'NAME      TYPE     LIFECYCLE     OWNER          DEPENDENCIES  DEPENDENTS  REPOSITORY',
        'checkout  service  production    team-checkout  3             1           https://git.example.com/org/checkout',
        'ledger    service  experimental  team-payments  0             1           -',
        'payments  service  production    team-payments  1             1           https://git.example.com/org/payments',
        'web-shop  website  production    team-checkout  1             0           -',
        '',
      ]);
    });

    it('says so when nothing matches', async () => {
      const result = await runCli(
        ['services', 'ls', '--lifecycle', 'deprecated'],
        { env: withToken() },
      );

      expect(result).toEqual({
        code: 0,
        stdout: 'No services match.\n',
        stderr: '',
      });
    });
  });

  describe('show', () => {
    it('prints one service as JSON', async () => {
      const result = await runCli(
        ['services', 'show', 'checkout', '-o', 'json'],
        {
          env: withToken(),
        },
      );

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        ...checkout,
        // web-shop depends on checkout, but not critically.
        blastRadius: [],
        blastRadiusTotal: 0,
      });
    });

    it('shows the services that fail with it', async () => {
      const result = await runCli(['services', 'show', 'payments'], {
        env: withToken(),
      });

      expect(result.code).toBe(0);
      expect(result.stdout).toContain(
        'Blast radius: component:default/checkout\n',
      );
    });

    it('prints one service for a person', async () => {
      const result = await runCli(
        ['services', 'show', 'component:default/checkout'],
        { env: withToken() },
      );

      expect(result.stdout.split('\n')).toEqual([
        'Service:      component:default/checkout',
        'Title:        Checkout',
        'Type:         service',
        'Lifecycle:    production',
        'Owner:        group:default/team-checkout',
        'Repository:   https://git.example.com/org/checkout',
        'Dependencies: component:default/ledger (runtime)',
        '              component:default/payments (runtime, critical)',
        '              resource:default/orders-db (data)',
        'Dependents:   component:default/web-shop',
        'Blast radius: none',
        '',
      ]);
    });

    it('fails in one line for a service the catalog does not have', async () => {
      const result = await runCli(['services', 'show', 'billing'], {
        env: withToken(),
      });

      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: 'error: The catalog has no component:default/billing\n',
      });
    });
  });

  describe('credentials', () => {
    it('uses the URL and token saved by login', async () => {
      const login = await runCli(
        ['login', '--url', `${backend.url}/`, '--token', TEST_TOKEN],
        { env: env() },
      );
      expect(login.code).toBe(0);

      const result = await runCli(
        ['services', 'show', 'checkout', '-o', 'json'],
        {
          env: env(),
        },
      );

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).ref).toBe('component:default/checkout');
    });

    it('sends PLATFORM_TOKEN rather than the saved token', async () => {
      await runCli(
        ['login', '--url', backend.url, '--token', 'revoked-token'],
        {
          env: env(),
        },
      );

      const saved = await runCli(['services', 'ls'], { env: env() });
      const fromEnv = await runCli(['services', 'ls'], {
        env: env({ PLATFORM_TOKEN: TEST_TOKEN }),
      });

      expect(saved).toEqual({
        code: 1,
        stdout: '',
        stderr: `error: The backend at ${backend.url} did not accept the token (401 Unauthorized: Illegal token); run platform login --url URL --token TOKEN, or set PLATFORM_TOKEN\n`,
      });
      expect(fromEnv.code).toBe(0);
    });

    it('fails in one line without a backend URL', async () => {
      expect(await runCli(['services', 'ls'], { env: env() })).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'error: No backend URL: run platform login --url URL, or set PLATFORM_URL\n',
      });
    });

    it('fails in one line when the backend cannot be reached', async () => {
      // A port that was free a moment ago, so that nothing answers on it.
      const server = createServer().listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      server.close();
      const url = `http://127.0.0.1:${port}`;

      const result = await runCli(['services', 'ls'], {
        env: env({ PLATFORM_URL: url, PLATFORM_TOKEN: TEST_TOKEN }),
      });

      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: `error: Cannot reach the backend at ${url} (ECONNREFUSED)\n`,
      });
    });
  });
});
