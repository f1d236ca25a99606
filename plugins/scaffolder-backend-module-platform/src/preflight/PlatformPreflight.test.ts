import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  findPostgresBinDir,
  inMemoryPermissionsRegistry,
  startTestPostgres,
  teamNamespacePermissions,
  TestPostgres,
  useTestCluster,
} from '@internal/platform-test-utils';
import { readPlatformDatabases } from '@internal/plugin-scaffolder-backend-module-platform-database';
import { LocalGithubApiServer, startGithubApiServer } from 'local-targets';
import { Client } from 'pg';
import { PlannedStep, PlatformPreflight } from './PlatformPreflight';

jest.setTimeout(60_000);

const binDir = findPostgresBinDir();
const describeWithPostgres = binDir ? describe : describe.skip;

/** The steps of the golden path that create a service with a database. */
const serviceSteps = (name: string): PlannedStep[] => [
  {
    action: 'platform:github:repo:create',
    input: { repoUrl: `github.com?owner=acme&repo=${name}` },
  },
  {
    action: 'platform:kubernetes:namespace:create',
    input: { name, service: name, owner: 'group:default/team-payments' },
  },
  {
    action: 'platform:database:create',
    input: {
      server: 'main',
      namespace: name,
      name,
      owner: 'group:default/team-payments',
    },
  },
];

describeWithPostgres('PlatformPreflight of platform:database:create', () => {
  const cluster = useTestCluster();
  let github: LocalGithubApiServer;
  let postgres: TestPostgres;
  let superuser: Client;

  beforeAll(async () => {
    postgres = await startTestPostgres(binDir!);
    superuser = new Client(postgres.connection);
    await superuser.connect();
  }, 120_000);

  afterAll(async () => {
    await superuser?.end();
    await postgres?.stop();
  });

  beforeEach(async () => {
    github = await startGithubApiServer({
      host: 'github.com',
      orgs: ['acme'],
      tokens: { t: { login: 'bot', scopes: ['repo'] } },
    });
  });

  afterEach(() => github.close());

  function preflight(options: { port?: number } = {}) {
    const integrations = ScmIntegrations.fromConfig(
      new ConfigReader({
        integrations: {
          github: [{ host: 'github.com', apiBaseUrl: github.url, token: 't' }],
        },
      }),
    );
    const { host, port, user } = postgres.connection;
    return new PlatformPreflight({
      integrations,
      credentialsProvider:
        DefaultGithubCredentialsProvider.fromIntegrations(integrations),
      kubernetes: cluster().kubernetes,
      databases: readPlatformDatabases(
        new ConfigReader({
          platform: {
            databases: {
              main: {
                host,
                port: options.port ?? port,
                adminUser: user,
                adminPassword: 'trusted-on-loopback',
                tls: { mode: 'disable' },
              },
            },
          },
        }),
      ),
      access: teamNamespacePermissions(),
      permissions: mockServices.permissions(),
      permissionsRegistry: inMemoryPermissionsRegistry(),
      catalog: catalogServiceMock(),
    });
  }

  const check = (steps: PlannedStep[], user = 'ada', port?: number) =>
    preflight({ port }).check({
      credentials: mockCredentials.user(`user:default/${user}`),
      workspacePath: '/nonexistent',
      steps,
    });

  /** Roles and databases on the server, to prove that nothing was created. */
  const serverObjects = async () =>
    (
      await superuser.query(
        `SELECT rolname AS name FROM pg_roles
         UNION ALL SELECT datname FROM pg_database ORDER BY 1`,
      )
    ).rows.map(row => row.name);

  /** Namespace ledger, made before the run, of team-payments. */
  const seedLedgerOfPayments = () =>
    cluster().server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'ledger',
        annotations: {
          'platform.internal/owner-ref': 'group:default/team-payments',
        },
      },
    });

  it('refuses a taken database name before any write, together with the other problems', async () => {
    github.seedRepo('acme', 'payments');
    cluster().server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'payments' },
    });
    await superuser.query('CREATE DATABASE payments');
    const before = await serverObjects();
    const { host, port } = postgres.connection;

    const problems = await check(serviceSteps('payments'));

    expect(problems).toEqual([
      {
        kind: 'taken',
        message:
          'Repository acme/payments already exists on github.com; choose another name',
      },
      {
        kind: 'taken',
        message:
          'Namespace payments already exists on cluster local; choose another name, or set adopt: true to use a namespace this platform manages for service payments',
      },
      {
        kind: 'taken',
        message: `Database payments already exists on server main (${host}:${port}); choose another name`,
      },
    ]);
    expect(cluster().server.requests.filter(r => r.write)).toEqual([]);
    expect(github.requests.filter(r => r.method !== 'GET')).toEqual([]);
    expect(await serverObjects()).toEqual(before);
    await superuser.query('DROP DATABASE payments');
  });

  it('refuses a taken role name as well, and passes a service whose names are all free', async () => {
    await superuser.query('CREATE ROLE orders');
    expect(await check(serviceSteps('orders'))).toEqual([
      {
        kind: 'taken',
        message: expect.stringMatching(
          /^Role orders already exists on server main \(.+\); choose another name$/,
        ),
      },
    ]);
    await superuser.query('DROP ROLE orders');
    expect(await check(serviceSteps('orders'))).toEqual([]);
  });

  it('says the database server did not answer instead of calling the name free', async () => {
    const problems = await check(serviceSteps('billing'), 'ada', 1);
    expect(problems).toEqual([
      {
        kind: 'unchecked',
        message: `Could not check names on server main (${postgres.connection.host}:1): the server could not be reached (ECONNREFUSED)`,
      },
    ]);
  });

  it("lets only the namespace's own team put a database Secret into an existing namespace", async () => {
    seedLedgerOfPayments();
    const [, , database] = serviceSteps('ledger');

    expect(await check([database], 'ada')).toEqual([]);
    expect(await check([database], 'grace')).toEqual([
      {
        kind: 'denied',
        message: expect.stringContaining(
          'user:default/grace may not create a database Secret in namespace ledger',
        ),
      },
    ]);
  });

  it('refuses a Secret name taken in an existing namespace', async () => {
    seedLedgerOfPayments();
    cluster().server.seed({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'ledger-database', namespace: 'ledger' },
      stringData: { password: 'theirs' },
    });
    const [, , database] = serviceSteps('ledger');
    expect(await check([database])).toEqual([
      {
        kind: 'taken',
        message:
          'Secret ledger-database already exists in namespace ledger on cluster local; choose another secretName',
      },
    ]);
  });
});
