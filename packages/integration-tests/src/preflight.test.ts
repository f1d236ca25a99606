import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import {
  createScaffolderActionConditionalDecision,
  scaffolderActionConditions,
} from '@backstage/plugin-scaffolder-backend/alpha';
import { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import { actionExecutePermission } from '@backstage/plugin-scaffolder-common/alpha';
import { PlatformPermissionPolicy } from '@internal/plugin-permission-backend-module-platform';
import {
  LocalGithubApiServer,
  LocalKubernetesApiServer,
  startKubernetesApiServer,
} from 'local-targets';
import request from 'supertest';
import { exampleManifests } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import {
  ANNOTATION_OWNER_REF,
  LABEL_MANAGED_BY,
  LABEL_SERVICE,
  MANAGED_BY_PLATFORM,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { platformModules } from './__testUtils__/platformModules';
import { createSqliteDatabase } from '@internal/platform-test-utils';
import {
  githubIntegrationConfig,
  startTestGithub,
  UNPACED_GITHUB,
} from '@internal/platform-test-utils';
import { testClusterConfig } from '@internal/platform-test-utils';
import {
  authAs,
  groupEntities,
  realPermissionFeatures,
} from '@internal/platform-test-utils';
import { testStepsModule } from '@internal/platform-test-utils';
import { waitFor } from '@internal/platform-test-utils';

jest.setTimeout(90_000);

/**
 * `platform:preflight` through the real scaffolder and permission backend:
 * whatever would make a later step fail is found before the first write,
 * all of it at once.
 */

const repoInput = {
  repoUrl: 'github.test?owner=acme&repo=${{ parameters.name }}',
};
const namespaceInput = {
  name: '${{ parameters.name }}',
  service: '${{ parameters.name }}',
  owner: 'group:default/team-payments',
};
const deployInput = {
  namespace: '${{ parameters.deployInto or parameters.name }}',
  manifests: [exampleManifests.deployment, exampleManifests.service],
};

const template: TemplateEntityV1beta3 = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'checked', namespace: 'default' },
  spec: {
    type: 'service',
    parameters: [
      {
        properties: {
          name: { type: 'string' },
          deployInto: { type: 'string' },
        },
      },
    ],
    steps: [
      { id: 'files', action: 'test:step', input: { writeFiles: true } },
      {
        id: 'preflight',
        action: 'platform:preflight',
        input: {
          entityRef: 'component:default/${{ parameters.name }}',
          steps: [
            { action: 'platform:github:repo:create', input: repoInput },
            {
              action: 'platform:kubernetes:namespace:create',
              input: namespaceInput,
            },
            { action: 'platform:kubernetes:apply', input: deployInput },
          ],
        },
      },
      { id: 'repo', action: 'platform:github:repo:create', input: repoInput },
      {
        id: 'namespace',
        action: 'platform:kubernetes:namespace:create',
        input: namespaceInput,
      },
      { id: 'deploy', action: 'platform:kubernetes:apply', input: deployInput },
    ],
  },
};

/**
 * The platform's policy, except that grace may not create a namespace
 * called graces: a later step's denial that only the preflight can see
 * coming.
 */
const policyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'test-policy',
  register({ registerInit }) {
    registerInit({
      deps: { policy: policyExtensionPoint, userInfo: coreServices.userInfo },
      async init({ policy, userInfo }) {
        const platform = new PlatformPermissionPolicy({
          settings: {
            adminGroups: ['group:default/platform-admins'],
            runVisibility: 'team',
          },
          userInfo,
          teammates: { of: async user => [user] },
        });
        policy.setPolicy({
          async handle(query, user) {
            const decision = await platform.handle(query, user);
            const ref = (
              user?.credentials.principal as { userEntityRef?: string }
            )?.userEntityRef;
            if (
              decision.result === AuthorizeResult.ALLOW &&
              ref === 'user:default/grace' &&
              query.permission.name === actionExecutePermission.name
            ) {
              return createScaffolderActionConditionalDecision(
                actionExecutePermission,
                {
                  not: {
                    allOf: [
                      scaffolderActionConditions.hasActionId({
                        actionId: 'platform:kubernetes:namespace:create',
                      }),
                      scaffolderActionConditions.hasStringProperty({
                        key: 'name',
                        value: 'graces',
                      }),
                    ],
                  },
                },
              );
            }
            return decision;
          },
        });
      },
    });
  },
});

