/***/
/**
 * The platform-processor module for @backstage/plugin-catalog-backend
 *
 * @packageDocumentation
 */

export { catalogModulePlatform as default } from './module';
