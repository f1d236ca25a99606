import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  CatalogTeammates,
  PlatformPermissionPolicy,
  readPlatformPermissionSettings,
} from './PlatformPermissionPolicy';

/**
 * Installs the platform's default permission policy, configured under
 * `platform.permissions`. Use it instead of the allow-all policy module.
 *
 * @public
 */
export const permissionModulePlatformPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'platform-policy',
  register({ registerInit }) {
    registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        userInfo: coreServices.userInfo,
        auth: coreServices.auth,
        cache: coreServices.cache,
        logger: coreServices.logger,
        catalog: catalogServiceRef,
      },
      async init({ policy, config, userInfo, auth, cache, logger, catalog }) {
        policy.setPolicy(
          new PlatformPermissionPolicy({
            settings: readPlatformPermissionSettings(config),
            userInfo,
            teammates: new CatalogTeammates({ catalog, auth, cache, logger }),
          }),
        );
      },
    });
  },
});
