/**
 * The platform's golden-path module for `@backstage/plugin-scaffolder-backend`:
 * preflight, the name check and catalog registration with rollback.
 *
 * @packageDocumentation
 */

export { scaffolderModulePlatform as default } from './module';
export {
  createCatalogRegisterAction,
  type CatalogRegisterActionOptions,
} from './actions/catalogRegister';
export { createPlatformPreflightAction } from './actions/platformPreflight';
export { createCatalogLocationCompensator } from './catalog/catalogLocationCompensator';
export {
  PlatformPreflight,
  type PlannedStep,
  type PreflightProblem,
  type ServiceNameCheck,
} from './preflight/PlatformPreflight';
