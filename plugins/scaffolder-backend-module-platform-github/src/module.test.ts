import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import rollback from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import request from 'supertest';
import { scaffolderModulePlatformGithub } from './module';

// Starting the scaffolder backend takes seconds on a busy machine.
jest.setTimeout(60_000);

const config = mockServices.rootConfig.factory({
  data: { app: { baseUrl: 'http://localhost:3000' } },
});

describe('scaffolderModulePlatformGithub', () => {
  it('adds platform:github:repo:create to the scaffolder', async () => {
    const backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        rollback,
        scaffolderModulePlatformGithub,
        config,
      ],
    });
    try {
      const response = await request(backend.server).get(
        '/api/scaffolder/v2/actions',
      );
      expect(response.status).toBe(200);
      expect(
        response.body.map((action: { id: string }) => action.id),
      ).toContain('platform:github:repo:create');
    } finally {
      await backend.stop();
    }
  });

  it('stops the backend, naming the module to add, when the rollback module is missing', async () => {
    await expect(
      startTestBackend({
        features: [scaffolderPlugin, scaffolderModulePlatformGithub, config],
      }),
    ).rejects.toThrow(
      "add backend.add(import('@internal/plugin-scaffolder-backend-module-platform-rollback'))",
    );
  });
});
