import { ConflictError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';
import { checkpointKeyForIntent } from '@internal/plugin-platform-node';
import {
  explained,
  KubernetesClient,
  rollbackInput,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { Client } from 'pg';
import { planDatabaseCreate } from '../database/checks';
import { DatabaseServer } from '../database/config';
import {
  connectionData,
  credentialsSecret,
  passwordOf,
  readSecret,
  SecretObject,
} from '../database/credentialsSecret';
import {
  DATABASE_KIND,
  DatabaseFacts,
  databaseIdentity,
  isDatabaseCreatedBy,
  isRoleCreatedBy,
  isSecretCreatedBy,
  journaledCreate,
  ROLE_KIND,
  RoleFacts,
  roleIdentity,
  SECRET_KIND,
  SecretFacts,
  secretIdentity,
} from '../database/journal';
import {
  clusterInput,
  DatabaseActionOptions,
  nameInput,
  namespaceInput,
  secretNameInput,
  serverInput,
} from '../database/options';
import {
  connectAsAdmin,
  describePostgresFailure,
  describeServer,
  findDatabase,
  findRole,
  generatePassword,
  ident,
  literal,
  ownershipComment,
  setRolePassword,
  toPlatformError,
  withAdmin,
} from '../database/postgres';
import { examples } from './databaseCreate.examples';

/**
 * Creates a PostgreSQL login role and a database it owns on a
 * platform-managed server, and a Kubernetes Secret with the credentials in
 * the service's namespace, all journaled for rollback.
 *
 * @public
 */
export function createDatabaseCreateAction(options: DatabaseActionOptions) {
  const { journal, scrubber } = options;
  return createTemplateAction({
    id: 'platform:database:create',
    description:
      "Creates a PostgreSQL database and a login role that owns it on a platform-managed server, and a Secret with the credentials in the service's namespace. The password is generated and only the Secret holds it. Rolled back when the run fails.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        server: serverInput,
        namespace: namespaceInput,
        name: nameInput,
        owner: z =>
          z.string({
            description:
              'Entity ref of the owning team, such as group:default/payments-team; labels the Secret',
          }),
        secretName: secretNameInput,
        cluster: clusterInput,
        rollback: rollbackInput,
      },
      output: {
        secretName: z =>
          z.string({
            description:
              'Name of the Secret in the namespace with PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE and DATABASE_URL',
          }),
        server: z => z.string({ description: 'Name of the server' }),
        host: z => z.string({ description: 'Host services connect to' }),
        port: z => z.number({ description: 'Port services connect to' }),
        database: z => z.string({ description: 'Name of the database' }),
      },
    },
    async handler(ctx) {
      const { owner } = ctx.input;
      const taskId = ctx.task.id;
      const { server, client, name, namespace, secretName, progress } =
        await planDatabaseCreate({
          ...options,
          input: ctx.input,
          credentials: () => ctx.getInitiatorCredentials(),
          run: { journal, taskId },
          logger: ctx.logger,
        });
      ctx.output('secretName', secretName);
      ctx.output('server', server.name);
      ctx.output('host', server.serviceHost);
      ctx.output('port', server.servicePort);
      ctx.output('database', name);
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would create role and database ${name} on ${describeServer(
            server,
          )} and Secret ${secretName} in namespace ${namespace} on cluster ${
            client.cluster
          }`,
        );
        return;
      }

      const stepId = ctx.step?.id ?? 'unknown';
      const common = {
        journal,
        taskId,
        stepId,
        keep: ctx.input.rollback === false,
      };
      const checkpoint = async <T extends JsonObject>(
        kind: string,
        identity: string,
        key: string,
        fn: () => Promise<T>,
      ): Promise<T> =>
        (await ctx.checkpoint({
          key: await checkpointKeyForIntent(
            journal,
            { taskId, stepId, kind, identity },
            key,
          ),
          fn,
        })) as T;
      const keyBase = `platform.database.create.${server.name}.${name}`;

      let role = progress.role;
      if (!role) {
        ctx.logger.info(`Creating role ${name} on ${describeServer(server)}`);
        role = await checkpoint(
          ROLE_KIND,
          roleIdentity(server.name, name),
          `${keyBase}.role`,
          () => createRole({ ...common, server, name }),
        );
      }
      if (!progress.database) {
        ctx.logger.info(
          `Creating database ${name} owned by role ${name} on ${describeServer(
            server,
          )}`,
        );
        await checkpoint(
          DATABASE_KIND,
          databaseIdentity(server.name, name),
          `${keyBase}.database`,
          () =>
            createDatabase({ ...common, server, name, roleOid: role!.oid! }),
        );
      }

      // A step that runs again finds the Secret it wrote, and sets the
      // password that Secret holds, so the two always agree.
      let password = passwordOf(
        progress.secret && (await readSecret(client, namespace, secretName)),
      );
      if (!progress.secret || password === undefined) {
        password = generatePassword();
        scrubber.add(password);
        ctx.logger.info(
          `Creating Secret ${secretName} in namespace ${namespace} on cluster ${client.cluster}`,
        );
        const generated = password;
        await checkpoint(
          SECRET_KIND,
          secretIdentity(client.cluster, namespace, secretName),
          `${keyBase}.secret.${client.cluster}.${namespace}.${secretName}`,
          () =>
            createSecret({
              ...common,
              client,
              server,
              name,
              namespace,
              secretName,
              owner,
              password: generated,
            }),
        );
      } else {
        scrubber.add(password);
      }
      ctx.logger.info(`Setting the password of role ${name}`);
      await setRolePassword(server, name, password);
    },
  });
}

type CreateOptions = {
  journal: DatabaseActionOptions['journal'];
  taskId: string;
  stepId: string;
  keep: boolean;
  server: DatabaseServer;
  name: string;
};

const unknownPostgresOutcome = (e: unknown) =>
  describePostgresFailure(e).unknownOutcome;

/**
 * The role, its comment with the run's nonce, and the admin's membership
 * (which lets the admin give it a database and drop it again) in one
 * transaction: a role of this create always carries its proof.
 */
async function createRole(options: CreateOptions): Promise<RoleFacts> {
  const { server, name } = options;
  const doing = `create role ${name} on ${describeServer(server)}`;
  return journaledCreate<RoleFacts>({
    ...options,
    kind: ROLE_KIND,
    identity: roleIdentity(server.name, name),
    facts: { server: server.name, role: name },
    unknownOutcome: unknownPostgresOutcome,
    create: async recorded => {
      const db = await connectAsAdmin(server, doing);
      try {
        await db.query('BEGIN');
        await db.query(`CREATE ROLE ${ident(name)} LOGIN`);
        await db.query(
          `COMMENT ON ROLE ${ident(name)} IS ${literal(
            ownershipComment(recorded.nonce),
          )}`,
        );
        await db.query(`GRANT ${ident(name)} TO CURRENT_USER`);
        const row = await findRole(db, name);
        await db.query('COMMIT');
        return { oid: row!.oid };
      } catch (e) {
        await db.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        await db.end().catch(() => {});
      }
    },
    look: recorded =>
      withAdmin(server, doing, async db => {
        const row = await findRole(db, name);
        if (row && !isRoleCreatedBy(row, recorded)) {
          throw new ConflictError(`Role ${name} was created by someone else`);
        }
        return row && { oid: row.oid };
      }),
  }).catch(e => {
    throw e instanceof ConflictError ? e : toPlatformError(e, doing);
  });
}

/**
 * `CREATE DATABASE` cannot run in a transaction: the database is owned by
 * the run's role from the start, which is its proof until the comment with
 * the nonce and the OID are written.
 */
async function createDatabase(
  options: CreateOptions & { roleOid: number },
): Promise<DatabaseFacts> {
  const { server, name } = options;
  const doing = `create database ${name} on ${describeServer(server)}`;
  const finish = async (db: Client, recorded: DatabaseFacts) => {
    await db.query(
      `COMMENT ON DATABASE ${ident(name)} IS ${literal(
        ownershipComment(recorded.nonce),
      )}`,
    );
    // The owner may always connect; nobody else needs to.
    await db.query(`REVOKE ALL ON DATABASE ${ident(name)} FROM PUBLIC`);
    const row = await findDatabase(db, name);
    return { oid: row!.oid };
  };
  return journaledCreate<DatabaseFacts>({
    ...options,
    kind: DATABASE_KIND,
    identity: databaseIdentity(server.name, name),
    facts: { server: server.name, database: name, roleOid: options.roleOid },
    unknownOutcome: unknownPostgresOutcome,
    create: recorded =>
      withAdmin(server, doing, async db => {
        await db.query(`CREATE DATABASE ${ident(name)} OWNER ${ident(name)}`);
        return finish(db, recorded);
      }),
    look: recorded =>
      withAdmin(server, doing, async db => {
        const row = await findDatabase(db, name);
        if (row && !isDatabaseCreatedBy(row, recorded)) {
          throw new ConflictError(
            `Database ${name} was created by someone else`,
          );
        }
        return row && finish(db, recorded);
      }),
  }).catch(e => {
    throw e instanceof ConflictError ? e : toPlatformError(e, doing);
  });
}

/** The Secret carries the run's nonce; after any failure it is looked for. */
async function createSecret(
  options: Omit<CreateOptions, 'name'> & {
    client: KubernetesClient;
    name: string;
    namespace: string;
    secretName: string;
    owner: string;
    password: string;
  },
): Promise<SecretFacts> {
  const { client, namespace, secretName, server, name } = options;
  const doing = `create Secret ${secretName} in namespace ${namespace} on cluster ${client.cluster}`;
  return journaledCreate<SecretFacts>({
    ...options,
    kind: SECRET_KIND,
    identity: secretIdentity(client.cluster, namespace, secretName),
    facts: { cluster: client.cluster, namespace, name: secretName },
    // Whatever went wrong, a read tells whether the Secret is there.
    unknownOutcome: () => true,
    create: async recorded => {
      const created = await explained(
        () =>
          client.create<SecretObject>(
            credentialsSecret({
              name: secretName,
              namespace,
              server,
              database: name,
              owner: options.owner,
              taskId: options.taskId,
              nonce: recorded.nonce,
              data: connectionData({
                server,
                database: name,
                role: name,
                password: options.password,
              }),
            }),
            { dryRun: false },
          ),
        doing,
      );
      return { uid: created.metadata.uid ?? '' };
    },
    look: async recorded => {
      const found = await readSecret(client, namespace, secretName);
      return found && isSecretCreatedBy(found, recorded)
        ? { uid: found.metadata.uid ?? '' }
        : undefined;
    },
  });
}
