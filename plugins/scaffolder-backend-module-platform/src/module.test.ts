import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import rollback from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import request from 'supertest';
import { scaffolderModulePlatform } from './module';

// Starting the scaffolder backend takes seconds on a busy machine.
jest.setTimeout(60_000);

describe('scaffolderModulePlatform', () => {
  it('adds preflight and catalog registration, and the name check', async () => {
    const backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        rollback,
        scaffolderModulePlatform,
        catalogServiceMock.factory({ entities: [] }),
        mockServices.rootConfig.factory({
          data: { platform: { kubernetes: { clusters: [] } } },
        }),
      ],
    });
    try {
      const actions = await request(backend.server).get(
        '/api/scaffolder/v2/actions',
      );
      expect(
        actions.body
          .map((action: { id: string }) => action.id)
          .filter((id: string) => id.startsWith('platform:')),
      ).toEqual(['platform:catalog:register', 'platform:preflight']);

      const name = await request(backend.server)
        .get('/api/scaffolder/platform/service-names/payments')
        .set('Authorization', mockCredentials.user.header());
      expect(name.status).toBe(200);
    } finally {
      await backend.stop();
    }
  });
});
