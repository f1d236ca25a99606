import { JsonObject } from '@backstage/types';
import {
  JournalEntry,
  ResourceCompensator,
  SecretScrubber,
  TransientCompensationError,
} from '@internal/plugin-platform-node';
import {
  LABEL_MANAGED_BY,
  MANAGED_BY_PLATFORM,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import {
  clusterClient,
  CompensatorOptions,
  deleteSecretExactly,
  readSecretForRollback,
  withCompensatingAdmin,
} from './compensators';
import {
  ANNOTATION_ROTATION_NONCE,
  LABEL_DATABASE,
  LABEL_DATABASE_SERVER,
  passwordOf,
  SecretObject,
} from './credentialsSecret';
import { ROTATION_KIND } from './journal';
import { setPassword } from './postgres';

/**
 * What the journal keeps about a rotation: where the previous credentials
 * are kept, never the credentials themselves.
 */
export interface RotationFacts extends JsonObject {
  server: string;
  role: string;
  cluster: string;
  namespace: string;
  secretName: string;
  /** The service's Secret; one re-created under the same name is not it. */
  secretUid: string;
  /** The Secret that holds the previous credentials until the run ends. */
  backupName: string;
  /** Put on the backup and on the rotated Secret. */
  nonce: string;
  /** The Secret's resourceVersion after the rotation wrote it. */
  rotatedVersion?: string;
}

/** `payments-database-previous`: where a rotation keeps what it replaced. */
export const backupNameOf = (secretName: string) => `${secretName}-previous`;

/** The backup: the previous Secret's values, marked with the rotation's nonce. */
export function backupSecret(
  secret: SecretObject,
  backupName: string,
  nonce: string,
): SecretObject {
  const labels = secret.metadata.labels ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: backupName,
      namespace: secret.metadata.namespace,
      labels: {
        [LABEL_MANAGED_BY]: MANAGED_BY_PLATFORM,
        [LABEL_DATABASE_SERVER]: labels[LABEL_DATABASE_SERVER] ?? '',
        [LABEL_DATABASE]: labels[LABEL_DATABASE] ?? '',
      },
      annotations: { [ANNOTATION_ROTATION_NONCE]: nonce },
    },
    data: secret.data,
  };
}

export const carriesRotation = (
  secret: SecretObject | undefined,
  nonce: string,
) => secret?.metadata.annotations?.[ANNOTATION_ROTATION_NONCE] === nonce;

/** The Secret as it was, without the rotation's mark, at its current version. */
function restoredSecret(
  secret: SecretObject,
  backup: SecretObject,
): SecretObject {
  const annotations = { ...secret.metadata.annotations };
  delete annotations[ANNOTATION_ROTATION_NONCE];
  return {
    ...secret,
    metadata: { ...secret.metadata, annotations },
    data: backup.data,
  };
}

/**
 * Puts back what `platform:database:rotate-credentials` changed: the
 * role's previous password and the Secret's previous values, read from the
 * backup Secret the rotation wrote before it changed anything, which is
 * then deleted. Only while the Secret holds exactly what the rotation wrote:
 * a later change by someone else is left in force and reported.
 *
 * @public
 */
export function createRotationCompensator(
  options: CompensatorOptions & { scrubber: SecretScrubber },
): ResourceCompensator {
  return {
    kind: ROTATION_KIND,
    async compensate(entry: JournalEntry) {
      const facts = entry.data as RotationFacts;
      const what = `the credentials of role ${facts.role} on server ${facts.server} (Secret ${facts.secretName} in namespace ${facts.namespace} on cluster ${facts.cluster})`;
      const doing = `restore ${what}`;
      const client = clusterClient(options, facts.cluster, doing);
      const read = (name: string) =>
        readSecretForRollback(client, facts.namespace, name, doing);
      const deleteBackup = (backup: SecretObject) =>
        deleteSecretExactly({
          client,
          namespace: facts.namespace,
          name: facts.backupName,
          uid: backup.metadata.uid!,
          stillThere: `Restored ${what}, but could not delete the copy of the previous credentials, Secret ${facts.backupName}`,
        });

      const found = await read(facts.backupName);
      const backup = carriesRotation(found, facts.nonce) ? found : undefined;
      const secret = await read(facts.secretName);
      if (!secret || secret.metadata.uid !== facts.secretUid) {
        // The Secret itself is gone (the run that created it was rolled
        // back first): there is nothing to put back.
        if (backup) {
          await deleteBackup(backup);
        }
        return 'already_gone';
      }
      const rotated = carriesRotation(secret, facts.nonce);
      if (!backup) {
        if (rotated) {
          throw new Error(
            `Could not ${doing}: the copy of the previous credentials, Secret ${facts.backupName}, is gone; rotate the credentials again so that the Secret and the role agree`,
          );
        }
        // The rotation stopped before it changed anything.
        return 'restored';
      }
      const previous = passwordOf(backup);
      if (previous === undefined) {
        throw new Error(
          `Could not ${doing}: Secret ${facts.backupName} holds no password`,
        );
      }
      options.scrubber.add(previous);
      const changedSince = rotated
        ? facts.rotatedVersion !== undefined &&
          secret.metadata.resourceVersion !== facts.rotatedVersion
        : passwordOf(secret) !== previous;
      if (changedSince) {
        throw new Error(
          `Did not ${doing}: Secret ${facts.secretName} was changed after this run rotated the credentials, and that change is left in force; the previous credentials are in Secret ${facts.backupName}`,
        );
      }
      await withCompensatingAdmin(
        options,
        facts.server,
        `restore the previous password of role ${facts.role} on server ${facts.server}`,
        db => setPassword(db, facts.role, previous),
      );
      if (rotated) {
        try {
          await client.replace(restoredSecret(secret, backup));
        } catch {
          // Changed since the read: the next attempt compares again.
          throw new TransientCompensationError(
            `Could not ${doing}: Secret ${facts.secretName} could not be written back`,
          );
        }
      }
      await deleteBackup(backup);
      return 'restored';
    },
  };
}
