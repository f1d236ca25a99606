import { ConflictError, NotFoundError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { createOwnershipNonce } from '@internal/plugin-platform-node';
import {
  explained,
  isManagedByPlatform,
  KubernetesClient,
  rollbackInput,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { assertNamespaceWritable, resolveTarget } from '../database/checks';
import {
  ANNOTATION_ROTATION_NONCE,
  connectionData,
  LABEL_DATABASE,
  LABEL_DATABASE_SERVER,
  passwordOf,
  readSecret,
  SecretObject,
  secretRef,
} from '../database/credentialsSecret';
import { liveEntry, roleIdentity, ROTATION_KIND } from '../database/journal';
import {
  clusterInput,
  DatabaseActionOptions,
  nameInput,
  namespaceInput,
  secretNameInput,
  serverInput,
} from '../database/options';
import {
  describeServer,
  findRole,
  generatePassword,
  lookUp,
  setRolePassword,
  withAdmin,
} from '../database/postgres';
import {
  backupNameOf,
  backupSecret,
  carriesRotation,
  RotationFacts,
} from '../database/rotation';
import { examples } from './databaseRotateCredentials.examples';

/**
 * Gives a platform database's role a new password and writes it into the
 * service's Secret, as one change that is put back when the run fails.
 *
 * @public
 */
export function createDatabaseRotateCredentialsAction(
  options: DatabaseActionOptions,
) {
  const { journal, access, scrubber } = options;
  return createTemplateAction({
    id: 'platform:database:rotate-credentials',
    description:
      "Sets a new generated password for a platform database's role and writes it into the service's credentials Secret. Put back (previous password and Secret) when a later step of the run fails.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        server: serverInput,
        namespace: namespaceInput,
        name: nameInput,
        secretName: secretNameInput,
        cluster: clusterInput,
        rollback: rollbackInput,
      },
      output: {
        secretName: z =>
          z.string({ description: 'Name of the Secret that was updated' }),
      },
    },
    async handler(ctx) {
      const target = resolveTarget(options, ctx.input);
      const { server, client, name, namespace, secretName } = target;
      const taskId = ctx.task.id;
      const where = `namespace ${namespace} on cluster ${client.cluster}`;

      await assertNamespaceWritable({
        access,
        target,
        credentials: () => ctx.getInitiatorCredentials(),
        run: { journal, taskId },
        doing: 'rotate database credentials in',
      });
      const secret = await readSecret(client, namespace, secretName);
      if (!secret) {
        throw new NotFoundError(`There is no Secret ${secretName} in ${where}`);
      }
      const labels = secret.metadata.labels ?? {};
      if (
        labels[LABEL_DATABASE_SERVER] !== server.name ||
        labels[LABEL_DATABASE] !== name
      ) {
        throw new ConflictError(
          `Secret ${secretName} in ${where} is not the platform's credentials Secret of database ${name} on server ${server.name}`,
        );
      }
      const role = await withAdmin(
        server,
        `connect to ${describeServer(server)}`,
        db => lookUp(server, `role ${name}`, () => findRole(db, name)),
      );
      if (!role) {
        throw new NotFoundError(
          `There is no role ${name} on ${describeServer(server)}`,
        );
      }
      ctx.output('secretName', secretName);
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would set a new password for role ${name} on ${describeServer(
            server,
          )} and write it into Secret ${secretName} in ${where}`,
        );
        return;
      }

      const identity = roleIdentity(server.name, name);
      const earlier = await liveEntry(journal, taskId, ROTATION_KIND, identity);
      const entry =
        earlier ??
        (await journal.recordIntent({
          taskId,
          stepId: ctx.step?.id ?? 'unknown',
          kind: ROTATION_KIND,
          identity,
          data: {
            server: server.name,
            role: name,
            cluster: client.cluster,
            namespace,
            secretName,
            secretUid: secret.metadata.uid ?? '',
            backupName: backupNameOf(secretName),
            nonce: createOwnershipNonce(),
          },
        }));
      const facts = entry.data as RotationFacts;

      let current = secret;
      if (!carriesRotation(secret, facts.nonce)) {
        await keepPrevious({ ctx, client, secret, facts });
        const password = generatePassword();
        scrubber.add(password);
        ctx.logger.info(
          `Writing the new credentials into Secret ${secretName}`,
        );
        const rotated: SecretObject = {
          ...secret,
          metadata: {
            ...secret.metadata,
            annotations: {
              ...secret.metadata.annotations,
              [ANNOTATION_ROTATION_NONCE]: facts.nonce,
            },
          },
          data: connectionData({
            server,
            database: name,
            role: name,
            password,
          }),
        };
        current = await explained(
          () => client.replace<SecretObject>(rotated),
          `update Secret ${secretName} in ${where}`,
        );
      }
      // The Secret is the truth: a step that runs again sets the password
      // it holds, so the role and the Secret always end up agreeing.
      const password = passwordOf(current)!;
      scrubber.add(password);
      ctx.logger.info(`Setting the new password of role ${name}`);
      await setRolePassword(server, name, password);
      await journal.markCreated(entry.id, {
        data: { rotatedVersion: current.metadata.resourceVersion ?? '' },
      });
      if (ctx.input.rollback === false) {
        await journal.markKept(entry.id);
      }
    },
  });
}

/**
 * Copies the Secret's values, before anything changes, into the backup
 * Secret the compensator restores from. A backup left by an earlier
 * rotation holds a password that stopped working when that rotation
 * succeeded, and is replaced.
 */
async function keepPrevious(options: {
  ctx: { logger: { info(message: string): void } };
  client: KubernetesClient;
  secret: SecretObject;
  facts: RotationFacts;
}): Promise<void> {
  const { client, secret, facts } = options;
  const where = `namespace ${facts.namespace} on cluster ${client.cluster}`;
  const existing = await readSecret(client, facts.namespace, facts.backupName);
  if (carriesRotation(existing, facts.nonce)) {
    return;
  }
  if (existing) {
    if (
      !isManagedByPlatform(existing) ||
      existing.metadata.labels?.[LABEL_DATABASE] !== facts.role
    ) {
      throw new ConflictError(
        `Secret ${facts.backupName} in ${where} is not a copy of credentials this platform made; move it out of the way before rotating`,
      );
    }
    await explained(
      () =>
        client.deleteExact(
          secretRef(facts.namespace, facts.backupName),
          existing.metadata.uid!,
        ),
      `replace the previous rotation's Secret ${facts.backupName} in ${where}`,
    );
  }
  options.ctx.logger.info(
    `Keeping the current credentials in Secret ${facts.backupName} until the run ends`,
  );
  await explained(
    () =>
      client.create(backupSecret(secret, facts.backupName, facts.nonce), {
        dryRun: false,
      }),
    `create Secret ${facts.backupName} in ${where}`,
  );
}
