import { mockApis, registerMswTestHooks } from '@backstage/frontend-test-utils';
import { ResponseError } from '@backstage/errors';
import { PlatformRun } from '@internal/plugin-platform-common';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { PlatformClient } from './PlatformClient';

const run: PlatformRun = {
  taskId: 'task-1',
  status: 'completed',
  createdAt: '2026-11-23T10:00:00.000Z',
  resources: [],
};

describe('PlatformClient', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  const client = new PlatformClient({
    discoveryApi: mockApis.discovery({ baseUrl: 'http://backstage.test' }),
    fetchApi: { fetch: (input, init) => fetch(input, init) },
  });

  it('reads the runs from the scaffolder backend', async () => {
    server.use(
      http.get('http://backstage.test/api/scaffolder/platform/runs', () =>
        HttpResponse.json({ runs: [run] }),
      ),
    );
    await expect(client.listRuns()).resolves.toEqual([run]);
  });

  it('rejects with the server message when the request fails', async () => {
    server.use(
      http.get('http://backstage.test/api/scaffolder/platform/runs', () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotAllowedError',
              message: 'Not allowed to list runs',
            },
            request: { method: 'GET', url: '/platform/runs' },
            response: { statusCode: 403 },
          },
          { status: 403 },
        ),
      ),
    );
    const error = await client.listRuns().catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.message).toBe('Request failed with 403 Forbidden');
    expect(error.cause.message).toBe('Not allowed to list runs');
  });
});
