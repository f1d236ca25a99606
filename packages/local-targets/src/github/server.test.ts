import { LocalGithubApiServer, startGithubApiServer } from './server';
import { callGithubApi } from './testRequest';

describe('startGithubApiServer', () => {
  let server: LocalGithubApiServer;

  beforeEach(async () => {
    server = await startGithubApiServer({
      tokens: {
        admin: { login: 'ada', scopes: ['repo', 'delete_repo'] },
        writer: { login: 'bob', scopes: ['repo'] },
      },
      orgs: ['acme'],
      host: 'github.test',
    });
  });

  afterEach(() => server.close());

  const call = (method: string, path: string, body?: object, token?: string) =>
    callGithubApi(server, { method, path, body, token });

  it('rejects unknown tokens with GitHub’s 401 body', async () => {
    const res = await call('GET', '/user', undefined, 'nope');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    });
  });

  it('creates an organization repository and refuses the same name again', async () => {
    const created = await call('POST', '/orgs/acme/repos', {
      name: 'payments',
      visibility: 'private',
      description: 'Pays',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      full_name: 'acme/payments',
      private: true,
      html_url: 'https://github.test/acme/payments',
      owner: { login: 'acme', type: 'Organization' },
    });

    const again = await call('POST', '/orgs/acme/repos', { name: 'Payments' });
    expect(again.status).toBe(422);
    expect(again.body).toMatchObject({
      message: 'Repository creation failed.',
      errors: [
        expect.objectContaining({
          field: 'name',
          message: 'name already exists on this account',
        }),
      ],
    });
  });

  it('answers 404 for unknown repositories and organizations', async () => {
    expect((await call('GET', '/repos/acme/none')).body).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest',
      status: '404',
    });
    expect((await call('POST', '/orgs/else/repos', { name: 'x' })).status).toBe(
      404,
    );
  });

  it('deletes only with the delete_repo scope, like GitHub', async () => {
    server.seedRepo('acme', 'keep');
    const denied = await call(
      'DELETE',
      '/repos/acme/keep',
      undefined,
      'writer',
    );
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe('Must have admin rights to Repository.');
    expect(denied.headers.get('x-oauth-scopes')).toBe('repo');
    expect(server.getRepo('acme', 'keep')).toBeDefined();

    expect((await call('DELETE', '/repos/acme/keep')).status).toBe(204);
    expect(server.getRepo('acme', 'keep')).toBeUndefined();
    expect((await call('DELETE', '/repos/acme/keep')).status).toBe(404);
  });

  it('refuses Git Data calls on an empty repository and builds commits on an initialised one', async () => {
    await call('POST', '/orgs/acme/repos', { name: 'empty' });
    const blocked = await call('POST', '/repos/acme/empty/git/blobs', {
      content: 'x',
    });
    expect(blocked.status).toBe(409);
    expect(blocked.body.message).toBe('Git Repository is empty.');

    await call('POST', '/orgs/acme/repos', { name: 'app', auto_init: true });
    const blob = await call('POST', '/repos/acme/app/git/blobs', {
      content: Buffer.from('hello\n').toString('base64'),
      encoding: 'base64',
    });
    // The real git object id of "hello\n".
    expect(blob.body.sha).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    const tree = await call('POST', '/repos/acme/app/git/trees', {
      tree: [
        {
          path: 'src/hello.txt',
          mode: '100644',
          type: 'blob',
          sha: blob.body.sha,
        },
      ],
    });
    const commit = await call('POST', '/repos/acme/app/git/commits', {
      message: 'First',
      tree: tree.body.sha,
      parents: [],
    });
    const notForward = await call(
      'PATCH',
      '/repos/acme/app/git/refs/heads/main',
      {
        sha: commit.body.sha,
      },
    );
    expect(notForward.status).toBe(422);
    const forced = await call('PATCH', '/repos/acme/app/git/refs/heads/main', {
      sha: commit.body.sha,
      force: true,
    });
    expect(forced.status).toBe(200);
    expect(server.files('acme', 'app')).toEqual({ 'src/hello.txt': 'hello\n' });
  });

  it('serves file contents raw or as base64, as the URL reader expects', async () => {
    server.seedRepo('acme', 'docs');
    const raw = await fetch(
      `${server.url}/repos/acme/docs/contents/README.md?ref=main`,
      {
        headers: {
          authorization: 'token admin',
          accept: 'application/vnd.github.v3.raw',
        },
      },
    );
    expect(await raw.text()).toBe('# docs\n');
    const json = await call('GET', '/repos/acme/docs/contents/README.md');
    expect(Buffer.from(json.body.content, 'base64').toString()).toBe(
      '# docs\n',
    );
    expect(
      (await call('GET', '/repos/acme/docs/contents/missing.md')).status,
    ).toBe(404);
  });

  it('answers 404 to Git Data calls right after creation when told to', async () => {
    server.settings.gitNotReadyCallsAfterCreate = 2;
    await call('POST', '/orgs/acme/repos', { name: 'slow', auto_init: true });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await call('GET', '/repos/acme/slow/git/ref/heads/main')).status,
      );
    }
    expect(statuses).toEqual([404, 404, 200]);
  });

  it.each([
    [{ kind: 'status' as const, status: 503 }, 503, null, null],
    [{ kind: 'rate-limit' as const }, 403, null, '0'],
    [{ kind: 'rate-limit' as const, status: 429 }, 429, null, '0'],
    [
      { kind: 'secondary-rate-limit' as const, retryAfterSeconds: 7 },
      403,
      '7',
      '4999',
    ],
    [{ kind: 'secondary-rate-limit' as const, status: 429 }, 429, null, '4999'],
  ])('injects %j', async (fault, status, retryAfter, remaining) => {
    server.failNext(1, fault);
    const res = await call('GET', '/user');
    expect([
      res.status,
      res.headers.get('retry-after'),
      res.headers.get('x-ratelimit-remaining'),
    ]).toEqual([status, retryAfter, remaining]);
    expect((await call('GET', '/user')).status).toBe(200);
  });

  it.each([
    [{ kind: 'rate-limit' as const }, 3600],
    [{ kind: 'rate-limit' as const, resetInSeconds: 90 }, 90],
  ])(
    'answers a primary limit %j with the reset GitHub sends and no retry-after',
    async (fault, resetIn) => {
      server.failNext(1, fault);
      const res = await call('GET', '/user');
      const reset = Number(res.headers.get('x-ratelimit-reset'));
      expect(reset - Date.now() / 1000).toBeGreaterThan(resetIn - 5);
      expect(reset - Date.now() / 1000).toBeLessThanOrEqual(resetIn + 1);
      expect(res.headers.get('retry-after')).toBeNull();
      expect(res.body.message).toBe('API rate limit exceeded for user ID 1.');
    },
  );

  it('says in its message that a secondary limit is one', async () => {
    server.failNext(1, { kind: 'secondary-rate-limit' });
    const res = await call('GET', '/user');
    expect(res.body.message).toMatch(/\bsecondary rate limit\b/);
  });

  it('can carry out a create and still answer 502, leaving the outcome unclear', async () => {
    server.failNext(1, {
      method: 'POST',
      pathIncludes: '/repos',
      afterCommit: true,
    });
    const res = await call('POST', '/orgs/acme/repos', { name: 'unclear' });
    expect(res.status).toBe(502);
    expect(server.getRepo('acme', 'unclear')).toBeDefined();
  });

  it('answers with the message a test chooses, such as an echo', async () => {
    server.failNext(1, {
      status: 401,
      message: 'Bad credentials: token admin',
    });
    const res = await call('GET', '/user');
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('Bad credentials: token admin');
  });

  it('can hold a request until the client gives up', async () => {
    server.failNext(1, { kind: 'timeout', afterCommit: true, method: 'POST' });
    await expect(
      fetch(`${server.url}/orgs/acme/repos`, {
        method: 'POST',
        headers: {
          authorization: 'token admin',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name: 'late' }),
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow();
    expect(server.getRepo('acme', 'late')).toBeDefined();
  });

  it('records requests with the login, never the token', async () => {
    await call('GET', '/user', undefined, 'writer');
    expect(server.requests).toEqual([
      { method: 'GET', path: '/user', status: 200, login: 'bob' },
    ]);
  });

  it('sets topics and team access', async () => {
    server.seedRepo('acme', 'svc');
    expect(
      (
        await call('PUT', '/repos/acme/svc/topics', {
          names: ['payments', 'Bad Topic'],
        })
      ).status,
    ).toBe(422);
    await call('PUT', '/repos/acme/svc/topics', { names: ['payments'] });
    expect(
      (
        await call('PUT', '/orgs/acme/teams/core/repos/acme/svc', {
          permission: 'admin',
        })
      ).status,
    ).toBe(204);
    expect(server.getRepo('acme', 'svc')).toMatchObject({
      topics: ['payments'],
      teams: { core: 'admin' },
    });
  });

  it('knows only the configured teams of an organization', async () => {
    await server.close();
    server = await startGithubApiServer({
      tokens: { admin: { login: 'ada', scopes: ['repo'] } },
      orgs: ['acme'],
      teams: { acme: ['core'] },
    });
    server.seedRepo('acme', 'svc');
    expect((await call('GET', '/orgs/acme/teams/core')).status).toBe(200);
    expect((await call('GET', '/orgs/acme/teams/ghosts')).status).toBe(404);
    expect(
      (await call('PUT', '/orgs/acme/teams/ghosts/repos/acme/svc', {})).status,
    ).toBe(404);
    expect(server.getRepo('acme', 'svc')?.teams).toEqual({});
  });
});
