/**
 * The platform's PostgreSQL actions for `@backstage/plugin-scaffolder-backend`:
 * a database and its login role on a platform-managed server, with the
 * credentials only in a Kubernetes Secret, rolled back like every other
 * platform resource.
 *
 * @packageDocumentation
 */

export { scaffolderModulePlatformDatabase as default } from './module';
export { createDatabaseCreateAction } from './actions/databaseCreate';
export { createDatabaseRotateCredentialsAction } from './actions/databaseRotateCredentials';
export { checkDatabaseCreate } from './database/checks';
export type {
  DatabaseCreateCheckOptions,
  DatabaseCreateInput,
  DatabaseTargetInput,
} from './database/checks';
export { createDatabaseCompensators } from './database/compensators';
export { createRotationCompensator } from './database/rotation';
export { readPlatformDatabases } from './database/config';
export type {
  DatabaseServer,
  PlatformDatabases,
  TlsMode,
} from './database/config';
export type { CompensatorOptions } from './database/compensators';
export type { DatabaseActionOptions } from './database/options';
