/**
 * The platform's template filters for `@backstage/plugin-scaffolder-backend`.
 *
 * @packageDocumentation
 */

export { scaffolderModulePlatformFilters as default } from './module';
export { envVarFilter, k8sNameFilter } from './filters';
