/**
 * A search module that makes catalog search documents name owners and typed
 * dependencies.
 *
 * @packageDocumentation
 */

export { searchModulePlatform as default } from './module';
