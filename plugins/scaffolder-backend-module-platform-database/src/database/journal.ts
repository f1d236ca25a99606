import { ConflictError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import {
  createOwnershipNonce,
  JournalEntry,
  RollbackJournal,
} from '@internal/plugin-platform-node';
import {
  ANNOTATION_CREDENTIALS_NONCE,
  SecretObject,
} from './credentialsSecret';
import { DatabaseRow, ownershipComment, RoleRow } from './postgres';

export const ROLE_KIND = 'postgres:role';
export const DATABASE_KIND = 'postgres:database';
export const SECRET_KIND = 'postgres:credentials-secret';
export const ROTATION_KIND = 'postgres:credentials-rotation';

/** What the journal keeps about a role; never a password. */
export interface RoleFacts extends JsonObject {
  server: string;
  role: string;
  /** Recorded before the create and put in the role's comment. */
  nonce: string;
  /** The OID the server gave the role, once the run saw it created. */
  oid?: number;
}

export interface DatabaseFacts extends JsonObject {
  server: string;
  database: string;
  /** The OID of the run's role, which owns the database from its creation. */
  roleOid: number;
  nonce: string;
  oid?: number;
}

export interface SecretFacts extends JsonObject {
  cluster: string;
  namespace: string;
  name: string;
  nonce: string;
  uid?: string;
}

export const roleIdentity = (server: string, role: string) =>
  `${server}/roles/${role}`;
export const databaseIdentity = (server: string, database: string) =>
  `${server}/databases/${database}`;
export const secretIdentity = (
  cluster: string,
  namespace: string,
  name: string,
) => `${cluster}/${namespace}/secrets/${name}`;

/**
 * Whether the role is the one the entry's create made: the recorded OID,
 * else (an outcome the run never saw) the nonce in its comment. The role,
 * its comment and its grant are created in one transaction, so a role of
 * this create always carries the nonce.
 */
export function isRoleCreatedBy(row: RoleRow, facts: RoleFacts): boolean {
  if (facts.oid) {
    return row.oid === facts.oid;
  }
  return Boolean(facts.nonce) && row.comment === ownershipComment(facts.nonce);
}

/**
 * Whether the database is the one the entry's create made: the recorded
 * OID, else an owner that is the run's own role (whose OID the server
 * assigned and the run recorded; only this run's create gives a database to
 * a role nobody else knew of) with the run's nonce in its comment, or no
 * comment yet when the outcome was lost before the comment was written.
 */
export function isDatabaseCreatedBy(
  row: DatabaseRow,
  facts: DatabaseFacts,
): boolean {
  if (facts.oid) {
    return row.oid === facts.oid;
  }
  return (
    row.owner === facts.roleOid &&
    (row.comment === undefined || row.comment === ownershipComment(facts.nonce))
  );
}

export function isSecretCreatedBy(
  secret: SecretObject,
  facts: SecretFacts,
): boolean {
  if (facts.uid) {
    return secret.metadata.uid === facts.uid;
  }
  return (
    Boolean(facts.nonce) &&
    secret.metadata.annotations?.[ANNOTATION_CREDENTIALS_NONCE] === facts.nonce
  );
}

/**
 * The entry of this task that records `kind` and `identity` and is still in
 * force (not rolled back): a step that runs again finds its own write here.
 */
export async function liveEntry(
  journal: RollbackJournal,
  taskId: string,
  kind: string,
  identity: string,
): Promise<JournalEntry | undefined> {
  return (await journal.listByTask(taskId)).find(
    e =>
      e.kind === kind &&
      e.identity === identity &&
      ['pending', 'created', 'kept'].includes(e.state),
  );
}

/**
 * Creates something that should not exist yet, journaled so rollback can
 * remove it. The intent, with a fresh nonce, is recorded before the call,
 * and `create` puts that nonce on what it makes. After a failure whose
 * outcome is unknown, `look` (with a connection of its own) tells whether
 * the create happened after all: then it counts as done; else the intent is
 * discarded, as it is when `look` finds (and throws a ConflictError for)
 * someone else's object. When even the look fails the intent stays
 * pending, and rollback looks again.
 */
export async function journaledCreate<TFacts extends JsonObject>(options: {
  journal: RollbackJournal;
  taskId: string;
  stepId: string;
  kind: string;
  identity: string;
  facts: Omit<TFacts, 'nonce'>;
  keep: boolean;
  create(recorded: TFacts): Promise<JsonObject>;
  /** The facts to record when the create happened after all; undefined when not. */
  look(recorded: TFacts): Promise<JsonObject | undefined>;
  unknownOutcome(error: unknown): boolean;
}): Promise<TFacts> {
  const { journal } = options;
  const entry = await journal.recordIntent({
    taskId: options.taskId,
    stepId: options.stepId,
    kind: options.kind,
    identity: options.identity,
    data: { ...options.facts, nonce: createOwnershipNonce() },
  });
  const recorded = entry.data as TFacts;
  let created: JsonObject | undefined;
  try {
    created = await options.create(recorded);
  } catch (error) {
    if (!options.unknownOutcome(error)) {
      await journal.discard(entry.id);
      throw error;
    }
    let found: JsonObject | undefined;
    try {
      found = await options.look(recorded);
    } catch (lookError) {
      if (lookError instanceof ConflictError) {
        await journal.discard(entry.id);
        throw lookError;
      }
      throw error;
    }
    if (!found) {
      await journal.discard(entry.id);
      throw error;
    }
    created = found;
  }
  await journal.markCreated(entry.id, { data: created });
  if (options.keep) {
    await journal.markKept(entry.id);
  }
  return { ...recorded, ...created };
}
