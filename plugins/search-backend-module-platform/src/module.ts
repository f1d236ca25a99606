import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogCollatorExtensionPoint } from '@backstage/plugin-search-backend-module-catalog';
import { PgSearchEngine } from '@backstage/plugin-search-backend-module-pg';
import { searchEngineRegistryExtensionPoint } from '@backstage/plugin-search-backend-node/alpha';
import { platformEntityTransformer } from './platformEntityTransformer';
import { PlatformLunrSearchEngine } from './PlatformLunrSearchEngine';

/**
 * Makes the stock catalog collator index owners and dependencies, through
 * its entity transformer extension point, and, on a database where the
 * PostgreSQL engine module does not register its engine, puts
 * `PlatformLunrSearchEngine` in place of the stock Lunr engine.
 *
 * @public
 */
export const searchModulePlatform = createBackendModule({
  pluginId: 'search',
  moduleId: 'platform',
  register({ registerInit }) {
    registerInit({
      deps: {
        collator: catalogCollatorExtensionPoint,
        engines: searchEngineRegistryExtensionPoint,
        database: coreServices.database,
        logger: coreServices.logger,
      },
      async init({ collator, engines, database, logger }) {
        collator.setEntityTransformer(platformEntityTransformer);
        // The same test search-backend-module-pg makes before it registers
        // its engine: the registry takes only one.
        if (!(await PgSearchEngine.supported(database))) {
          engines.setSearchEngine(new PlatformLunrSearchEngine({ logger }));
        }
      },
    });
  },
});
