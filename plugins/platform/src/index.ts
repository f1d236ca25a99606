/**
 * The platform's frontend plugin: dependency and ownership cards for entity
 * pages, and the Platform page with the services table and the runs.
 *
 * @packageDocumentation
 */
export { platformPlugin as default } from './plugin';
export { platformApiRef } from './api/PlatformApi';
export type {
  PlatformApi,
  ServiceNameCheck,
  ServiceNameCheckRequest,
  ServiceNameSystem,
} from './api/PlatformApi';
export { PlatformClient } from './api/PlatformClient';
