import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

/**
 * How a connection uses TLS, in libpq's `sslmode` words, which the service's
 * Secret carries as `PGSSLMODE`.
 *
 * @public
 */
export type TlsMode = 'verify-full' | 'require' | 'disable';

/**
 * A PostgreSQL server the platform manages, from `platform.databases`. The
 * admin password stays in this object and the connections made from it; it
 * is never journaled, logged or sent to a template.
 *
 * @public
 */
export interface DatabaseServer {
  name: string;
  host: string;
  port: number;
  adminUser: string;
  adminPassword: string;
  adminDatabase: string;
  /** Where services reach the server; written into their Secret. */
  serviceHost: string;
  servicePort: number;
  tls: { mode: TlsMode; ca?: string };
}

/**
 * The servers of `platform.databases`, and the one a template names.
 *
 * @public
 */
export interface PlatformDatabases {
  servers: DatabaseServer[];
  /** The named server; an InputError naming the config when there is none. */
  serverFor(name: string): DatabaseServer;
}

const TLS_MODES: TlsMode[] = ['verify-full', 'require', 'disable'];

/** @public */
export function readPlatformDatabases(config: Config): PlatformDatabases {
  const section = config.getOptionalConfig('platform.databases');
  const servers = (section?.keys() ?? []).map(name => {
    const server = section!.getConfig(name);
    const host = server.getString('host');
    const port = server.getOptionalNumber('port') ?? 5432;
    const mode = (server.getOptionalString('tls.mode') ??
      'verify-full') as TlsMode;
    if (!TLS_MODES.includes(mode)) {
      throw new Error(
        `platform.databases.${name}.tls.mode is ${mode}; use one of ${TLS_MODES.join(
          ', ',
        )}`,
      );
    }
    return {
      name,
      host,
      port,
      adminUser: server.getString('adminUser'),
      adminPassword: server.getString('adminPassword'),
      adminDatabase: server.getOptionalString('adminDatabase') ?? 'postgres',
      serviceHost: server.getOptionalString('serviceHost') ?? host,
      servicePort: server.getOptionalNumber('servicePort') ?? port,
      tls: { mode, ca: server.getOptionalString('tls.ca') },
    };
  });
  return {
    servers,
    serverFor(name) {
      const server = servers.find(s => s.name === name);
      if (server) {
        return server;
      }
      if (servers.length === 0) {
        throw new InputError(
          `No PostgreSQL server is configured for platform actions: add server ${name} under platform.databases in app-config`,
        );
      }
      throw new InputError(
        `PostgreSQL server ${name} is not configured under platform.databases; configured: ${servers
          .map(s => s.name)
          .join(', ')}`,
      );
    },
  };
}
