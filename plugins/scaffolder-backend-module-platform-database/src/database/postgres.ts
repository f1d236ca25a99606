import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import { TransientCompensationError } from '@internal/plugin-platform-node';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { Client, escapeIdentifier, escapeLiteral } from 'pg';
import { DatabaseServer } from './config';

const CONNECT_TIMEOUT_MS = 10_000;
const STATEMENT_TIMEOUT_MS = 60_000;

/** What a failed call to PostgreSQL means, without the raw error. */
export interface PostgresFailure {
  /** The SQLSTATE, when the server answered. */
  sqlState?: string;
  message: string;
  /** No answer (lost connection, timeout): a write may or may not have happened. */
  unknownOutcome: boolean;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

export function describePostgresFailure(error: unknown): PostgresFailure {
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    // Class 08 (connection exception) and 57P (operator intervention,
    // such as a terminated backend) leave the outcome of a write unknown.
    return {
      sqlState: code,
      message,
      unknownOutcome: code.startsWith('08') || code.startsWith('57P'),
    };
  }
  if (code && NETWORK_CODES.has(code)) {
    return {
      message: `the server could not be reached (${code})`,
      unknownOutcome: true,
    };
  }
  if (/timeout/i.test(message)) {
    return {
      message: 'the server did not answer in time',
      unknownOutcome: true,
    };
  }
  if (/connection|terminated|closed/i.test(message)) {
    return {
      message: 'the connection to the server was lost',
      unknownOutcome: true,
    };
  }
  return { message: 'the PostgreSQL client failed', unknownOutcome: false };
}

const GRANTS_HINT =
  'the admin user configured for the server needs CREATEROLE and CREATEDB';

/**
 * The Backstage error a user sees for a failed call, naming what was being
 * done: `Could not create role payments on server main: …`.
 */
export function toPlatformError(error: unknown, doing: string): Error {
  const failure = describePostgresFailure(error);
  const message = `Could not ${doing}: ${failure.message}`;
  switch (failure.sqlState) {
    case '42501':
      return new NotAllowedError(`${message}; ${GRANTS_HINT}`);
    case '28P01':
    case '28000':
      return new NotAllowedError(
        `Could not ${doing}: the server refused the admin credentials configured for it`,
      );
    case '42710':
    case '42P04':
      return new ConflictError(message);
    case '22023':
    case '42602':
      return new InputError(message);
    default:
      return new Error(message);
  }
}

/** The error a compensator throws: transient when the outcome may change. */
export function compensationFailed(error: unknown, doing: string): Error {
  const failure = describePostgresFailure(error);
  const message = `Could not ${doing}: ${failure.message}`;
  if (failure.unknownOutcome || failure.sqlState === '55006') {
    return new TransientCompensationError(message);
  }
  if (failure.sqlState === '42501') {
    return new Error(`${message}; ${GRANTS_HINT}. Drop it by hand`);
  }
  return new Error(message);
}

/** `server main (db.internal:5432)`, as messages name a server. */
export function describeServer(server: DatabaseServer): string {
  return `server ${server.name} (${server.host}:${server.port})`;
}

function sslOptions(server: DatabaseServer) {
  switch (server.tls.mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    default:
      return { rejectUnauthorized: true, ca: server.tls.ca };
  }
}

/**
 * A connection as the server's admin user; the caller ends it. A
 * connection the server drops emits an 'error' event, which would crash the
 * process unheard: the failure surfaces at the next query instead.
 */
export async function connectAsAdmin(
  server: DatabaseServer,
  doing: string,
): Promise<Client> {
  const client = new Client({
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password: server.adminPassword,
    database: server.adminDatabase,
    ssl: sslOptions(server),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    application_name: 'backstage-platform',
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw toPlatformError(e, doing);
  }
  return client;
}

/** Runs `fn` on an admin connection and ends it, whatever happens. */
export async function withAdmin<T>(
  server: DatabaseServer,
  doing: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const client = await connectAsAdmin(server, doing);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

const NAME = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/;

/**
 * Database and role names: what a service name can be, within PostgreSQL's
 * 63 bytes, and none of the names PostgreSQL reserves.
 */
export function assertDatabaseName(name: string): void {
  if (!NAME.test(name)) {
    throw new InputError(
      `Database name "${name}" is not valid: use at most 63 lower case letters, digits, '_' and '-', starting and ending with a letter or digit`,
    );
  }
  if (name.startsWith('pg_') || name === 'public' || name === 'none') {
    throw new InputError(
      `Database name "${name}" is reserved by PostgreSQL; choose another`,
    );
  }
}

/** A password of 192 random bits, URL-safe so the connection URL needs no escaping. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The SCRAM-SHA-256 verifier of a password, as PostgreSQL stores it
 * (RFC 5802, RFC 7677). Sending the verifier instead of the password keeps
 * the password out of the server's statement log and pg_stat_activity, as
 * psql's \password does.
 */
export function scramVerifier(password: string): string {
  const iterations = 4096;
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString(
    'base64',
  )}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

export const ident = escapeIdentifier;
export const literal = escapeLiteral;

/** The comment the platform puts on what it creates; the nonce is the proof. */
export function ownershipComment(nonce: string): string {
  return `Created by the Backstage platform; run nonce ${nonce}`;
}

export interface RoleRow {
  oid: number;
  comment?: string;
}

export async function findRole(
  client: Client,
  name: string,
): Promise<RoleRow | undefined> {
  const { rows } = await client.query(
    `SELECT oid::int8 AS oid, shobj_description(oid, 'pg_authid') AS comment
       FROM pg_roles WHERE rolname = $1`,
    [name],
  );
  return rows[0]
    ? { oid: Number(rows[0].oid), comment: rows[0].comment ?? undefined }
    : undefined;
}

export interface DatabaseRow {
  oid: number;
  /** The OID of the owning role. */
  owner: number;
  comment?: string;
}

export async function findDatabase(
  client: Client,
  name: string,
): Promise<DatabaseRow | undefined> {
  const { rows } = await client.query(
    `SELECT oid::int8 AS oid, datdba::int8 AS owner,
            shobj_description(oid, 'pg_database') AS comment
       FROM pg_database WHERE datname = $1`,
    [name],
  );
  return rows[0]
    ? {
        oid: Number(rows[0].oid),
        owner: Number(rows[0].owner),
        comment: rows[0].comment ?? undefined,
      }
    : undefined;
}

/** Sets a role's password, sending only its verifier. */
export async function setPassword(
  client: Client,
  role: string,
  password: string,
): Promise<void> {
  await client.query(
    `ALTER ROLE ${ident(role)} PASSWORD ${literal(scramVerifier(password))}`,
  );
}

/** Sets a role's password on its own admin connection, failures in words. */
export async function setRolePassword(
  server: DatabaseServer,
  role: string,
  password: string,
): Promise<void> {
  await withAdmin(server, `connect to ${describeServer(server)}`, db =>
    setPassword(db, role, password).catch(e => {
      throw toPlatformError(e, `set the password of role ${role}`);
    }),
  );
}

/** A look-up on an admin connection; a failure names what was looked up and where. */
export async function lookUp<T>(
  server: DatabaseServer,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toPlatformError(e, `look up ${what} on ${describeServer(server)}`);
  }
}
