/**
 * What the platform's tests share: databases, the loopback targets as the
 * platform's config points at them, teams and permissions, a fake catalog.
 *
 * @packageDocumentation
 */

export * from './database';
export * from './fakeCatalog';
export * from './github';
export * from './kubernetesCluster';
export * from './permissions';
export * from './ports';
export * from './postgres';
export * from './teams';
export * from './testSteps';
export * from './waitFor';
export * from './scaffolderDryRun';
export * from './testRollbackEngine';
export * from './teamNamespacePermissions';
export * from './testDatabaseServer';
export * from './testDatabases';
export * from './capturingLogger';
