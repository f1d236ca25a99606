import { AddressInfo } from 'node:net';
import { stripVTControlCharacters } from 'node:util';
import {
  actionsRegistryServiceFactory,
  actionsServiceFactory,
} from '@backstage/backend-defaults/alpha';
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import catalogBackend from '@backstage/plugin-catalog-backend';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import mcpActionsPlugin from '@backstage/plugin-mcp-actions-backend';
import {
  AuthorizeResult,
  isPermission,
} from '@backstage/plugin-permission-common';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { taskCreatePermission } from '@backstage/plugin-scaffolder-common/alpha';
import { JsonObject } from '@backstage/types';
import catalogModulePlatform from '@internal/plugin-catalog-backend-module-platform';
import {
  CatalogTeammates,
  PlatformPermissionPolicy,
  readPlatformPermissionSettings,
} from '@internal/plugin-permission-backend-module-platform';
import {
  authAs,
  FakeCatalog,
  groupEntities,
  readFromGithub,
  realPermissionFeatures,
  testClusterConfig,
  TEST_CLUSTER_TOKEN,
  UNPACED_GITHUB,
  waitFor,
} from '@internal/platform-test-utils';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  LocalGithubApiServer,
  LocalKubernetesApiServer,
  startGithubApiServer,
  startKubernetesApiServer,
} from 'local-targets';
import request from 'supertest';
import { goldenPathTemplate } from './__testUtils__/goldenPathBackend';
import { platformModules } from './__testUtils__/platformModules';

jest.setTimeout(60_000);

const GITHUB_TOKEN = 'mcp-test-github-token';
const CREATE_SERVICE = 'scaffolder.create-service';
const PLATFORM_CATALOG_TOOLS = [
  'catalog.list-platform-services',
  'catalog.get-platform-service',
  'catalog.validate-platform-entity',
];

/** Who may not start a scaffolder task: a person of team-payments. */
const REFUSED_CREATOR = 'bob';

/**
 * The platform's default policy, except that one person may not start
 * scaffolder tasks, as an organisation's own policy could decide.
 */
const platformPolicyRefusingOneCreator = createBackendModule({
  pluginId: 'permission',
  moduleId: 'test-platform-policy',
  register({ registerInit }) {
    registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        userInfo: coreServices.userInfo,
        auth: coreServices.auth,
        cache: coreServices.cache,
        logger: coreServices.logger,
        catalog: catalogServiceRef,
      },
      async init({ policy, config, userInfo, ...teammateDeps }) {
        const platform = new PlatformPermissionPolicy({
          settings: readPlatformPermissionSettings(config),
          userInfo,
          teammates: new CatalogTeammates(teammateDeps),
        });
        policy.setPolicy({
          async handle(query, user) {
            if (
              isPermission(query.permission, taskCreatePermission) &&
              user?.info.userEntityRef === `user:default/${REFUSED_CREATOR}`
            ) {
              return { result: AuthorizeResult.DENY };
            }
            return platform.handle(query, user);
          },
        });
      },
    });
  },
});

/** Two services of two teams, as the catalog serves them once stitched. */
const services: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'payments',
      namespace: 'default',
      annotations: {
        'platform.internal/on-call-url':
          'https://oncall.example.com/rotations/payments',
      },
    },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'group:default/team-payments',
    },
    relations: [
      { type: 'ownedBy', targetRef: 'group:default/team-payments' },
      { type: 'dependencyOf', targetRef: 'component:default/checkout' },
    ],
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'checkout', namespace: 'default' },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'group:default/team-checkout',
      dependencies: [
        {
          target: 'component:default/payments',
          type: 'runtime',
          critical: true,
        },
      ],
    },
    relations: [
      { type: 'ownedBy', targetRef: 'group:default/team-checkout' },
      { type: 'dependsOn', targetRef: 'component:default/payments' },
    ],
  },
];

/** The parameters the template requires, and a lifecycle for its catalog entry. */
const values = (name: string) => ({
  service_name: name,
  owner: 'group:default/team-payments',
  github_org: 'example-org',
  language: 'go',
  lifecycle: 'experimental',
});

/**
 * The platform's create-service action as an agent sees it: through
 * Backstage's MCP server (`@backstage/plugin-mcp-actions-backend`) with the
 * MCP SDK's own client, against the real scaffolder, every platform module,
 * the real permission backend with the platform's policy, and the loopback
 * GitHub and Kubernetes servers.
 */
