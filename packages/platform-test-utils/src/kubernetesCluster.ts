import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import knexFactory, { Knex } from 'knex';
import yaml from 'yaml';
import {
  LocalKubernetesApiServer,
  startKubernetesApiServer,
} from 'local-targets';
import { createKubernetesNamespaceCreateAction } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { createKubernetesCompensators } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import {
  PlatformKubernetes,
  readPlatformKubernetes,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { createQuotaChangeCompensator } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { DatabaseRollbackJournal } from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import { PlatformPermissions } from '@internal/plugin-platform-node';
import { testPlatformPermissions } from './permissions';
import { createTestRollbackEngine } from './testRollbackEngine';

export const TEST_CLUSTER_TOKEN = 'test-cluster-secret-token-0123456789';

/** app-config for the loopback cluster, as an operator would write it. */
export function testClusterConfig(
  server: LocalKubernetesApiServer,
  platformKubernetes: JsonObject = {},
): JsonObject {
  return {
    kubernetes: {
      serviceLocatorMethod: { type: 'multiTenant' },
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            {
              name: 'local',
              url: server.url,
              authProvider: 'serviceAccount',
              serviceAccountToken: server.token,
              caData: server.caData,
            },
          ],
        },
      ],
    },
    platform: {
      kubernetes: {
        clusters: [{ name: 'local' }],
        policy: { ingressDomain: 'apps.example.com' },
        quota: {
          default: { cpu: '4', memory: '8Gi', pods: 20 },
          maximum: { cpu: '16', memory: '32Gi', pods: 100 },
        },
        namespaceDeletionTimeout: { milliseconds: 300 },
        ...platformKubernetes,
      },
    },
  };
}

export interface TestCluster {
  server: LocalKubernetesApiServer;
  kubernetes: PlatformKubernetes;
  journal: DatabaseRollbackJournal;
  /** Permissions whose policy allows everything: for tests of other concerns. */
  access: PlatformPermissions;
  /** Lines the rollback engine wrote to the run's log. */
  rollbackLog: string[];
  /** Runs the real rollback engine once over a failed task. */
  rollback(taskId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The loopback Kubernetes API server, the platform settings pointing at it,
 * a real journal on in-memory SQLite and the real rollback engine with the
 * Kubernetes compensators.
 */
export async function startTestCluster(
  options: { platformKubernetes?: JsonObject } = {},
): Promise<TestCluster> {
  const server = await startKubernetesApiServer({
    token: TEST_CLUSTER_TOKEN,
    deploymentAvailableAfterMs: 30,
    namespaceDeletionDelayMs: 30,
  });
  const config = new ConfigReader(
    testClusterConfig(server, options.platformKubernetes),
  );
  const kubernetes = readPlatformKubernetes(config);
  const db: Knex = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
    pool: { min: 1, max: 1 },
  });
  const journal = await DatabaseRollbackJournal.create({
    database: { getClient: async () => db },
  });
  const engine = createTestRollbackEngine({
    journal,
    compensators: [
      ...createKubernetesCompensators({
        clusters: kubernetes.clusters,
        namespaceDeletionTimeoutMs:
          kubernetes.settings.namespaceDeletionTimeoutMs,
      }),
      createQuotaChangeCompensator({ clusters: kubernetes.clusters }),
    ],
  });
  return {
    server,
    kubernetes,
    journal,
    access: testPlatformPermissions(),
    rollbackLog: engine.rollbackLog,
    rollback: taskId => engine.rollback(taskId),
    async close() {
      await engine.stop();
      await db.destroy();
      await server.close();
    },
  };
}

let taskCounter = 0;

/**
 * An action context for a new task. The stock mock drops `isDryRun` and
 * `step`, and its logger is no jest mock; this one records log lines.
 */
export function actionContext<TInput extends JsonObject>(
  input: TInput,
  options: { isDryRun?: boolean; stepId?: string; taskId?: string } = {},
) {
  taskCounter += 1;
  return {
    ...createMockActionContext<TInput>({
      input,
      task: { id: options.taskId ?? `task-${taskCounter}` },
      user: { ref: 'user:default/jane' },
    }),
    isDryRun: options.isDryRun ?? false,
    step: { id: options.stepId ?? 'step' },
    logger: mockServices.logger.mock(),
  };
}

/**
 * A fresh test cluster for every test of the calling `describe`; the
 * returned function gives the current one.
 */
export function useTestCluster(
  options: { platformKubernetes?: JsonObject } = {},
): () => TestCluster {
  let cluster: TestCluster | undefined;
  beforeEach(async () => {
    cluster = await startTestCluster(options);
  });
  afterEach(async () => {
    await cluster?.close();
  });
  return () => cluster!;
}

/** The single step of a documented action example. */
export function exampleStep(example: { example: string }): {
  action: string;
  input: any;
} {
  return yaml.parse(example.example).steps[0];
}

/** A namespace made by the real namespace action, as a template run would. */
export async function createPlatformNamespace(
  cluster: TestCluster,
  name: string,
): Promise<void> {
  await createKubernetesNamespaceCreateAction({
    kubernetes: cluster.kubernetes,
    journal: cluster.journal,
    access: cluster.access,
  }).handler(
    actionContext({
      name,
      service: 'payments',
      owner: 'group:default/payments-team',
    }),
  );
}
