import {
  JournalEntry,
  ResourceCompensator,
  TransientCompensationError,
} from '@internal/plugin-platform-node';
import {
  KubernetesClient,
  PlatformKubernetes,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { Client } from 'pg';
import { PlatformDatabases } from './config';
import { SecretObject, secretRef } from './credentialsSecret';
import {
  DATABASE_KIND,
  DatabaseFacts,
  isDatabaseCreatedBy,
  isRoleCreatedBy,
  isSecretCreatedBy,
  ROLE_KIND,
  RoleFacts,
  SECRET_KIND,
  SecretFacts,
} from './journal';
import {
  compensationFailed,
  connectAsAdmin,
  DatabaseRow,
  describeServer,
  findDatabase,
  findRole,
  ident,
  RoleRow,
} from './postgres';

/**
 * What compensators are built from, injected from `module.ts`.
 *
 * @public
 */
export interface CompensatorOptions {
  databases: PlatformDatabases;
  kubernetes: Pick<PlatformKubernetes, 'clientFor'>;
}

/**
 * An admin connection to the server a journal entry names. A server taken
 * out of the config since the run cannot be reached, so a person must
 * finish the work.
 */
async function adminFor(
  options: CompensatorOptions,
  serverName: string,
  doing: string,
): Promise<Client> {
  const server = options.databases.servers.find(s => s.name === serverName);
  if (!server) {
    throw new Error(
      `Could not ${doing}: server ${serverName} is no longer configured under platform.databases; do it by hand`,
    );
  }
  try {
    return await connectAsAdmin(server, `connect to ${describeServer(server)}`);
  } catch (e) {
    throw new TransientCompensationError(
      `Could not ${doing}: ${(e as Error).message}`,
    );
  }
}

/** A compensator's own refusal, in words, as opposed to a failed call. */
export class CompensationRefused extends Error {}

export async function withCompensatingAdmin<T>(
  options: CompensatorOptions,
  serverName: string,
  doing: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const client = await adminFor(options, serverName, doing);
  try {
    return await fn(client);
  } catch (e) {
    if (e instanceof CompensationRefused) {
      throw e;
    }
    throw compensationFailed(e, doing);
  } finally {
    await client.end().catch(() => {});
  }
}

export function clusterClient(
  options: CompensatorOptions,
  cluster: string,
  doing: string,
): KubernetesClient {
  try {
    return options.kubernetes.clientFor(cluster);
  } catch {
    throw new Error(
      `Could not ${doing}: cluster ${cluster} is no longer configured for platform actions; do it by hand`,
    );
  }
}

/**
 * What the cluster holds under a Secret's name, for a compensator: a read
 * that fails is tried again later.
 */
export async function readSecretForRollback(
  client: KubernetesClient,
  namespace: string,
  name: string,
  doing: string,
): Promise<SecretObject | undefined> {
  try {
    return await client.read<SecretObject>(secretRef(namespace, name));
  } catch {
    throw new TransientCompensationError(
      `Could not ${doing}: the API server did not answer`,
    );
  }
}

/**
 * Deletes exactly the Secret with `uid`. When the delete fails, a read
 * tells whether that Secret is gone anyway (deleted meanwhile, or replaced
 * by someone else's of the same name, which the uid precondition kept);
 * when it is still there, `stillThere` is thrown as transient.
 */
export async function deleteSecretExactly(options: {
  client: KubernetesClient;
  namespace: string;
  name: string;
  uid: string;
  stillThere: string;
}): Promise<'deleted' | 'already_gone'> {
  const { client, namespace, name, uid } = options;
  try {
    await client.deleteExact(secretRef(namespace, name), uid);
    return 'deleted';
  } catch {
    const after = await readSecretForRollback(
      client,
      namespace,
      name,
      `look up Secret ${name} in namespace ${namespace}`,
    );
    if (after?.metadata.uid !== uid) {
      return 'already_gone';
    }
    throw new TransientCompensationError(options.stillThere);
  }
}

/**
 * Drops a role or database the run created, looked up by name: one the
 * journal does not prove the run created (someone else's of the same name)
 * is kept and reported.
 */
function dropCompensator<TFacts extends { server: string }, TRow>(
  options: CompensatorOptions,
  spec: {
    kind: string;
    /** `database payments`, `role payments`. */
    describe(facts: TFacts): string;
    find(db: Client, facts: TFacts): Promise<TRow | undefined>;
    isCreatedBy(row: TRow, facts: TFacts): boolean;
    drop(db: Client, row: TRow, facts: TFacts, doing: string): Promise<void>;
  },
): ResourceCompensator {
  return {
    kind: spec.kind,
    async compensate(entry: JournalEntry) {
      const facts = entry.data as TFacts;
      const what = `${spec.describe(facts)} on server ${facts.server}`;
      const doing = `drop ${what}`;
      return withCompensatingAdmin(options, facts.server, doing, async db => {
        const row = await spec.find(db, facts);
        if (!row) {
          return 'already_gone';
        }
        if (!spec.isCreatedBy(row, facts)) {
          throw new CompensationRefused(
            `Kept ${what}: it is not the one this run created (another ${
              spec.describe(facts).split(' ')[0]
            } of that name was made by someone else), so it was left alone`,
          );
        }
        await spec.drop(db, row, facts, doing);
        return 'deleted';
      });
    },
  };
}

/**
 * Drops a database the run created; its connections are ended by the drop
 * itself (`WITH (FORCE)`).
 */
const createDatabaseCompensator = (options: CompensatorOptions) =>
  dropCompensator<DatabaseFacts, DatabaseRow>(options, {
    kind: DATABASE_KIND,
    describe: facts => `database ${facts.database}`,
    find: (db, facts) => findDatabase(db, facts.database),
    isCreatedBy: isDatabaseCreatedBy,
    drop: async (db, _row, facts) => {
      await db.query(
        `DROP DATABASE IF EXISTS ${ident(facts.database)} WITH (FORCE)`,
      );
    },
  });

/**
 * Drops a role the run created, after ending every session it has (a
 * service still connected to another database).
 */
const createRoleCompensator = (options: CompensatorOptions) =>
  dropCompensator<RoleFacts, RoleRow>(options, {
    kind: ROLE_KIND,
    describe: facts => `role ${facts.role}`,
    find: (db, facts) => findRole(db, facts.role),
    isCreatedBy: isRoleCreatedBy,
    drop: async (db, row, facts, doing) => {
      await db.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usesysid = $1',
        [row.oid],
      );
      try {
        await db.query(`DROP ROLE IF EXISTS ${ident(facts.role)}`);
      } catch (e) {
        const { code, detail } = e as { code?: string; detail?: string };
        if (code === '2BP01') {
          // The detail names what depends on the role, one per line.
          const dependents = detail ? `: ${detail.split('\n').join('; ')}` : '';
          throw new CompensationRefused(
            `Could not ${doing}: it still owns objects or holds privileges elsewhere (${
              (e as Error).message
            }${dependents}); drop or reassign them, then drop the role by hand`,
          );
        }
        throw e;
      }
    },
  });

/** Deletes the credentials Secret the run created, and only that one (by uid). */
function createSecretCompensator(
  options: CompensatorOptions,
): ResourceCompensator {
  return {
    kind: SECRET_KIND,
    async compensate(entry: JournalEntry) {
      const facts = entry.data as SecretFacts;
      const what = `Secret ${facts.name} in namespace ${facts.namespace} on cluster ${facts.cluster}`;
      const client = clusterClient(options, facts.cluster, `delete ${what}`);
      const existing = await readSecretForRollback(
        client,
        facts.namespace,
        facts.name,
        `look up ${what}`,
      );
      if (!existing || !isSecretCreatedBy(existing, facts)) {
        return 'already_gone';
      }
      return deleteSecretExactly({
        client,
        namespace: facts.namespace,
        name: facts.name,
        uid: existing.metadata.uid!,
        stillThere: `Could not delete ${what}: the API server refused or did not answer`,
      });
    },
  };
}

/** @public */
export function createDatabaseCompensators(
  options: CompensatorOptions,
): ResourceCompensator[] {
  return [
    createRoleCompensator(options),
    createDatabaseCompensator(options),
    createSecretCompensator(options),
  ];
}
