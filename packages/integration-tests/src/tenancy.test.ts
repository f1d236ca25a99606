import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import platformPolicy from '@internal/plugin-permission-backend-module-platform';
import { PlatformRun } from '@internal/plugin-platform-common';
import {
  LocalGithubApiServer,
  LocalKubernetesApiServer,
  startKubernetesApiServer,
} from 'local-targets';
import request from 'supertest';
import { createSqliteDatabase } from '@internal/platform-test-utils';
import {
  githubIntegrationConfig,
  startTestGithub,
  UNPACED_GITHUB,
} from '@internal/platform-test-utils';
import {
  authAs,
  groupEntities,
  realPermissionFeatures,
} from '@internal/platform-test-utils';
import { testClusterConfig } from '@internal/platform-test-utils';
import { testStepsModule } from '@internal/platform-test-utils';
import { waitFor } from '@internal/platform-test-utils';
import { exampleManifests } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import {
  ANNOTATION_CREATED_BY_TASK,
  ANNOTATION_OWNER_REF,
  LABEL_MANAGED_BY,
  LABEL_OWNER,
  LABEL_SERVICE,
  MANAGED_BY_PLATFORM,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { platformModules } from './__testUtils__/platformModules';

jest.setTimeout(90_000);

/**
 * Tenancy through the real backend: the real permission backend with the
 * platform's default policy (never allow-all), the real scaffolder with our
 * module, the loopback GitHub and Kubernetes servers, and people in two
 * teams plus an admin. Whatever the second team tries against the first
 * team's namespace, runs and repository is refused before any write.
 */

const when = (mode: string) => `\${{ parameters.mode == '${mode}' }}`;

const template: TemplateEntityV1beta3 = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'tenancy', namespace: 'default' },
  spec: {
    type: 'service',
    parameters: [
      {
        properties: {
          mode: { type: 'string' },
          namespace: { type: 'string' },
          repo: { type: 'string' },
          fail: { type: 'boolean' },
        },
      },
    ],
    steps: [
      {
        id: 'files',
        action: 'test:step',
        input: { writeFiles: true },
      },
      {
        id: 'repo',
        if: when('repo'),
        action: 'platform:github:repo:create',
        input: {
          repoUrl: 'github.test?owner=acme&repo=${{ parameters.repo }}',
        },
      },
      {
        id: 'namespace',
        if: when('create'),
        action: 'platform:kubernetes:namespace:create',
        input: {
          name: '${{ parameters.namespace }}',
          service: '${{ parameters.namespace }}',
          owner: 'group:default/team-payments',
        },
      },
      {
        id: 'adopt',
        if: when('adopt'),
        action: 'platform:kubernetes:namespace:create',
        input: {
          name: '${{ parameters.namespace }}',
          service: '${{ parameters.namespace }}',
          owner: 'group:default/team-checkout',
          adopt: true,
        },
      },
      {
        id: 'quota',
        if: when('quota'),
        action: 'platform:kubernetes:quota:apply',
        input: {
          namespace: '${{ parameters.namespace }}',
          quota: { cpu: '1', pods: 1 },
        },
      },
      {
        id: 'deploy',
        if: when('deploy'),
        action: 'platform:kubernetes:apply',
        input: {
          namespace: '${{ parameters.namespace }}',
          manifests: [
            {
              ...exampleManifests.deployment,
              metadata: { name: 'payments' },
            },
            exampleManifests.service,
          ],
          timeoutSeconds: 10,
        },
      },
      {
        id: 'wait',
        action: 'test:step',
        input: {
          hang: "${{ parameters.mode == 'repo' and not parameters.fail }}",
          fail: '${{ parameters.fail }}',
        },
      },
    ],
  },
};

/** A namespace of team-payments, made by an earlier platform run. */
const PAYMENTS_NAMESPACE = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: {
    name: 'payments-api',
    labels: {
      [LABEL_MANAGED_BY]: MANAGED_BY_PLATFORM,
      [LABEL_OWNER]: 'team-payments',
      [LABEL_SERVICE]: 'payments-api',
    },
    annotations: { [ANNOTATION_OWNER_REF]: 'group:default/team-payments' },
  },
};

const FINAL = ['completed', 'failed', 'cancelled'];

