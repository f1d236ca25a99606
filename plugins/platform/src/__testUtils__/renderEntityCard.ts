import { Entity } from '@backstage/catalog-model';
import { ExtensionDefinition } from '@backstage/frontend-plugin-api';
import { renderTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import {
  catalogApiMock,
  createTestEntityPage,
} from '@backstage/plugin-catalog-react/testUtils';
import { PlatformApi, platformApiRef } from '../api/PlatformApi';

/**
 * Renders one of our entity card extensions on a test entity page, with the
 * catalog's entity route mounted so entity links resolve to real paths.
 */
export function renderEntityCard(options: {
  card: ExtensionDefinition;
  entity: Entity;
  catalogApi?: ReturnType<typeof catalogApiMock>;
  platformApi?: Partial<PlatformApi>;
}) {
  return renderTestApp({
    extensions: [
      createTestEntityPage({ entity: options.entity }),
      options.card,
    ],
    apis: [
      options.catalogApi ?? catalogApiMock(),
      [platformApiRef, options.platformApi ?? {}],
    ],
    mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
  });
}
