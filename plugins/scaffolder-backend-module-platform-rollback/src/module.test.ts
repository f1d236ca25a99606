import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import request from 'supertest';
import rollback from '.';

// Starting the scaffolder backend takes seconds on a busy machine.
jest.setTimeout(60_000);

describe('the rollback module', () => {
  it('serves the runs API from the scaffolder', async () => {
    const backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        rollback,
        mockServices.rootConfig.factory({
          data: { platform: { rollback: { pollInterval: '1s' } } },
        }),
      ],
    });
    try {
      const response = await request(backend.server)
        .get('/api/scaffolder/platform/runs')
        .set('Authorization', mockCredentials.user.header());
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ runs: [] });
    } finally {
      await backend.stop();
    }
  });
});
