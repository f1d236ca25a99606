import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import rollback from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import request from 'supertest';
import { scaffolderModulePlatformDatabase } from './module';

// Starting the scaffolder backend takes seconds on a busy machine.
jest.setTimeout(60_000);

describe('scaffolderModulePlatformDatabase', () => {
  it('adds the database actions to a scaffolder without any platform.databases', async () => {
    const backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        rollback,
        scaffolderModulePlatformDatabase,
        mockServices.rootConfig.factory({ data: {} }),
      ],
    });
    try {
      const response = await request(backend.server).get(
        '/api/scaffolder/v2/actions',
      );
      expect(response.status).toBe(200);
      expect(
        response.body
          .map((action: { id: string }) => action.id)
          .filter((id: string) => id.startsWith('platform:')),
      ).toEqual([
        'platform:database:create',
        'platform:database:rotate-credentials',
      ]);
    } finally {
      await backend.stop();
    }
  });
});
