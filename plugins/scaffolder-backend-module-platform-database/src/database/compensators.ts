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
  describeServer,
  findDatabase,
  findRole,
  ident,
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
 * Drops a database the run created: its connections are ended by the drop
 * itself (`WITH (FORCE)`), and only the database the journal proves the run
 * created is dropped; one someone else made under the same name is kept.
 */
function createDatabaseCompensator(
  options: CompensatorOptions,
): ResourceCompensator {
  return {
    kind: DATABASE_KIND,
    async compensate(entry: JournalEntry) {
      const facts = entry.data as DatabaseFacts;
      const doing = `drop database ${facts.database} on server ${facts.server}`;
      return withCompensatingAdmin(options, facts.server, doing, async db => {
        const row = await findDatabase(db, facts.database);
        if (!row) {
          return 'already_gone';
        }
        if (!isDatabaseCreatedBy(row, facts)) {
          throw new CompensationRefused(
            `Kept database ${facts.database} on server ${facts.server}: it is not the one this run created (another database of that name was made by someone else), so it was left alone`,
          );
        }
        await db.query(
          `DROP DATABASE IF EXISTS ${ident(facts.database)} WITH (FORCE)`,
        );
        return 'deleted';
      });
    },
  };
}

/**
 * Drops a role the run created, after ending every session it has (a
 * service still connected to another database). Only the role with the
 * recorded OID, or for an unseen outcome the run's nonce in its comment.
 */
function createRoleCompensator(
  options: CompensatorOptions,
): ResourceCompensator {
  return {
    kind: ROLE_KIND,
    async compensate(entry: JournalEntry) {
      const facts = entry.data as RoleFacts;
      const doing = `drop role ${facts.role} on server ${facts.server}`;
      return withCompensatingAdmin(options, facts.server, doing, async db => {
        const row = await findRole(db, facts.role);
        if (!row) {
          return 'already_gone';
        }
        if (!isRoleCreatedBy(row, facts)) {
          throw new CompensationRefused(
            `Kept role ${facts.role} on server ${facts.server}: it is not the one this run created (another role of that name was made by someone else), so it was left alone`,
          );
        }
        await db.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usesysid = $1',
          [row.oid],
        );
        try {
          await db.query(`DROP ROLE IF EXISTS ${ident(facts.role)}`);
        } catch (e) {
          if ((e as { code?: string }).code === '2BP01') {
            throw new CompensationRefused(
              `Could not ${doing}: it still owns objects or holds privileges elsewhere (${
                (e as Error).message
              }); drop or reassign them, then drop the role by hand`,
            );
          }
          throw e;
        }
        return 'deleted';
      });
    },
  };
}

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
      const read = async () => {
        try {
          return await client.read<SecretObject>(
            secretRef(facts.namespace, facts.name),
          );
        } catch {
          throw new TransientCompensationError(
            `Could not look up ${what}: the API server did not answer`,
          );
        }
      };
      const existing = await read();
      if (!existing || !isSecretCreatedBy(existing, facts)) {
        return 'already_gone';
      }
      try {
        await client.deleteExact(
          secretRef(facts.namespace, facts.name),
          existing.metadata.uid!,
        );
      } catch {
        // Gone meanwhile, or replaced by someone else's (the uid
        // precondition failed): either way nothing of the run's is left.
        const after = await read();
        if (!after || after.metadata.uid !== existing.metadata.uid) {
          return 'already_gone';
        }
        throw new TransientCompensationError(
          `Could not delete ${what}: the API server refused or did not answer`,
        );
      }
      return 'deleted';
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
