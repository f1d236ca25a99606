import { ConfigReader } from '@backstage/config';
import { readPlatformDatabases } from './config';

describe('readPlatformDatabases', () => {
  it('refuses with an InputError naming the missing config when no server is configured', () => {
    expect(() =>
      readPlatformDatabases(new ConfigReader({})).serverFor('main'),
    ).toThrow(
      expect.objectContaining({
        name: 'InputError',
        message:
          'No PostgreSQL server is configured for platform actions: add server main under platform.databases in app-config',
      }),
    );
  });

  it('fills in the defaults and names the configured servers for an unknown one', () => {
    const databases = readPlatformDatabases(
      new ConfigReader({
        platform: {
          databases: {
            main: {
              host: 'db.internal',
              adminUser: 'platform',
              adminPassword: 'x',
            },
          },
        },
      }),
    );
    expect(databases.serverFor('main')).toEqual({
      name: 'main',
      host: 'db.internal',
      port: 5432,
      adminUser: 'platform',
      adminPassword: 'x',
      adminDatabase: 'postgres',
      serviceHost: 'db.internal',
      servicePort: 5432,
      tls: { mode: 'verify-full', ca: undefined },
    });
    expect(() => databases.serverFor('other')).toThrow(
      'PostgreSQL server other is not configured under platform.databases; configured: main',
    );
  });
});
