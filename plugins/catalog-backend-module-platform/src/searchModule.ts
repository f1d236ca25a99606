import { createBackendModule } from '@backstage/backend-plugin-api';
import { catalogCollatorExtensionPoint } from '@backstage/plugin-search-backend-module-catalog';
import { platformEntityTransformer } from './search/platformEntityTransformer';

/**
 * Makes the stock catalog collator index owners and dependencies, through
 * its entity transformer extension point.
 *
 * @public
 */
export const searchModulePlatformCatalogCollator = createBackendModule({
  pluginId: 'search',
  moduleId: 'platform-catalog-collator',
  register({ registerInit }) {
    registerInit({
      deps: { collator: catalogCollatorExtensionPoint },
      async init({ collator }) {
        collator.setEntityTransformer(platformEntityTransformer);
      },
    });
  },
});
