import {
  ANNOTATION_OWNER_REF,
  explained,
  KubernetesClient,
  LABEL_MANAGED_BY,
  LABEL_OWNER,
  LABEL_SERVICE,
  MANAGED_BY_PLATFORM,
  ownerLabelValue,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { KubernetesObject } from '@kubernetes/client-node';
import { DatabaseServer } from './config';

/** The server a credentials Secret points at. */
export const LABEL_DATABASE_SERVER = 'platform.internal/database-server';
/** The database a credentials Secret is for. */
export const LABEL_DATABASE = 'platform.internal/database';
/**
 * The nonce the creating run journaled before it created the Secret: the
 * proof, after an unclear outcome, that the Secret came from that create.
 */
export const ANNOTATION_CREDENTIALS_NONCE =
  'platform.internal/credentials-nonce';
/** The nonce of the rotation whose password the Secret holds. */
export const ANNOTATION_ROTATION_NONCE = 'platform.internal/rotation-nonce';

/** A Secret as the platform reads and writes it: values base64-encoded. */
export interface SecretObject extends KubernetesObject {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  type?: string;
  data?: Record<string, string>;
}

export function secretRef(namespace: string, name: string): SecretObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace } };
}

/**
 * What a service needs to connect, under libpq's own variable names (so
 * `envFrom` gives psql and every libpq-based driver a working environment)
 * and as one `DATABASE_URL`.
 */
export function connectionData(options: {
  server: DatabaseServer;
  database: string;
  role: string;
  password: string;
}): Record<string, string> {
  const { server, database, role, password } = options;
  const url = `postgresql://${encodeURIComponent(role)}:${encodeURIComponent(
    password,
  )}@${server.serviceHost}:${server.servicePort}/${encodeURIComponent(
    database,
  )}?sslmode=${server.tls.mode}`;
  const values: Record<string, string> = {
    PGHOST: server.serviceHost,
    PGPORT: String(server.servicePort),
    PGDATABASE: database,
    PGUSER: role,
    PGPASSWORD: password,
    PGSSLMODE: server.tls.mode,
    DATABASE_URL: url,
  };
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      Buffer.from(value).toString('base64'),
    ]),
  );
}

/** The password a credentials Secret holds, if any. */
export function passwordOf(
  secret: SecretObject | undefined,
): string | undefined {
  const encoded = secret?.data?.PGPASSWORD;
  return encoded === undefined
    ? undefined
    : Buffer.from(encoded, 'base64').toString('utf8');
}

export function credentialsSecret(options: {
  name: string;
  namespace: string;
  server: DatabaseServer;
  database: string;
  owner: string;
  taskId: string;
  nonce: string;
  data: Record<string, string>;
}): SecretObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: {
        [LABEL_MANAGED_BY]: MANAGED_BY_PLATFORM,
        [LABEL_OWNER]: ownerLabelValue(options.owner),
        [LABEL_SERVICE]: options.database,
        [LABEL_DATABASE_SERVER]: options.server.name,
        [LABEL_DATABASE]: options.database,
      },
      annotations: {
        [ANNOTATION_OWNER_REF]: options.owner,
        'platform.internal/created-by-task': options.taskId,
        [ANNOTATION_CREDENTIALS_NONCE]: options.nonce,
      },
    },
    data: options.data,
  };
}

export async function readSecret(
  client: KubernetesClient,
  namespace: string,
  name: string,
): Promise<SecretObject | undefined> {
  return explained(
    () => client.read<SecretObject>(secretRef(namespace, name)),
    `read Secret ${name} in namespace ${namespace} on cluster ${client.cluster}`,
  );
}
