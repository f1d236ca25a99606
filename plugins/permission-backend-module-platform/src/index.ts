/**
 * The platform's default permission policy.
 *
 * @packageDocumentation
 */

export { permissionModulePlatformPolicy as default } from './module';
export {
  PlatformPermissionPolicy,
  CatalogTeammates,
  readPlatformPermissionSettings,
} from './PlatformPermissionPolicy';
export type { PlatformPermissionSettings } from './PlatformPermissionPolicy';
