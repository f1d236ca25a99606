import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  PlatformPermissions,
  RollbackJournal,
} from '@internal/plugin-platform-node';
import {
  assertDns1123Label,
  assertMayWriteInto,
  explained,
  KubernetesClient,
  ownerLabelValue,
  PlatformKubernetes,
  toNamespaceResource,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { DatabaseServer, PlatformDatabases } from './config';
import { readSecret } from './credentialsSecret';
import {
  DATABASE_KIND,
  DatabaseFacts,
  databaseIdentity,
  isDatabaseCreatedBy,
  isRoleCreatedBy,
  isSecretCreatedBy,
  liveEntry,
  ROLE_KIND,
  RoleFacts,
  roleIdentity,
  SECRET_KIND,
  SecretFacts,
  secretIdentity,
} from './journal';
import { defaultSecretName } from './options';
import {
  assertDatabaseName,
  describeServer,
  findDatabase,
  findRole,
  lookUp,
  RoleRow,
  withAdmin,
} from './postgres';

/**
 * Where a database action works: the server, the database and role name,
 * and the credentials Secret in the service's namespace.
 *
 * @public
 */
export interface DatabaseTargetInput {
  /** The server's name under `platform.databases`. */
  server: string;
  /** The service's namespace, where the Secret is. */
  namespace: string;
  /** The database and its role. */
  name: string;
  /** Default `NAME-database`. */
  secretName?: string;
  /** Default the default cluster of `platform.kubernetes`. */
  cluster?: string;
}

/**
 * The input of `platform:database:create`.
 *
 * @public
 */
export interface DatabaseCreateInput extends DatabaseTargetInput {
  /** Entity ref of the owning team. */
  owner: string;
}

/** The run a check is made for: its journal tells which objects are its own. */
export interface DatabaseRun {
  journal: RollbackJournal;
  taskId: string;
}

export interface DatabaseTarget {
  server: DatabaseServer;
  client: KubernetesClient;
  name: string;
  namespace: string;
  secretName: string;
}

/** The input checked and resolved to a configured server and cluster, or an InputError. */
export function resolveTarget(
  options: {
    databases: PlatformDatabases;
    kubernetes: Pick<PlatformKubernetes, 'clientFor'>;
  },
  input: DatabaseTargetInput,
): DatabaseTarget {
  const { name, namespace } = input;
  const secretName = input.secretName ?? defaultSecretName(name);
  assertDatabaseName(name);
  assertDns1123Label(namespace, 'Namespace name');
  assertDns1123Label(secretName, 'Secret name');
  return {
    server: options.databases.serverFor(input.server),
    client: options.kubernetes.clientFor(input.cluster),
    name,
    namespace,
    secretName,
  };
}

/**
 * The namespace the Secret is in must exist, and the user who started the
 * run must be allowed to write into it, unless the run itself created it
 * (the Kubernetes module's rule for every write into a namespace). Without
 * a run (a preflight, before the run exists) the user's permission decides.
 */
export async function assertNamespaceWritable(options: {
  access: PlatformPermissions;
  target: DatabaseTarget;
  credentials: () => Promise<BackstageCredentials>;
  run?: DatabaseRun;
  doing: string;
}): Promise<void> {
  const { access, target, run, doing } = options;
  const { client, namespace } = target;
  const where = `namespace ${namespace} on cluster ${client.cluster}`;
  const existing = await explained(
    () =>
      client.read({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace },
      }),
    `read ${where}`,
  );
  if (!existing) {
    throw new NotFoundError(
      `There is no ${where}; create it first (platform:kubernetes:namespace:create)`,
    );
  }
  if (run) {
    await assertMayWriteInto({
      access,
      journal: run.journal,
      ctx: {
        task: { id: run.taskId },
        getInitiatorCredentials: options.credentials,
      },
      cluster: client.cluster,
      namespace: existing,
      doing,
    });
  } else {
    await access.assertNamespaceWrite({
      credentials: await options.credentials(),
      namespace: toNamespaceResource(client.cluster, existing),
      doing,
    });
  }
}

/** What already stands of a create's work: found by a step that runs again. */
export interface DatabaseCreateProgress {
  role?: RoleFacts;
  database?: DatabaseFacts;
  secret?: SecretFacts;
}

/**
 * Something of the name exists: it is the run's own progress when the run's
 * journal proves the run created it, else the name is taken.
 */
