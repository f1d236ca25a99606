import { mockCredentials } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import {
  actionContext,
  createTestRollbackEngine,
  startTestCluster,
  teamNamespacePermissions,
  TestCluster,
} from '@internal/platform-test-utils';
import { SecretScrubber } from '@internal/plugin-platform-node';
import { createDatabaseCreateAction } from '../actions/databaseCreate';
import { createDatabaseRotateCredentialsAction } from '../actions/databaseRotateCredentials';
import { createDatabaseCompensators } from '../database/compensators';
import { DatabaseServer, PlatformDatabases } from '../database/config';
import { createRotationCompensator } from '../database/rotation';

export interface Harness {
  /** The loopback Kubernetes API server the Secrets are written to, and its journal. */
  cluster: TestCluster;
  scrubber: SecretScrubber;
  rollbackLog: string[];
  createAction: ReturnType<typeof createDatabaseCreateAction>;
  rotateAction: ReturnType<typeof createDatabaseRotateCredentialsAction>;
  /** A namespace someone made before the run, owned by `ownerRef`. */
  seedNamespace(name: string, ownerRef?: string): void;
  /** The decoded values of a Secret on the cluster, if it exists. */
  secretValues(
    namespace: string,
    name: string,
  ): Record<string, string> | undefined;
  /** `POST /api/v1/namespaces/payments/secrets`: every write the cluster answered. */
  writes(): string[];
  /** An action context of a new task, started by `user` (default ada). */
  context<T extends JsonObject>(
    input: T,
    options?: { isDryRun?: boolean; taskId?: string; user?: string },
  ): ReturnType<typeof actionContext<T>>;
  rollback(taskId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The actions and compensators as the module wires them, over the loopback
 * Kubernetes API server, a real journal (SQLite), the real rollback engine,
 * and a policy that lets each user write only into their team's namespaces
 * (ada: team-payments, grace: team-checkout).
 */
export async function createHarness(server: DatabaseServer): Promise<Harness> {
  const databases: PlatformDatabases = {
    servers: [server],
    serverFor: name => {
      if (name !== server.name) {
        throw new Error(`no server ${name}`);
      }
      return server;
    },
  };
  const cluster = await startTestCluster();
  const { kubernetes, journal } = cluster;
  const scrubber = SecretScrubber.create({ secrets: [server.adminPassword] });
  const access = teamNamespacePermissions();
  const options = { databases, kubernetes, journal, access, scrubber };
  const engine = createTestRollbackEngine({
    journal,
    compensators: [
      ...createDatabaseCompensators({ databases, kubernetes }),
      createRotationCompensator({ databases, kubernetes, scrubber }),
    ],
    maxDurationPerResourceMs: 2000,
  });
  return {
    cluster,
    scrubber,
    rollbackLog: engine.rollbackLog,
    createAction: createDatabaseCreateAction(options),
    rotateAction: createDatabaseRotateCredentialsAction(options),
    seedNamespace(name, ownerRef = 'group:default/team-payments') {
      cluster.server.seed({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name,
          annotations: { 'platform.internal/owner-ref': ownerRef },
        },
      });
    },
    secretValues(namespace, name) {
      const data = cluster.server.get('secrets', namespace, name)?.data as
        | Record<string, string>
        | undefined;
      return (
        data &&
        Object.fromEntries(
          Object.entries(data).map(([key, value]) => [
            key,
            Buffer.from(value, 'base64').toString('utf8'),
          ]),
        )
      );
    },
    writes: () =>
      cluster.server.requests
        .filter(r => r.write)
        .map(r => `${r.method} ${r.path}`),
    context(input, contextOptions = {}) {
      const ctx = actionContext(input, contextOptions);
      const user = contextOptions.user ?? 'ada';
      return {
        ...ctx,
        getInitiatorCredentials: async () =>
          mockCredentials.user(`user:default/${user}`),
      };
    },
    rollback: taskId => engine.rollback(taskId),
    async close() {
      await engine.stop();
      await cluster.close();
    },
  };
}
