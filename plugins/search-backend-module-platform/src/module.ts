import { createBackendModule } from '@backstage/backend-plugin-api';
import { catalogCollatorExtensionPoint } from '@backstage/plugin-search-backend-module-catalog';
import { platformEntityTransformer } from './platformEntityTransformer';

/**
 * Makes the stock catalog collator index owners and dependencies, through
 * its entity transformer extension point.
 *
 * @public
 */
export const searchModulePlatform = createBackendModule({
  pluginId: 'search',
  moduleId: 'platform',
  register({ registerInit }) {
    registerInit({
      deps: { collator: catalogCollatorExtensionPoint },
      async init({ collator }) {
        collator.setEntityTransformer(platformEntityTransformer);
      },
    });
  },
});