async function ownProgress<TRow, TFacts>(options: {
  found: TRow | undefined;
  run?: DatabaseRun;
  kind: string;
  identity: string;
  isCreatedBy(found: TRow, facts: TFacts): boolean;
  taken: string;
}): Promise<TFacts | undefined> {
  const { found, run } = options;
  if (!found) {
    return undefined;
  }
  const entry =
    run &&
    (await liveEntry(run.journal, run.taskId, options.kind, options.identity));
  if (!entry || !options.isCreatedBy(found, entry.data as TFacts)) {
    throw new ConflictError(options.taken);
  }
  return entry.data as TFacts;
}

/**
 * What the check of `platform:database:create` is made with.
 *
 * @public
 */
export interface DatabaseCreateCheckOptions {
  databases: PlatformDatabases;
  kubernetes: Pick<PlatformKubernetes, 'clientFor'>;
  access: PlatformPermissions;
  input: DatabaseCreateInput;
  /** Of the user who starts (or would start) the run. */
  credentials: () => Promise<BackstageCredentials>;
  /** An earlier step of the same run creates the namespace: nothing to check in it yet. */
  namespaceCreatedByRun?: boolean;
}

interface DatabaseCreateOptions extends DatabaseCreateCheckOptions {
  /** The run the step belongs to; none in a preflight. */
  run?: DatabaseRun;
  logger?: { info(message: string): void };
}

/**
 * Everything `platform:database:create` checks before its first write, and
 * only reads: the input, the namespace (exists and the user may write into
 * it), the server (answers, and the admin may log in), and the role, the
 * database and the Secret, each free or this run's own.
 */
export async function planDatabaseCreate(
  options: DatabaseCreateOptions,
): Promise<DatabaseTarget & { progress: DatabaseCreateProgress }> {
  const { input, run } = options;
  const target = resolveTarget(options, input);
  const { server, client, name, namespace, secretName } = target;
  ownerLabelValue(input.owner);
  if (!options.namespaceCreatedByRun) {
    await assertNamespaceWritable({
      ...options,
      target,
      doing: 'create a database Secret in',
    });
  }
  const where = describeServer(server);
  options.logger?.info(
    `Checking that ${where} answers and that role and database ${name} and Secret ${secretName} are free`,
  );
  const progress: DatabaseCreateProgress = {};
  await withAdmin(server, `check names on ${where}`, async db => {
    const role = await lookUp(server, `role ${name}`, () => findRole(db, name));
    const roleFacts = await ownProgress<RoleRow, RoleFacts>({
      found: role,
      run,
      kind: ROLE_KIND,
      identity: roleIdentity(server.name, name),
      isCreatedBy: isRoleCreatedBy,
      taken: `Role ${name} already exists on ${where}; choose another name`,
    });
    // The OID is known now even if the create's outcome was never seen.
    progress.role = roleFacts && { ...roleFacts, oid: role!.oid };
    progress.database = await ownProgress({
      found: await lookUp(server, `database ${name}`, () =>
        findDatabase(db, name),
      ),
      run,
      kind: DATABASE_KIND,
      identity: databaseIdentity(server.name, name),
      isCreatedBy: isDatabaseCreatedBy,
      taken: `Database ${name} already exists on ${where}; choose another name`,
    });
  });
  progress.secret = await ownProgress({
    found: await readSecret(client, namespace, secretName),
    run,
    kind: SECRET_KIND,
    identity: secretIdentity(client.cluster, namespace, secretName),
    isCreatedBy: isSecretCreatedBy,
    taken: `Secret ${secretName} already exists in namespace ${namespace} on cluster ${client.cluster}; choose another secretName`,
  });
  return { ...target, progress };
}

/**
 * The read-only check `platform:database:create` makes before its first
 * write, and its dry run makes alone, for a preflight to make before the
 * run writes anything: the input is valid, the server is configured and
 * answers, the role, the database and the Secret names are free, and the
 * user may write into the namespace (unless an earlier step of the run
 * creates it). Throws the first problem as an InputError, NotFoundError,
 * ConflictError or NotAllowedError; an Error when the server or the
 * cluster did not answer.
 *
 * @public
 */
export async function checkDatabaseCreate(
  options: DatabaseCreateCheckOptions,
): Promise<void> {
  await planDatabaseCreate(options);
}
