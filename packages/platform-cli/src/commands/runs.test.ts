import { PlatformRun, PlatformRunPage } from '@internal/plugin-platform-common';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../__testUtils__/runCli';

jest.setTimeout(60_000);

const TOKEN = 'runs-test-token';

function run(index: number, overrides: Partial<PlatformRun> = {}): PlatformRun {
  return {
    taskId: `task-${index}`,
    serviceName: `service-${index}`,
    status: 'completed',
    templateRef: 'template:default/microservice',
    createdBy: 'user:default/ada',
    createdAt: `2026-11-2${index}T10:00:00.000Z`,
    resources: [],
    ...overrides,
  };
}

/** Newest first, as the runs API orders them. */
const RUNS = [
  run(5, { status: 'failed', serviceName: 'checkout-web' }),
  run(4),
  run(3, { templateRef: 'template:platform/website' }),
  run(2, {
    serviceName: undefined,
    createdBy: 'user:default/grace',
    status: 'failed',
    resources: [
      {
        id: 'r1',
        taskId: 'task-2',
        stepId: 'repo',
        kind: 'github:repository',
        identity: 'acme/old',
        state: 'rolled_back',
        createdAt: '2026-11-22T10:00:00.000Z',
        updatedAt: '2026-11-22T10:00:00.000Z',
      },
    ],
  }),
  run(1),
];

/**
 * The platform's runs API as far as the CLI uses it: pages of RUNS, an
 * offset cursor, and every request's query for the test to look at.
 */
function startRunsApi(): Promise<{
  url: string;
  queries: URLSearchParams[];
  server: Server;
}> {
  const queries: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://localhost');
    if (
      url.pathname !== '/api/scaffolder/platform/runs' ||
      req.headers.authorization !== `Bearer ${TOKEN}`
    ) {
      res.writeHead(404).end();
      return;
    }
    queries.push(url.searchParams);
    const offset = Number(url.searchParams.get('cursor') ?? 0);
    const limit = Number(url.searchParams.get('limit'));
    const runs = RUNS.slice(offset, offset + limit);
    const page: PlatformRunPage = {
      runs,
      totalItems: RUNS.length,
      nextCursor:
        offset + limit < RUNS.length ? String(offset + limit) : undefined,
    };
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(page));
  });
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => ({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queries,
    server,
  }));
}

describe('platform runs ls', () => {
  let api: Awaited<ReturnType<typeof startRunsApi>>;
  let home: string;

  beforeAll(async () => {
    api = await startRunsApi();
  });

  afterAll(() => {
    api.server.close();
  });

  beforeEach(async () => {
    api.queries.length = 0;
    home = await mkdtemp(join(tmpdir(), 'platform-cli-'));
  });

  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  const ls = (...args: string[]) =>
    runCli(['runs', 'ls', ...args], {
      env: { HOME: home, PLATFORM_URL: api.url, PLATFORM_TOKEN: TOKEN },
    });

  it('prints each run with the service it creates, newest first', async () => {
    const result = await ls();

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.split('\n')).toEqual([
      'ID      SERVICE       STATUS     TEMPLATE          CREATED BY  CREATED                   RESOURCES',
      'task-5  checkout-web  failed     microservice      ada         2026-11-25T10:00:00.000Z  -',
      'task-4  service-4     completed  microservice      ada         2026-11-24T10:00:00.000Z  -',
      'task-3  service-3     completed  platform/website  ada         2026-11-23T10:00:00.000Z  -',
      'task-2  -             failed     microservice      grace       2026-11-22T10:00:00.000Z  1 rolled back',
      'task-1  service-1     completed  microservice      ada         2026-11-21T10:00:00.000Z  -',
      '',
    ]);
    expect(api.queries.map(query => query.toString())).toEqual([
      'whose=all&limit=20',
    ]);
  });

  it.each([
    [['--mine'], 'whose=mine'],
    [['--teams'], 'whose=my-teams'],
    [['--all'], 'whose=all'],
    [
      ['--teams', '--status', 'failed,expired', '--template', 'microservice'],
      'whose=my-teams&status=failed%2Cexpired&template=microservice',
    ],
    [['--created-by', 'grace'], 'whose=all&createdBy=grace'],
  ])('asks the runs API for %j', async (args, query) => {
    expect((await ls(...args, '-o', 'json')).code).toBe(0);
    expect(api.queries.map(q => q.toString())).toEqual([`${query}&limit=20`]);
  });

  it('pages through with the cursor up to --limit, and says how many more there are', async () => {
    const result = await ls('--limit', '4', '-o', 'json');

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).map((r: PlatformRun) => r.taskId)).toEqual(
      ['task-5', 'task-4', 'task-3', 'task-2'],
    );
    expect(result.stderr).toBe(
      'Showing the newest 4 of 5 runs; --limit shows more.\n',
    );
  });

  it('follows nextCursor across pages of the largest size the API answers', async () => {
    const result = await ls('--limit', '700', '-o', 'json');
    expect(JSON.parse(result.stdout)).toHaveLength(5);
    expect(api.queries.map(q => q.toString())).toEqual(['whose=all&limit=500']);
  });

  it.each([
    [
      ['--mine', '--teams'],
      "error: option '--teams' cannot be used with option '--mine'\n",
    ],
    [
      ['--status', 'done'],
      "error: option '--status <statuses>' argument 'done' is invalid. done is not one of open, processing, completed, failed, cancelled, expired.\n",
    ],
  ])('refuses %j in one line', async (args, stderr) => {
    expect(await ls(...args)).toEqual({ code: 1, stdout: '', stderr });
    expect(api.queries).toEqual([]);
  });
});