describe('each team acts only on what it owns', () => {
  let cluster: LocalKubernetesApiServer;
  let github: LocalGithubApiServer;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;

  beforeAll(async () => {
    cluster = await startKubernetesApiServer({
      token: 'tenancy-cluster-token',
      deploymentAvailableAfterMs: 20,
      namespaceDeletionDelayMs: 20,
    });
    github = await startTestGithub();
    const clusterConfig = testClusterConfig(cluster);
    backend = await startTestBackend({
      features: [
        ...realPermissionFeatures,
        platformPolicy,
        scaffolderPlugin,
        ...platformModules,
        testStepsModule,
        catalogServiceMock.factory({
          entities: [template, ...groupEntities],
        }),
        mockServices.database.factory({ knex: createSqliteDatabase() }),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://backstage.test' },
            backend: { baseUrl: 'http://localhost:0' },
            permission: { enabled: true },
            ...githubIntegrationConfig(github),
            ...clusterConfig,
            platform: {
              ...(clusterConfig.platform as object),
              permissions: {
                adminGroups: ['group:default/platform-admins'],
              },
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
  });

  const as = authAs;

  async function run(user: string, values: Record<string, unknown>) {
    const res = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', as(user))
      .send({ templateRef: 'template:default/tenancy', values });
    expect(res.body).toEqual({ id: expect.any(String) });
    return res.body.id as string;
  }

  async function task(taskId: string) {
    const res = await request(backend.server)
      .get(`/api/scaffolder/v2/tasks/${taskId}`)
      .set('Authorization', as('linus'));
    return res.body as { status: string };
  }

  const ended = (taskId: string) =>
    waitFor(`task ${taskId} to end`, async () => {
      const { status } = await task(taskId);
      return FINAL.includes(status) ? status : undefined;
    });

  async function logOf(taskId: string): Promise<string> {
    const res = await request(backend.server)
      .get(`/api/scaffolder/v2/tasks/${taskId}/events`)
      .set('Authorization', as('linus'));
    return res.body
      .map((e: { body: { message?: string } }) => e.body.message ?? '')
      .join('\n');
  }

  const clusterWrites = () => cluster.requests.filter(r => r.write);

  /** The run once its rollback, if any, is over, as its starter sees it. */
  const settled = (taskId: string, user: string) =>
    waitFor(`the rollback of ${taskId}`, async () => {
      const res = await request(backend.server)
        .get(`/api/scaffolder/platform/runs/${taskId}`)
        .set('Authorization', as(user));
      const resources = (res.body as PlatformRun).resources ?? [];
      return res.status === 200 &&
        resources.every(
          r => !['pending', 'created', 'rolling_back'].includes(r.state),
        )
        ? (res.body as PlatformRun)
        : undefined;
    });

  function seedPaymentsNamespace() {
    if (!cluster.get('namespaces', undefined, 'payments-api')) {
      cluster.seed(PAYMENTS_NAMESPACE);
      cluster.seed({
        ...exampleManifests.deployment,
        metadata: {
          name: 'payments',
          namespace: 'payments-api',
          labels: { [LABEL_MANAGED_BY]: MANAGED_BY_PLATFORM },
        },
      });
      cluster.seed({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'platform-quota', namespace: 'payments-api' },
        spec: { hard: { cpu: '4', memory: '8Gi', pods: '20' } },
      });
      cluster.seed({
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: { name: 'platform-defaults', namespace: 'payments-api' },
        spec: {
          limits: [
            {
              type: 'Container',
              defaultRequest: { cpu: '100m', memory: '128Mi' },
              default: { cpu: '500m', memory: '512Mi' },
            },
          ],
        },
      });
    }
  }

  /** What anyone set on team-payments' objects; the cluster's own status aside. */
  const paymentsObjects = () =>
    [
      cluster.get('namespaces', undefined, 'payments-api'),
      cluster.get('resourcequotas', 'payments-api', 'platform-quota'),
      cluster.get('deployments', 'payments-api', 'payments'),
    ].map(object => ({
      uid: object?.metadata.uid,
      labels: object?.metadata.labels,
      annotations: object?.metadata.annotations,
      spec: (object as { spec?: unknown }).spec,
    }));

  const paymentsImage = () =>
    (
      cluster.get('deployments', 'payments-api', 'payments') as unknown as {
        spec: { template: { spec: { containers: Array<{ image: string }> } } };
      }
    ).spec.template.spec.containers[0].image;

  it.each([
    ['deploy into', 'deploy'],
    ['change the quota of', 'quota'],
    ['adopt', 'adopt'],
  ])(
    "refuses another team's attempt to %s its namespace, with zero writes",
    async (doing, mode) => {
      seedPaymentsNamespace();
      const before = paymentsObjects();
      const taskId = await run('grace', { mode, namespace: 'payments-api' });
      expect(await ended(taskId)).toBe('failed');
      expect(await logOf(taskId)).toContain(
        `User user:default/grace may not ${doing} namespace payments-api on cluster local, which belongs to group:default/team-payments`,
      );
      expect(clusterWrites()).toEqual([]);
      expect(paymentsObjects()).toEqual(before);
    },
  );

  it('lets the owning team and an admin write into the namespace', async () => {
    seedPaymentsNamespace();
    const adas = await run('ada', {
      mode: 'deploy',
      namespace: 'payments-api',
    });
    expect([await ended(adas), await logOf(adas)]).toEqual([
      'completed',
      expect.stringContaining(
        'Deployment payments in namespace payments-api on cluster local existed before this run; it was updated',
      ),
    ]);
    expect(clusterWrites().length).toBeGreaterThan(0);
    expect(paymentsImage()).toBe('ghcr.io/example-org/payments:main');

    const linus = await run('linus', {
      mode: 'quota',
      namespace: 'payments-api',
    });
    expect(await ended(linus)).toBe('completed');
    expect(
      cluster.get('resourcequotas', 'payments-api', 'platform-quota'),
    ).toMatchObject({ spec: { hard: { cpu: '1', pods: '1' } } });
  });

  it("refuses another team's cancel of a run, which would roll back its repository", async () => {
    const taskId = await run('ada', { mode: 'repo', repo: 'ada-service' });
    await waitFor('the repository', async () =>
      github.getRepo('acme', 'ada-service'),
    ).catch(async e => {
      throw new Error(`${e.message}\n${await logOf(taskId)}`);
    });
    const refused = await request(backend.server)
      .post(`/api/scaffolder/v2/tasks/${taskId}/cancel`)
      .set('Authorization', as('grace'));
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe(
      `You may not cancel run ${taskId}: it was started by user:default/ada, and only they, their teams and platform admins may cancel it`,
    );
    expect((await task(taskId)).status).toBe('processing');
    expect(github.getRepo('acme', 'ada-service')).toBeDefined();

    // A teammate may, and the rollback then removes what the run created.
    await request(backend.server)
      .post(`/api/scaffolder/v2/tasks/${taskId}/cancel`)
      .set('Authorization', as('bob'))
      .expect(200);
    expect(FINAL).toContain(await ended(taskId));
    await waitFor('the rollback', async () =>
      github.getRepo('acme', 'ada-service') ? undefined : true,
    );
    // The scaffolder keeps no record of who cancelled; the run's log does.
    expect(await logOf(taskId)).toContain(
      'The run was cancelled by user:default/bob: rolling back 1 resource(s) it created',
    );
    expect((await settled(taskId, 'ada')).cancelledBy).toBe('user:default/bob');
  });

  it("refuses another team's retry of a failed run, and its reading of the run", async () => {
    const taskId = await run('ada', {
      mode: 'repo',
      repo: 'ada-failing',
      fail: true,
    });
    expect(await ended(taskId)).toBe('failed');
    await settled(taskId, 'ada');

    const retry = await request(backend.server)
      .post(`/api/scaffolder/v2/tasks/${taskId}/retry`)
      .set('Authorization', as('grace'))
      .send({});
    expect(retry.status).toBe(403);

    for (const path of [
      `/api/scaffolder/v2/tasks/${taskId}`,
      `/api/scaffolder/platform/runs/${taskId}`,
    ]) {
      const res = await request(backend.server)
        .get(path)
        .set('Authorization', as('grace'));
      expect([403, 404]).toContain(res.status);
    }
    const listed = async (user: string) => {
      const res = await request(backend.server)
        .get('/api/scaffolder/platform/runs')
        .set('Authorization', as(user));
      return (res.body.runs as PlatformRun[]).map(r => r.taskId);
    };
    expect(await listed('grace')).not.toContain(taskId);
    expect(await listed('bob')).toContain(taskId);
    expect(await listed('linus')).toContain(taskId);

    const teammateRetry = await request(backend.server)
      .post(`/api/scaffolder/v2/tasks/${taskId}/retry`)
      .set('Authorization', as('bob'))
      .send({});
    expect(teammateRetry.status).toBe(201);
    expect(await ended(taskId)).toBe('failed');
  });

  it('never adopts or deletes a namespace someone stamped with the run, even through a retry', async () => {
    const taskId = await run('ada', {
      mode: 'create',
      namespace: 'stamped',
      fail: true,
    });
    expect(await ended(taskId)).toBe('failed');
    const rolledBack = await settled(taskId, 'ada');
    expect(rolledBack.resources.map(r => r.state)).toEqual([
      'rolled_back',
      'rolled_back',
      'rolled_back',
    ]);

    // Someone else makes a namespace of that name and stamps it with
    // everything public about the run.
    const foreign = cluster.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'stamped',
        labels: {
          [LABEL_MANAGED_BY]: MANAGED_BY_PLATFORM,
          [LABEL_OWNER]: 'team-payments',
          [LABEL_SERVICE]: 'stamped',
        },
        annotations: {
          [ANNOTATION_CREATED_BY_TASK]: taskId,
          [ANNOTATION_OWNER_REF]: 'group:default/team-payments',
        },
      },
    });
    cluster.requests.length = 0;
    await request(backend.server)
      .post(`/api/scaffolder/v2/tasks/${taskId}/retry`)
      .set('Authorization', as('ada'))
      .send({})
      .expect(201);
    expect(await ended(taskId)).toBe('failed');
    expect(await logOf(taskId)).toContain(
      'Namespace stamped already exists on cluster local',
    );
    await new Promise(resolve => setTimeout(resolve, 1000));
    expect(cluster.get('namespaces', undefined, 'stamped')?.metadata.uid).toBe(
      foreign.metadata.uid,
    );
    expect(cluster.requests.filter(r => r.method === 'DELETE')).toEqual([]);
  });
});
