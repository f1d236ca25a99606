import { randomBytes } from 'node:crypto';

/**
 * The browser tests' platform.databases.main: the PostgreSQL server that
 * scripts/local-postgres.sh serves as a webServer of playwright.config.ts,
 * which hands these values to it and to the backend.
 */
export const localPostgres = {
  host: '127.0.0.1',
  // Beside the local targets' 7070 to 7072, and used by nothing else.
  port: 7073,
  // The role scripts/local-postgres.sh creates.
  adminUser: 'platform_admin',
  // Made once per run, in the runner's environment and in no file. Every
  // Playwright process loads this module, and the workers inherit the
  // runner's environment, so they all read the same password.
  adminPassword: (process.env.PLATFORM_LOCAL_DB_PASSWORD ??=
    randomBytes(24).toString('base64url')),
};