describe('platform:preflight', () => {
  let cluster: LocalKubernetesApiServer;
  let github: LocalGithubApiServer;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;

  beforeAll(async () => {
    cluster = await startKubernetesApiServer({
      token: 'preflight-cluster-token',
      deploymentAvailableAfterMs: 20,
    });
    cluster.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'taken' },
    });
    cluster.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'payments-api',
        labels: {
          [LABEL_MANAGED_BY]: MANAGED_BY_PLATFORM,
          [LABEL_SERVICE]: 'payments-api',
        },
        annotations: { [ANNOTATION_OWNER_REF]: 'group:default/team-payments' },
      },
    });
    github = await startTestGithub();
    github.seedRepo('acme', 'taken');
    const clusterConfig = testClusterConfig(cluster);
    backend = await startTestBackend({
      features: [
        ...realPermissionFeatures,
        policyModule,
        scaffolderPlugin,
        ...platformModules,
        testStepsModule,
        catalogServiceMock.factory({
          entities: [
            template,
            ...groupEntities,
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: { name: 'taken', namespace: 'default' },
              spec: { type: 'service', owner: 'group:default/team-checkout' },
            },
          ],
        }),
        mockServices.database.factory({ knex: createSqliteDatabase() }),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://backstage.test' },
            permission: { enabled: true },
            ...githubIntegrationConfig(github),
            ...clusterConfig,
            platform: {
              ...(clusterConfig.platform as object),
              github: UNPACED_GITHUB,
              rollback: { pollInterval: { milliseconds: 200 } },
            },
          },
        }),
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await github?.close();
    await cluster?.close();
  });

  beforeEach(() => {
    cluster.requests.length = 0;
    github.requests.length = 0;
  });

  const githubWrites = () =>
    github.requests.filter(r => r.method !== 'GET' && r.method !== 'HEAD');
  const clusterWrites = () => cluster.requests.filter(r => r.write);

  async function runToEnd(user: string, values: Record<string, string>) {
    const created = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', authAs(user))
      .send({ templateRef: 'template:default/checked', values });
    expect(created.body).toEqual({ id: expect.any(String) });
    const taskId: string = created.body.id;
    const status = await waitFor(`task ${taskId} to end`, async () => {
      const res = await request(backend.server)
        .get(`/api/scaffolder/v2/tasks/${taskId}`)
        .set('Authorization', authAs('linus'));
      return ['completed', 'failed'].includes(res.body.status)
        ? (res.body.status as string)
        : undefined;
    });
    const events = await request(backend.server)
      .get(`/api/scaffolder/v2/tasks/${taskId}/events`)
      .set('Authorization', authAs('linus'));
    const log = events.body
      .map((e: { body: { message?: string } }) => e.body.message ?? '')
      .join('\n');
    return { status, log };
  }

  it('lets a run that nothing stands in the way of go on to create everything', async () => {
    const { status, log } = await runToEnd('ada', { name: 'fresh' });
    expect(log).toContain(
      'Nothing stands in the way: every name is free and every step is permitted',
    );
    expect(status).toBe('completed');
    expect(github.getRepo('acme', 'fresh')).toBeDefined();
    expect(cluster.get('namespaces', undefined, 'fresh')).toBeDefined();
  });

  it('reports every problem at once and writes nothing', async () => {
    const { status, log } = await runToEnd('grace', {
      name: 'taken',
      deployInto: 'payments-api',
    });
    expect(status).toBe('failed');
    expect(log).toContain(
      'Nothing was created: the run would fail, so it stopped before its first write. 4 problems:',
    );
    for (const problem of [
      '- component:default/taken already exists in the catalog, owned by group:default/team-checkout; choose another name',
      '- Repository acme/taken already exists on github.test; choose another name',
      '- Namespace taken already exists on cluster local; choose another name, or set adopt: true to use a namespace this platform manages for service taken',
      '- User user:default/grace may not deploy into namespace payments-api on cluster local, which belongs to group:default/team-payments',
    ]) {
      expect(log).toContain(problem);
    }
    expect(log).not.toContain(
      'Beginning step platform:github:repo:create\nCreating',
    );
    expect(githubWrites()).toEqual([]);
    expect(clusterWrites()).toEqual([]);
  });

  it('stops before the repository when a later step is denied: zero writes, not a rollback', async () => {
    const { status, log } = await runToEnd('grace', { name: 'graces' });
    expect(status).toBe('failed');
    expect(log).toContain(
      '- You may not run platform:kubernetes:namespace:create with these inputs (scaffolder.action.execute)',
    );
    expect(github.getRepo('acme', 'graces')).toBeUndefined();
    expect(githubWrites()).toEqual([]);
    expect(clusterWrites()).toEqual([]);
  });

  describe('the name check the Create page asks while the user types', () => {
    const check = async (name: string) =>
      (
        await request(backend.server)
          .get(`/api/scaffolder/platform/service-names/${name}`)
          .query({ githubOwner: 'acme', githubHost: 'github.test' })
          .set('Authorization', authAs('ada'))
          .expect(200)
      ).body;

    it('says a free name is free everywhere, and writes nothing', async () => {
      await expect(check('brand-new')).resolves.toEqual({
        name: 'brand-new',
        checks: [
          { system: 'name', free: true },
          { system: 'catalog', free: true },
          { system: 'github', free: true },
          { system: 'kubernetes', free: true },
        ],
      });
      expect(githubWrites()).toEqual([]);
      expect(clusterWrites()).toEqual([]);
    });

    it('says where a name is taken, in words', async () => {
      await expect(check('taken')).resolves.toEqual({
        name: 'taken',
        checks: [
          { system: 'name', free: true },
          {
            system: 'catalog',
            free: false,
            kind: 'taken',
            message:
              'component:default/taken already exists in the catalog, owned by group:default/team-checkout; choose another name',
          },
          {
            system: 'github',
            free: false,
            kind: 'taken',
            message:
              'Repository acme/taken already exists on github.test; choose another name',
          },
          {
            system: 'kubernetes',
            free: false,
            kind: 'taken',
            message:
              'Namespace taken already exists on cluster local; choose another name',
          },
        ],
      });
    });

    it('says why a name is not valid, without asking anyone', async () => {
      const { checks } = await check('Stock-');
      expect(checks).toEqual([
        expect.objectContaining({
          system: 'name',
          free: false,
          kind: 'invalid',
          message: expect.stringContaining('is not a valid DNS-1123 label'),
        }),
      ]);
      expect(github.requests).toEqual([]);
    });

    it('answers only signed-in users', async () => {
      const res = await request(backend.server)
        .get('/api/scaffolder/platform/service-names/x')
        .set('Authorization', mockCredentials.user.invalidHeader());
      expect(res.status).toBe(401);
    });
  });
});
