/*
 * Hi!
 *
 * Note that this is an EXAMPLE Backstage backend. Please check the README.
 *
 * Happy hacking!
 */

import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-proxy-backend'));

// scaffolder plugin
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);

// techdocs plugin
backend.add(import('@backstage/plugin-techdocs-backend'));

// auth plugin
backend.add(import('@backstage/plugin-auth-backend'));
// See https://backstage.io/docs/backend-system/building-backends/migrating#the-auth-plugin
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
// See https://backstage.io/docs/auth/guest/provider

// catalog plugin
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);

// See https://backstage.io/docs/features/software-catalog/configuration#subscribing-to-catalog-errors
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// permission plugin
backend.add(import('@backstage/plugin-permission-backend'));
// The platform's default policy (platform.permissions in app-config): admins
// may do anything, everyone else acts only on what their teams own.
backend.add(import('@internal/plugin-permission-backend-module-platform'));

// search plugin
backend.add(import('@backstage/plugin-search-backend'));

// search engine
// See https://backstage.io/docs/features/search/search-engines
// On PostgreSQL; on SQLite (local mode) the platform search module below puts
// its Lunr engine in place.
backend.add(import('@backstage/plugin-search-backend-module-pg'));

// search collators
backend.add(import('@backstage/plugin-search-backend-module-catalog'));
// Indexes the TechDocs that have been built (a service's first visit to its
// TechDocs tab builds them); until then the Documentation filter finds nothing.
backend.add(import('@backstage/plugin-search-backend-module-techdocs'));

// kubernetes plugin
backend.add(import('@backstage/plugin-kubernetes-backend'));

// user settings plugin
backend.add(import('@backstage/plugin-user-settings-backend'));

// notifications and signals plugins
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// mcp actions plugin
backend.add(import('@backstage/plugin-mcp-actions-backend'));

// the platform: rollback first, as every platform action module needs it
backend.add(
  import('@internal/plugin-scaffolder-backend-module-platform-rollback'),
);
backend.add(
  import('@internal/plugin-scaffolder-backend-module-platform-github'),
);
backend.add(
  import('@internal/plugin-scaffolder-backend-module-platform-kubernetes'),
);
backend.add(
  import('@internal/plugin-scaffolder-backend-module-platform-database'),
);
backend.add(
  import('@internal/plugin-scaffolder-backend-module-platform-filters'),
);
backend.add(import('@internal/plugin-scaffolder-backend-module-platform'));
backend.add(import('@internal/plugin-catalog-backend-module-platform'));
backend.add(import('@internal/plugin-search-backend-module-platform'));
backend.start();
