import { startTestBackend } from '@backstage/backend-test-utils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import request from 'supertest';
import { scaffolderModulePlatformFilters } from './module';

// Starting the scaffolder backend takes seconds on a busy machine.
jest.setTimeout(60_000);

describe('scaffolderModulePlatformFilters', () => {
  it('adds its filters to the scaffolder, and needs no rollback module', async () => {
    const backend = await startTestBackend({
      features: [scaffolderPlugin, scaffolderModulePlatformFilters],
    });
    try {
      const response = await request(backend.server).get(
        '/api/scaffolder/v2/templating-extensions',
      );
      expect(response.status).toBe(200);
      expect(Object.keys(response.body.filters)).toEqual(
        expect.arrayContaining(['k8s_name', 'env_var']),
      );
    } finally {
      await backend.stop();
    }
  });
});
