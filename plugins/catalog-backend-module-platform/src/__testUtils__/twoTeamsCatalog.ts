import path from 'node:path';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { actionsRegistryServiceFactory } from '@backstage/backend-defaults/alpha';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogBackend from '@backstage/plugin-catalog-backend';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import {
  AuthorizeResult,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  authAs,
  realPermissionFeatures,
  waitFor,
} from '@internal/platform-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import catalogModulePlatform from '..';

/**
 * A catalog where each team reads only what it owns and platform admins read
 * everything: what the module answers is what the catalog lets the caller
 * see.
 */
const teamReadsPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'test-team-reads',
  register({ registerInit }) {
    registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy({
          async handle(query, user) {
            const claims = user?.info.ownershipEntityRefs ?? [];
            if (
              user &&
              !claims.includes('group:default/platform-admins') &&
              isResourcePermission(
                query.permission,
                RESOURCE_TYPE_CATALOG_ENTITY,
              )
            ) {
              return createCatalogConditionalDecision(
                query.permission,
                catalogConditions.isEntityOwner({ claims }),
              );
            }
            return { result: AuthorizeResult.ALLOW };
          },
        });
      },
    });
  },
});

/**
 * A backend with the catalog, this module, real permissions and the actions
 * registry, reading `__fixtures__/two-teams.yaml` (payments and ledger of
 * team-payments; checkout and web-shop of team-checkout, relying on them
 * critically) and any `extraFiles`. Resolves once the fixtures are stitched
 * and `ready` is true of what linus, a platform admin, reads.
 */
export async function startTwoTeamsCatalog(
  options: {
    extraFiles?: string[];
    /** The catalog's database; an in-memory SQLite one without it. */
    database?: Knex;
    ready?: (readAsAdmin: (url: string) => request.Test) => Promise<boolean>;
  } = {},
) {
  const files = [
    path.join(__dirname, '../__fixtures__/two-teams.yaml'),
    ...(options.extraFiles ?? []),
  ];
  const backend = await startTestBackend({
    features: [
      catalogBackend,
      catalogModulePlatform,
      ...realPermissionFeatures,
      teamReadsPolicy,
      actionsRegistryServiceFactory,
      ...(options.database
        ? [mockServices.database.factory({ knex: options.database })]
        : []),
      mockServices.rootConfig.factory({
        data: {
          permission: { enabled: true },
          catalog: {
            rules: [{ allow: ['Component', 'Resource', 'Location'] }],
            locations: files.map(target => ({ type: 'file', target })),
          },
        },
      }),
    ],
  });
  const readAsAdmin = (url: string) =>
    request(backend.server).get(url).set('Authorization', authAs('linus'));
  const stitched = async () =>
    (
      await readAsAdmin(
        '/api/catalog/entities/by-name/component/default/checkout',
      )
    ).body.relations?.some((r: { type: string }) => r.type === 'dependencyOf');
  // The dependents appear once every entity is processed and stitched.
  await waitFor(
    'the catalog to stitch the fixtures',
    async () =>
      ((await stitched()) && (await (options.ready?.(readAsAdmin) ?? true))) ||
      undefined,
    45_000,
  );
  return backend.server;
}
