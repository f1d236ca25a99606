import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import rollback from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import request from 'supertest';
import { scaffolderModulePlatformKubernetes } from './module';

// Starting the scaffolder backend takes seconds on a busy machine.
jest.setTimeout(60_000);

describe('scaffolderModulePlatformKubernetes', () => {
  it('adds the Kubernetes actions to the scaffolder', async () => {
    const backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        rollback,
        scaffolderModulePlatformKubernetes,
        mockServices.rootConfig.factory({
          data: { platform: { kubernetes: { clusters: [] } } },
        }),
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
        'platform:kubernetes:apply',
        'platform:kubernetes:namespace:create',
        'platform:kubernetes:quota:apply',
      ]);
    } finally {
      await backend.stop();
    }
  });
});
