import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import {
  LocalKubernetesApiServer,
  startKubernetesApiServer,
} from 'local-targets';
import request from 'supertest';
import { createSqliteDatabase } from '@internal/platform-test-utils';
import { testClusterConfig } from '@internal/platform-test-utils';
import { exampleManifests } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { platformModules } from './__testUtils__/platformModules';
import { testStepsModule } from '@internal/platform-test-utils';
import { DatabaseRollbackJournal } from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import { waitFor } from '@internal/platform-test-utils';

jest.setTimeout(90_000);

/**
 * Fault injection for the Kubernetes steps: a real template through the real
 * scaffolder backend, with our module, against the loopback Kubernetes API
 * server. Whatever step fails, nothing the run created remains, and a
 * namespace that existed before the run is untouched.
 */

const failAt = (position: string) =>
  `\${{ parameters.failAt == '${position}' }}`;

const template: TemplateEntityV1beta3 = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'k8s-service', namespace: 'default' },
  spec: {
    type: 'service',
    parameters: [
      {
        properties: {
          name: { type: 'string' },
          failAt: { type: 'string' },
          shared: {
            type: 'string',
            description:
              'An existing platform namespace to deploy into before anything else',
          },
        },
      },
    ],
    steps: [
      {
        id: 'shared',
        if: '${{ parameters.shared }}',
        action: 'platform:kubernetes:apply',
        input: {
          namespace: '${{ parameters.shared }}',
          manifests: [exampleManifests.deployment, exampleManifests.service],
        },
      },
      {
        id: 'namespace',
        action: 'platform:kubernetes:namespace:create',
        input: {
          name: '${{ parameters.name }}',
          service: '${{ parameters.name }}',
          owner: 'group:default/payments-team',
          adopt: "${{ parameters.name == 'svc-adopted' }}",
        },
      },
      {
        id: 'quota',
        action: 'platform:kubernetes:quota:apply',
        input: {
          namespace: '${{ steps.namespace.output.namespace }}',
          // Beyond the configured maximum of 16 when this step must fail.
          quota: {
            cpu: "${{ '64' if parameters.failAt == 'quota' else '6' }}",
          },
        },
      },
      {
        id: 'deploy',
        action: 'platform:kubernetes:apply',
        input: {
          namespace: '${{ steps.namespace.output.namespace }}',
          manifests: [exampleManifests.deployment, exampleManifests.service],
          // Long enough to cancel the run while it waits for the rollout.
          timeoutSeconds: "${{ 60 if parameters.failAt == 'cancel' else 1 }}",
        },
      },
      {
        id: 'after',
        action: 'test:step',
        input: { fail: failAt('after') },
      },
    ],
  },
};