describe('the platform over MCP', () => {
  let github: LocalGithubApiServer;
  let cluster: LocalKubernetesApiServer;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let url: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    github = await startGithubApiServer({
      host: 'github.com',
      orgs: ['example-org'],
      tokens: {
        [GITHUB_TOKEN]: {
          login: 'platform-bot',
          scopes: ['repo', 'delete_repo'],
        },
      },
    });
    cluster = await startKubernetesApiServer({ token: TEST_CLUSTER_TOKEN });
    const clusterConfig = testClusterConfig(cluster);
    backend = await startTestBackend({
      features: [
        ...realPermissionFeatures,
        platformPolicyRefusingOneCreator,
        scaffolderPlugin,
        ...platformModules,
        // The catalog plugin hosts the platform's catalog actions; they and
        // the scaffolder read the catalog through the fake below.
        catalogBackend,
        catalogModulePlatform,
        mcpActionsPlugin,
        actionsRegistryServiceFactory,
        actionsServiceFactory,
        new FakeCatalog({
          entities: [
            goldenPathTemplate() as any,
            ...groupEntities,
            ...services,
          ],
          readFile: readFromGithub(github),
        }).service.factory,
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://backstage.test' },
            backend: {
              baseUrl: 'http://localhost:0',
              // The plugins whose actions the MCP server offers.
              actions: { pluginSources: ['scaffolder', 'catalog'] },
            },
            permission: { enabled: true },
            integrations: {
              github: [
                {
                  host: 'github.com',
                  apiBaseUrl: github.url,
                  token: GITHUB_TOKEN,
                },
              ],
            },
            kubernetes: clusterConfig.kubernetes,
            platform: {
              ...(clusterConfig.platform as JsonObject),
              permissions: { adminGroups: ['group:default/platform-admins'] },
              github: UNPACED_GITHUB,
            },
            mcpActions: { name: 'platform-test' },
          },
        }),
      ],
    });
    url = `http://localhost:${(backend.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await Promise.all(clients.map(client => client.close()));
    await backend?.stop();
    await github?.close();
    await cluster?.close();
  });

  /** An MCP session with the backend's MCP server, as `authorization` would have it. */
  async function connect(authorization: string): Promise<Client> {
    const client = new Client({ name: 'platform-mcp-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/api/mcp-actions/v1`), {
        requestInit: { headers: { Authorization: authorization } },
      }),
    );
    clients.push(client);
    return client;
  }

  const writes = () => [
    ...github.requests.filter(r => r.method !== 'GET'),
    ...cluster.requests.filter(r => r.write),
  ];

  it('lists the create-service tool with its input schema', async () => {
    const { tools } = await (await connect(authAs('ada'))).listTools();
    const tool = tools.find(t => t.name === CREATE_SERVICE);
    expect(tool).toMatchObject({
      description: expect.stringContaining('golden-path template'),
      annotations: {
        title: 'Create a service from a golden path',
        destructiveHint: true,
      },
      inputSchema: {
        type: 'object',
        properties: {
          templateRef: {
            type: 'string',
            default: 'template:default/microservice',
          },
          values: { type: 'object' },
          plan: { type: 'boolean', default: false },
        },
        required: ['values'],
      },
    });
  });

  it('plans a service: the steps and what each would do, with zero writes', async () => {
    const client = await connect(authAs('ada'));
    const before = writes().length;
    const result = await client.callTool({
      name: CREATE_SERVICE,
      arguments: { values: values('mcp-planned'), plan: true },
    });
    expect(result.isError).toBeFalsy();
    const plan = result.structuredContent as {
      accepted: boolean;
      steps: Array<{ id: string; action: string }>;
      log: string[];
    };
    expect(plan.accepted).toBe(true);
    expect(plan.steps.map(step => step.id)).toEqual([
      'render',
      'render-shared',
      'render-ingress',
      'preflight',
      'repo',
      'namespace',
      'database',
      'deploy',
      'register',
    ]);
    // The dry run's log keeps its logger's colours.
    expect(plan.log.map(stripVTControlCharacters)).toContain(
      'info: Dry run: would create private repository example-org/mcp-planned on github.com with 12 file(s) on main, topics golden-path, go, access for team-payments',
    );
    expect(writes()).toHaveLength(before);
    expect(github.getRepo('example-org', 'mcp-planned')).toBeUndefined();
  });

  it("refuses one team's reading of another team's run", async () => {
    const before = writes().length;
    // ada starts a run; its preflight refuses it, as the namespace is taken.
    cluster.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'mcp-taken' },
    });
    const ada = await connect(authAs('ada'));
    const started = await ada.callTool({
      name: CREATE_SERVICE,
      arguments: { values: values('mcp-taken') },
    });
    const { taskId } = started.structuredContent as { taskId: string };
    await waitFor(`task ${taskId} to fail`, async () => {
      const task = await request(backend.server)
        .get(`/api/scaffolder/v2/tasks/${taskId}`)
        .set('Authorization', authAs('ada'));
      return task.body.status === 'failed' ? true : undefined;
    });
    expect(writes()).toHaveLength(before);

    // grace, of another team, may not read its log; ada may.
    const readLog = (client: Client) =>
      client.callTool({
        name: 'scaffolder.get-scaffolder-task-logs',
        arguments: { taskId },
      });
    const grace = await connect(authAs('grace'));
    expect(await readLog(grace)).toMatchObject({
      isError: true,
      content: [
        { type: 'text', text: expect.stringMatching(/^NotAllowedError: /) },
      ],
    });
    const log = (await readLog(ada)).structuredContent as {
      events: Array<{ body: { message: string } }>;
    };
    expect(log.events.map(event => event.body.message).join('\n')).toContain(
      'Namespace mcp-taken already exists on cluster local; choose another name',
    );
  });

  it('lists to each team only its own runs, also those refused before any write', async () => {
    /** A run the preflight refuses, as the namespace is taken. */
    async function refusedRun(user: string, name: string, owner: string) {
      cluster.seed({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      });
      const started = await (
        await connect(authAs(user))
      ).callTool({
        name: CREATE_SERVICE,
        arguments: { values: { ...values(name), owner } },
      });
      const { taskId } = started.structuredContent as { taskId: string };
      await waitFor(`task ${taskId} to fail`, async () => {
        const task = await request(backend.server)
          .get(`/api/scaffolder/v2/tasks/${taskId}`)
          .set('Authorization', authAs(user));
        return task.body.status === 'failed' ? true : undefined;
      });
      return taskId;
    }
    const adas = await refusedRun(
      'ada',
      'mcp-runs-payments',
      'group:default/team-payments',
    );
    const graces = await refusedRun(
      'grace',
      'mcp-runs-checkout',
      'group:default/team-checkout',
    );

    type Page = {
      runs: Array<{
        taskId: string;
        serviceName?: string;
        createdBy?: string;
        createdAt: string;
      }>;
      totalItems: number;
    };
    const listAs = async (user: string, whose = 'all') => {
      const result = await (
        await connect(authAs(user))
      ).callTool({
        name: 'scaffolder.list-platform-runs',
        arguments: { whose, template: 'microservice' },
      });
      expect(result.isError).toBeFalsy();
      return result.structuredContent as Page;
    };

    const ada = await listAs('ada');
    // Newest first; runs started within the same second (the scaffolder
    // keeps seconds) come in task id order, so ada's run is looked up.
    const startTimes = ada.runs.map(run => Date.parse(run.createdAt));
    expect(startTimes).toEqual([...startTimes].sort((a, b) => b - a));
    expect(ada.runs.find(run => run.taskId === adas)).toMatchObject({
      taskId: adas,
      serviceName: 'mcp-runs-payments',
      createdBy: 'user:default/ada',
      templateRef: 'template:default/microservice',
      status: 'failed',
      resources: [],
    });
    expect(ada.runs.map(run => run.taskId)).not.toContain(graces);
    expect(ada.totalItems).toBe(ada.runs.length);
    expect(new Set(ada.runs.map(run => run.createdBy))).toEqual(
      new Set(['user:default/ada']),
    );

    const grace = await listAs('grace');
    expect(grace.runs.map(run => run.taskId)).toEqual([graces]);

    // A platform admin reads every run, but started none.
    const admin = await listAs('linus');
    expect(admin.runs.map(run => run.taskId)).toEqual(
      expect.arrayContaining([adas, graces]),
    );
    expect((await listAs('linus', 'mine')).runs).toEqual([]);

    const getAs = (user: string, taskId: string) =>
      connect(authAs(user)).then(client =>
        client.callTool({
          name: 'scaffolder.get-platform-run',
          arguments: { taskId },
        }),
      );
    expect(await getAs('grace', adas)).toMatchObject({
      isError: true,
      content: [
        {
          type: 'text',
          text: `NotFoundError: No platform run for task ${adas}`,
        },
      ],
    });
    expect((await getAs('ada', adas)).structuredContent).toMatchObject({
      taskId: adas,
      serviceName: 'mcp-runs-payments',
    });
  });

  it('refuses the create of a user whose policy denies it, before any write', async () => {
    const before = writes().length;
    const client = await connect(authAs(REFUSED_CREATOR));

    const result = await client.callTool({
      name: CREATE_SERVICE,
      arguments: { values: values('mcp-refused') },
    });
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([
      {
        type: 'text',
        text: 'NotAllowedError: You may not start a run (scaffolder.task.create), so no service was created',
      },
    ]);
    expect(writes()).toHaveLength(before);
    expect(github.getRepo('example-org', 'mcp-refused')).toBeUndefined();
    const tasks = await request(backend.server)
      .get('/api/scaffolder/v2/tasks')
      .query({ createdBy: `user:default/${REFUSED_CREATOR}` })
      .set('Authorization', authAs('linus'));
    expect(tasks.body.tasks).toEqual([]);
  });

  describe("the platform's catalog actions", () => {
    it('lists them with their input schemas', async () => {
      const { tools } = await (await connect(authAs('ada'))).listTools();
      const byName = new Map(tools.map(tool => [tool.name, tool]));

      expect(PLATFORM_CATALOG_TOOLS.filter(name => byName.has(name))).toEqual(
        PLATFORM_CATALOG_TOOLS,
      );
      expect(byName.get('catalog.list-platform-services')).toMatchObject({
        annotations: { readOnlyHint: true },
        inputSchema: {
          properties: {
            team: { type: 'string' },
            lifecycle: { type: 'string' },
            type: { type: 'string', default: 'service' },
            cursor: { type: 'string' },
          },
        },
      });
      expect(byName.get('catalog.get-platform-service')).toMatchObject({
        description: expect.stringContaining('blast radius'),
        inputSchema: { required: ['name'] },
      });
      expect(byName.get('catalog.validate-platform-entity')).toMatchObject({
        inputSchema: { required: ['yaml'] },
      });
    });

    it('lists services', async () => {
      const result = await (
        await connect(authAs('ada'))
      ).callTool({
        name: 'catalog.list-platform-services',
        arguments: { lifecycle: 'production' },
      });

      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({
        services: [
          {
            ref: 'component:default/checkout',
            title: 'checkout',
            type: 'service',
            lifecycle: 'production',
            owner: 'group:default/team-checkout',
          },
          {
            ref: 'component:default/payments',
            title: 'payments',
            type: 'service',
            lifecycle: 'production',
            owner: 'group:default/team-payments',
          },
        ],
        totalItems: 2,
      });
    });

    // The catalog service here is a fake beside an empty real catalog, and
    // the blast radius is walked in the real catalog's relations table: the
    // catalog module's own tests check it on a real catalog (SQLite and
    // PostgreSQL). This checks what reaches an MCP client.
    it('describes a service with its dependents', async () => {
      const result = await (
        await connect(authAs('ada'))
      ).callTool({
        name: 'catalog.get-platform-service',
        arguments: { name: 'payments' },
      });

      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({
        ref: 'component:default/payments',
        owner: 'group:default/team-payments',
        onCall: 'https://oncall.example.com/rotations/payments',
        dependents: [
          {
            ref: 'component:default/checkout',
            type: 'runtime',
            critical: true,
          },
        ],
        dependentsTotal: 1,
        warnings: [],
      });
    });

    it('validates a catalog file with line numbers', async () => {
      const result = await (
        await connect(authAs('grace'))
      ).callTool({
        name: 'catalog.validate-platform-entity',
        arguments: {
          yaml: 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: billing\nspec:\n  type: service\n  lifecycle: production\n  owner: team-payments\n  dependencies:\n    - target: component:ledger\n      type: network\n',
        },
      });

      expect(result.structuredContent).toEqual({
        valid: false,
        entities: 1,
        problems: [
          {
            line: 11,
            message:
              'spec.dependencies[0] of component:default/billing has the type "network"; allowed types are runtime, build, data',
          },
        ],
      });
    });
  });
});
