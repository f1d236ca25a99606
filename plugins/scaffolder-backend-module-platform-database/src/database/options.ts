import {
  PlatformPermissions,
  RollbackJournal,
  SecretScrubber,
} from '@internal/plugin-platform-node';
import {
  PlatformKubernetes,
  Zod,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { PlatformDatabases } from './config';

/**
 * What every database action is created with, injected from `module.ts`.
 *
 * @public
 */
export interface DatabaseActionOptions {
  databases: PlatformDatabases;
  /** The clusters the credentials Secrets are written to. */
  kubernetes: Pick<PlatformKubernetes, 'clientFor'>;
  journal: RollbackJournal;
  access: PlatformPermissions;
  /** Learns each password the actions generate or read, so no surface shows it. */
  scrubber: SecretScrubber;
}

export const serverInput = (z: Zod) =>
  z.string({
    description:
      'Name of the PostgreSQL server, as configured under platform.databases in app-config',
  });

export const namespaceInput = (z: Zod) =>
  z.string({
    description:
      "Namespace of the service, where the Secret with the database's credentials is kept",
  });

export const nameInput = (z: Zod) =>
  z.string({
    description:
      'Name of the database and of the login role that owns it, usually the service name: lower case letters, digits, _ and -, at most 63 characters',
  });

export const secretNameInput = (z: Zod) =>
  z
    .string({
      description:
        'Name of the Secret holding the credentials; default NAME-database',
    })
    .optional();

export const clusterInput = (z: Zod) =>
  z
    .string({
      description:
        "Cluster of the service's namespace, as configured under platform.kubernetes.clusters; default the default cluster",
    })
    .optional();

export const defaultSecretName = (name: string) => `${name}-database`;