describe('rollback of the Kubernetes steps through the real scaffolder backend', () => {
  let cluster: LocalKubernetesApiServer;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let journal: DatabaseRollbackJournal;
  let existingUid: string | undefined;

  beforeAll(async () => {
    cluster = await startKubernetesApiServer({
      token: 'fault-injection-token',
      deploymentAvailableAfterMs: 20,
      namespaceDeletionDelayMs: 50,
    });
    existingUid = cluster.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'existing', labels: { team: 'someone-else' } },
    }).metadata.uid;
    const knex = createSqliteDatabase();
    journal = new DatabaseRollbackJournal(knex);
    // Long enough for a namespace that takes seconds to terminate.
    const clusterConfig = testClusterConfig(cluster, {
      namespaceDeletionTimeout: { seconds: 30 },
    });
    backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        ...platformModules,
        testStepsModule,
        catalogServiceMock.mock({ getEntityByRef: async () => template })
          .factory,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://backstage.test' },
            ...clusterConfig,
            platform: {
              ...(clusterConfig.platform as object),
              rollback: { pollInterval: { milliseconds: 200 } },
            },
          },
        }),
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await cluster?.close();
  });

  beforeEach(() => {
    cluster.settings.deploymentAvailableAfterMs = 20;
    cluster.settings.namespaceDeletionDelayMs = 50;
  });

  const auth = mockCredentials.user.header();

  async function runToEnd(values: Record<string, string>) {
    const created = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', auth)
      .send({ templateRef: 'template:default/k8s-service', values });
    expect(created.status).toBe(201);
    const taskId: string = created.body.id;
    for (;;) {
      const task = await request(backend.server)
        .get(`/api/scaffolder/v2/tasks/${taskId}`)
        .set('Authorization', auth);
      if (['completed', 'failed', 'cancelled'].includes(task.body.status)) {
        return { taskId, status: task.body.status as string };
      }
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }

  /** Until every journaled resource of the run has reached a final state. */
  async function rolledBack(taskId: string) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const entries = await journal.listByTask(taskId);
      if (
        entries.every(e =>
          ['rolled_back', 'rollback_failed', 'kept'].includes(e.state),
        )
      ) {
        return entries;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `rollback of ${taskId} did not finish: ${JSON.stringify(entries)}`,
        );
      }
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }

  it('removes everything when the run is cancelled while it waits for the rollout', async () => {
    cluster.settings.deploymentAvailableAfterMs = 'never';
    const created = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', auth)
      .send({
        templateRef: 'template:default/k8s-service',
        values: { name: 'svc-cancel', failAt: 'cancel' },
      });
    const taskId: string = created.body.id;
    while (!cluster.get('deployments', 'svc-cancel', 'payments')) {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    await request(backend.server)
      .post(`/api/scaffolder/v2/tasks/${taskId}/cancel`)
      .set('Authorization', auth)
      .expect(200);

    const entries = await rolledBack(taskId);
    expect(entries.map(e => e.state)).toEqual(Array(6).fill('rolled_back'));
    expect(cluster.get('namespaces', undefined, 'svc-cancel')).toBeUndefined();
  });

  const namespaces = () =>
    cluster
      .list('namespaces')
      .map(n => n.metadata.name)
      .sort();

  it('keeps everything when the run completes', async () => {
    const { taskId, status } = await runToEnd({
      name: 'svc-ok',
      failAt: 'none',
    });
    expect(status).toBe('completed');
    expect(
      (await journal.listByTask(taskId)).map(e => [e.kind, e.state]),
    ).toEqual([
      ['kubernetes:namespace', 'created'],
      ['kubernetes:resourcequota', 'created'],
      ['kubernetes:limitrange', 'created'],
      ['kubernetes:resourcequota-change', 'created'],
      ['kubernetes:deployment', 'created'],
      ['kubernetes:service', 'created'],
    ]);
    expect(cluster.get('deployments', 'svc-ok', 'payments')).toBeDefined();
  });

  it.each([
    { position: 'namespace', name: 'existing', journaled: 0 },
    { position: 'quota', name: 'svc-quota', journaled: 3 },
    { position: 'apply', name: 'svc-apply', journaled: 6 },
    { position: 'after', name: 'svc-after', journaled: 6 },
  ])(
    'removes everything the run created when it fails at the $position step',
    async ({ position, name, journaled }) => {
      if (position === 'apply') {
        cluster.settings.deploymentAvailableAfterMs = 'never';
      }
      const before = namespaces();
      const { taskId, status } = await runToEnd({ name, failAt: position });
      expect(status).toBe('failed');

      const entries = await rolledBack(taskId);
      expect(entries).toHaveLength(journaled);
      expect(entries.map(e => e.state)).toEqual(
        Array(journaled).fill('rolled_back'),
      );
      expect(namespaces()).toEqual(before);
      for (const resource of [
        'resourcequotas',
        'limitranges',
        'deployments',
        'services',
      ]) {
        expect(
          cluster.list(resource).filter(o => o.metadata.namespace === name),
        ).toEqual([]);
      }
      const existing = cluster.get('namespaces', undefined, 'existing');
      expect(existing?.metadata.uid).toBe(existingUid);
      expect(existing?.status).toEqual({ phase: 'Active' });
    },
  );

  it('rolls back the rest of the run while its namespace is still terminating', async () => {
    cluster.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'svc-shared',
        labels: {
          'app.kubernetes.io/managed-by': 'backstage-platform',
          'platform.internal/service': 'svc-shared',
        },
      },
    });
    cluster.settings.namespaceDeletionDelayMs = 2500;
    const { taskId, status } = await runToEnd({
      name: 'svc-slow',
      failAt: 'after',
      shared: 'svc-shared',
    });
    expect(status).toBe('failed');

    // The run's oldest resources, what it deployed into svc-shared, do not
    // wait for svc-slow, which Kubernetes still terminates meanwhile.
    const whileTerminating = await waitFor(
      'the oldest resource to be rolled back',
      async () => {
        const entries = await journal.listByTask(taskId);
        return entries[0]?.state === 'rolled_back' ? entries : undefined;
      },
    );
    expect(cluster.get('namespaces', undefined, 'svc-slow')?.status).toEqual({
      phase: 'Terminating',
    });
    expect(
      whileTerminating.map(e => [e.identity, e.state, e.reason ?? null]),
    ).toEqual([
      ['local/svc-shared/deployments/payments', 'rolled_back', 'deleted'],
      ['local/svc-shared/services/payments', 'rolled_back', 'deleted'],
      [
        'local/namespaces/svc-slow',
        'rolling_back',
        'deletion requested; Namespace svc-slow on cluster local is still terminating, which Kubernetes finishes once the objects inside are gone',
      ],
      ...Array(5).fill([expect.any(String), 'rolled_back', expect.any(String)]),
    ]);
    expect(
      cluster
        .list('deployments')
        .concat(cluster.list('services'))
        .filter(o =>
          ['svc-slow', 'svc-shared'].includes(o.metadata.namespace!),
        ),
    ).toEqual([]);

    const entries = await rolledBack(taskId);
    expect(entries.map(e => e.state)).toEqual(Array(8).fill('rolled_back'));
    expect(entries[2].reason).toBe('deleted');
    expect(cluster.get('namespaces', undefined, 'svc-slow')).toBeUndefined();
    expect(cluster.get('namespaces', undefined, 'svc-shared')?.status).toEqual({
      phase: 'Active',
    });

    // The run's log names what is rolled back, and shows each outcome as it
    // happens: the older resources before the namespace.
    const events = await request(backend.server)
      .get(`/api/scaffolder/v2/tasks/${taskId}/events`)
      .set('Authorization', auth);
    const log: string[] = events.body
      .filter((e: { type: string }) => e.type === 'log')
      .map((e: { body: { message: string } }) => e.body.message);
    const rollbackLog = log.slice(
      log.findIndex(l => l.startsWith('The run failed')),
    );
    const newestFirst = [
      'kubernetes:service local/svc-slow/services/payments',
      'kubernetes:deployment local/svc-slow/deployments/payments',
      'kubernetes:resourcequota-change local/svc-slow/resourcequotas/platform-quota',
      'kubernetes:limitrange local/svc-slow/limitranges/platform-defaults',
      'kubernetes:resourcequota local/svc-slow/resourcequotas/platform-quota',
      'kubernetes:namespace local/namespaces/svc-slow',
      'kubernetes:service local/svc-shared/services/payments',
      'kubernetes:deployment local/svc-shared/deployments/payments',
    ];
    expect(rollbackLog[0]).toBe(
      `The run failed: rolling back 8 resource(s) it created, newest first: ${newestFirst.join(
        ', ',
      )}.`,
    );
    expect(rollbackLog.slice(-4)).toEqual([
      'Rolling back kubernetes:namespace local/namespaces/svc-slow: deletion requested; Namespace svc-slow on cluster local is still terminating, which Kubernetes finishes once the objects inside are gone. Checking it again while the rest of the rollback goes on.',
      'Rolled back kubernetes:service local/svc-shared/services/payments: deleted.',
      'Rolled back kubernetes:deployment local/svc-shared/deployments/payments: deleted.',
      'Rolled back kubernetes:namespace local/namespaces/svc-slow: deleted.',
    ]);
  });

  it('restores the quota of an adopted namespace the run raised, and leaves the namespace otherwise as it was', async () => {
    const labels = {
      'app.kubernetes.io/managed-by': 'backstage-platform',
      'platform.internal/service': 'svc-adopted',
    };
    const namespace = cluster.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'svc-adopted', labels },
    });
    const quota = cluster.seed({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'platform-quota', namespace: 'svc-adopted', labels },
      spec: { hard: { cpu: '2', memory: '4Gi', pods: '10' } },
    });

    const { taskId, status } = await runToEnd({
      name: 'svc-adopted',
      failAt: 'after',
    });
    expect(status).toBe('failed');
    const entries = await rolledBack(taskId);
    expect(entries.map(e => [e.kind, e.state, e.reason])).toEqual([
      ['kubernetes:limitrange', 'rolled_back', 'deleted'],
      [
        'kubernetes:resourcequota-change',
        'rolled_back',
        'restored the values it had before the run',
      ],
      ['kubernetes:deployment', 'rolled_back', 'deleted'],
      ['kubernetes:service', 'rolled_back', 'deleted'],
    ]);
    expect(
      cluster.get('resourcequotas', 'svc-adopted', 'platform-quota'),
    ).toMatchObject({
      metadata: { uid: quota.metadata.uid, labels },
      spec: { hard: { cpu: '2', memory: '4Gi', pods: '10' } },
    });
    expect(cluster.get('namespaces', undefined, 'svc-adopted')).toMatchObject({
      metadata: { uid: namespace.metadata.uid, labels },
      status: { phase: 'Active' },
    });
    expect(
      cluster
        .list('deployments')
        .concat(cluster.list('services'), cluster.list('limitranges'))
        .filter(o => o.metadata.namespace === 'svc-adopted'),
    ).toEqual([]);
  });
});
