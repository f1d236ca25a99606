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

  it('reads a page of runs from the scaffolder backend, passing the filters that are set', async () => {
    const page = { runs: [run], totalItems: 3, nextCursor: 'page-2' };
    let query: URLSearchParams | undefined;
    server.use(
      http.get('http://backstage.test/api/scaffolder/platform/runs', info => {
        query = new URL(info.request.url).searchParams;
        return HttpResponse.json(page);
      }),
    );
    await expect(
      client.listRuns({ whose: 'my-teams', status: '', limit: 1 }),
    ).resolves.toEqual(page);
    expect(query?.toString()).toBe('whose=my-teams&limit=1');
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

  it("reads one task's run", async () => {
    server.use(
      http.get(
        'http://backstage.test/api/scaffolder/platform/runs/task-1',
        () => HttpResponse.json(run),
      ),
    );
    await expect(client.getRun('task-1')).resolves.toEqual(run);
  });

  it('answers undefined for a task that recorded no resource', async () => {
    server.use(
      http.get(
        'http://backstage.test/api/scaffolder/platform/runs/task-2',
        () =>
          HttpResponse.json(
            {
              error: {
                name: 'NotFoundError',
                message: 'No platform run for task task-2',
              },
              response: { statusCode: 404 },
            },
            { status: 404 },
          ),
      ),
    );
    await expect(client.getRun('task-2')).resolves.toBeUndefined();
  });

  it('rejects with the server message when a run cannot be read', async () => {
    server.use(
      http.get(
        'http://backstage.test/api/scaffolder/platform/runs/task-1',
        () =>
          HttpResponse.json(
            {
              error: { name: 'Error', message: 'The database is down' },
              response: { statusCode: 500 },
            },
            { status: 500 },
          ),
      ),
    );
    const error = await client.getRun('task-1').catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.cause.message).toBe('The database is down');
  });

  describe('checkServiceName', () => {
    const url =
      'http://backstage.test/api/scaffolder/platform/service-names/:name';

    it('asks for the name with the GitHub organisation, host and cluster', async () => {
      const answer = {
        name: 'payments',
        checks: [
          { system: 'name', free: true },
          { system: 'catalog', free: true },
          {
            system: 'github',
            free: false,
            kind: 'taken',
            message: 'Repository acme/payments already exists',
          },
          { system: 'kubernetes', free: true },
        ],
      };
      let asked: { name: unknown; query: Record<string, string> } | undefined;
      server.use(
        http.get(url, ({ params, request }) => {
          asked = {
            name: params.name,
            query: Object.fromEntries(new URL(request.url).searchParams),
          };
          return HttpResponse.json(answer);
        }),
      );
      await expect(
        client.checkServiceName({
          name: 'payments',
          githubOwner: 'acme',
          githubHost: 'ghe.example.com',
          cluster: 'prod',
        }),
      ).resolves.toEqual(answer);
      expect(asked).toEqual({
        name: 'payments',
        query: {
          githubOwner: 'acme',
          githubHost: 'ghe.example.com',
          cluster: 'prod',
        },
      });
    });

    it('leaves out what is not given, and encodes the name', async () => {
      let requestUrl: string | undefined;
      server.use(
        http.get(url, ({ request }) => {
          requestUrl = request.url;
          return HttpResponse.json({ name: 'a/b', checks: [] });
        }),
      );
      await client.checkServiceName({ name: 'a/b', githubOwner: '' });
      expect(requestUrl).toBe(
        'http://backstage.test/api/scaffolder/platform/service-names/a%2Fb',
      );
    });

    it('rejects with the server message when the check fails', async () => {
      server.use(
        http.get(url, () =>
          HttpResponse.json(
            {
              error: {
                name: 'InputError',
                message: 'cluster must be given once',
              },
              response: { statusCode: 400 },
            },
            { status: 400 },
          ),
        ),
      );
      const error = await client
        .checkServiceName({ name: 'payments' })
        .catch(e => e);
      expect(error).toBeInstanceOf(ResponseError);
      expect(error.cause.message).toBe('cluster must be given once');
    });
  });

  it("reads an entity's dependency summary and further pages of its dependents from the catalog backend", async () => {
    const summary = {
      entityRef: 'component:default/payments',
      dependencies: [],
      dependents: { rows: [], totalItems: 60, nextCursor: 'page-2' },
      warnings: [],
      blastRadius: { total: 0, items: [] },
    };
    const page = { rows: [], totalItems: 60 };
    const queries: string[] = [];
    server.use(
      http.get(
        'http://backstage.test/api/catalog/platform/dependencies',
        info => {
          queries.push(new URL(info.request.url).search);
          return HttpResponse.json(summary);
        },
      ),
      http.get(
        'http://backstage.test/api/catalog/platform/dependents',
        info => {
          queries.push(new URL(info.request.url).search);
          return HttpResponse.json(page);
        },
      ),
    );

    await expect(
      client.getDependencies('component:default/payments'),
    ).resolves.toEqual(summary);
    await expect(
      client.getDependents('component:default/payments', 'page-2'),
    ).resolves.toEqual(page);
    expect(queries).toEqual([
      '?entityRef=component%3Adefault%2Fpayments',
      '?entityRef=component%3Adefault%2Fpayments&cursor=page-2',
    ]);
  });
});
