import { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogBackend from '@backstage/plugin-catalog-backend';
import catalogModulePlatform from '@internal/plugin-catalog-backend-module-platform';

/** The static external access token the test backend accepts. */
export const TEST_TOKEN = 'platform-cli-test-token';

/** The services of the fixture with a dependent, one each. */
const dependedOnRefs = [
  'component:default/payments',
  'component:default/checkout',
  'component:default/ledger',
];

/**
 * Starts a backend with the catalog, the platform's catalog module and the
 * entities of `__fixtures__/catalog.yaml`, whose catalog API accepts
 * {@link TEST_TOKEN} as a bearer token, as a real backend configured with
 * `backend.auth.externalAccess` does. Resolves once the entities are
 * processed and their relations stitched.
 */
export async function startCatalogBackend(): Promise<{
  url: string;
  stop: () => Promise<void>;
}> {
  const backend = await startTestBackend({
    features: [
      catalogBackend,
      catalogModulePlatform,
      // The real services, so that only the configured token gets in.
      authServiceFactory,
      httpAuthServiceFactory,
      mockServices.rootConfig.factory({
        data: {
          backend: {
            auth: {
              externalAccess: [
                {
                  type: 'static',
                  options: { token: TEST_TOKEN, subject: 'platform-cli' },
                },
              ],
            },
          },
          catalog: {
            rules: [{ allow: ['Component', 'Resource', 'Group', 'Location'] }],
            locations: [
              {
                type: 'file',
                target: resolve(__dirname, '../__fixtures__/catalog.yaml'),
              },
            ],
          },
        },
      }),
    ],
  });
  const { port } = backend.server.address() as AddressInfo;
  const url = `http://localhost:${port}`;

  // A dependencyOf relation appears only once the dependent has been
  // processed and both entities stitched; once each of these has its one,
  // every relation the tests read is there.
  const deadline = Date.now() + 60_000;
  for (const ref of dependedOnRefs) {
    for (;;) {
      const response = await fetch(
        `${url}/api/catalog/entities/by-name/${ref.replace(':', '/')}`,
        { headers: { Authorization: `Bearer ${TEST_TOKEN}` } },
      );
      const entity = response.ok ? await response.json() : undefined;
      if (
        entity?.relations?.some(
          (r: { type: string }) => r.type === 'dependencyOf',
        )
      ) {
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(`The test catalog did not process ${ref} in time`);
      }
      await new Promise(done => setTimeout(done, 200));
    }
  }
  return { url, stop: () => backend.stop() };
}
