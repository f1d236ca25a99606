import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { JsonObject } from '@backstage/types';
import { namespaceWritePermission } from '@internal/plugin-platform-common';
import {
  actionContext,
  createSqliteDatabase,
  testPlatformPermissions,
} from '@internal/platform-test-utils';
import {
  createPlatformNamespaceConditionalDecision,
  platformNamespaceConditions,
  RollbackJournal,
  SecretScrubber,
} from '@internal/plugin-platform-node';
import {
  DatabaseRollbackJournal,
  ResourceCompensatorRegistry,
  RollbackEngine,
} from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import { createDatabaseCreateAction } from '../actions/databaseCreate';
import { createDatabaseRotateCredentialsAction } from '../actions/databaseRotateCredentials';
import { createDatabaseCompensators } from '../database/compensators';
import { DatabaseServer, PlatformDatabases } from '../database/config';
import { createRotationCompensator } from '../database/rotation';
import { FakeCluster } from './fakeCluster';

export const TEAM_OF: Record<string, string> = {
  ada: 'group:default/team-payments',
  grace: 'group:default/team-checkout',
};

export interface Harness {
  cluster: FakeCluster;
  journal: RollbackJournal;
  scrubber: SecretScrubber;
  rollbackLog: string[];
  createAction: ReturnType<typeof createDatabaseCreateAction>;
  rotateAction: ReturnType<typeof createDatabaseRotateCredentialsAction>;
  /** An action context of a new task, started by `user` (default ada). */
  context<T extends JsonObject>(
    input: T,
    options?: { isDryRun?: boolean; taskId?: string; user?: string },
  ): ReturnType<typeof actionContext<T>>;
  rollback(taskId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The actions and compensators as the module wires them, over a real
 * journal (SQLite), the real rollback engine, the in-memory cluster, and a
 * policy that lets each user write only into their team's namespaces.
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
  const cluster = new FakeCluster();
  const kubernetes = cluster.kubernetes();
  const db = createSqliteDatabase();
  const journal = await DatabaseRollbackJournal.create({
    database: { getClient: async () => db },
  });
  const scrubber = SecretScrubber.create({ secrets: [server.adminPassword] });
  const access = testPlatformPermissions(
    (credentials: BackstageCredentials) => {
      const user = (
        credentials.principal as { userEntityRef?: string }
      ).userEntityRef
        ?.split('/')
        .pop();
      const team = TEAM_OF[user ?? ''];
      return team
        ? createPlatformNamespaceConditionalDecision(
            namespaceWritePermission,
            platformNamespaceConditions.isNamespaceOwner({ claims: [team] }),
          )
        : { result: AuthorizeResult.DENY };
    },
  );
  const options = { databases, kubernetes, journal, access, scrubber };
  const compensators = new ResourceCompensatorRegistry();
  for (const compensator of [
    ...createDatabaseCompensators({ databases, kubernetes }),
    createRotationCompensator({ databases, kubernetes, scrubber }),
  ]) {
    compensators.register(compensator);
  }
  const rollbackLog: string[] = [];
  const failed = new Set<string>();
  const engine = new RollbackEngine({
    journal: journal as DatabaseRollbackJournal,
    compensators,
    logger: mockServices.logger.mock(),
    tasks: {
      getTask: async id => ({
        status: failed.has(id) ? 'failed' : 'processing',
      }),
    },
    taskLog: { append: async line => void rollbackLog.push(line.message) },
    initialBackoffMs: 10,
    maxBackoffMs: 50,
    maxDurationPerResourceMs: 2000,
  });
  return {
    cluster,
    journal,
    scrubber,
    rollbackLog,
    createAction: createDatabaseCreateAction(options),
    rotateAction: createDatabaseRotateCredentialsAction(options),
    context(input, contextOptions = {}) {
      const ctx = actionContext(input, contextOptions);
      const user = contextOptions.user ?? 'ada';
      return {
        ...ctx,
        getInitiatorCredentials: async () =>
          mockCredentials.user(`user:default/${user}`),
      };
    },
    async rollback(taskId) {
      failed.add(taskId);
      await engine.tick();
    },
    async close() {
      await engine.stop();
      await db.destroy();
    },
  };
}
