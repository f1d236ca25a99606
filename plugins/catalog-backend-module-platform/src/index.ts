/**
 * Catalog processors for the platform's lifecycles, typed dependencies and
 * ownership data.
 *
 * @packageDocumentation
 */

export { catalogModulePlatform as default } from './module';
export {
  LifecycleProcessor,
  readLifecycles,
} from './processor/LifecycleProcessor';
export { TypedDependencyProcessor } from './processor/TypedDependencyProcessor';
export { OwnershipProcessor } from './processor/OwnershipProcessor';
export { PlatformEntityProcessor } from './processor/PlatformEntityProcessor';
export { SynchronousEntityProcessor } from './processor/SynchronousEntityProcessor';
