/***/
/**
 * The platform module for @backstage/plugin-scaffolder-backend.
 *
 * @packageDocumentation
 */

export { scaffolderModulePlatform as default } from './module';
