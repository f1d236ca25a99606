import { LocalGithubApiServer, startGithubApiServer } from './server';
import { callGithubApi } from './testRequest';

const HOSTILE = '<script>alert("x")</script>';

/** The markup without the whitespace next to tags that the page templates' layout adds. */
const tight = (html: string) => html.replace(/\s*([<>])\s*/g, '$1');

describe('the repository pages of the loopback GitHub', () => {
  let server: LocalGithubApiServer;
  const call = (method: string, path: string, body?: object) =>
    callGithubApi(server, { method, path, body });
  /** A browser's request: no token. */
  const browse = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  /** What the platform's first commit does: one parentless commit of files. */
  async function pushFirstCommit(repo: string, files: Record<string, string>) {
    await call('POST', '/orgs/acme/repos', {
      name: repo,
      auto_init: true,
      description: `Pays ${HOSTILE}`,
    });
    const tree = await call('POST', `/repos/acme/${repo}/git/trees`, {
      tree: Object.entries(files).map(([path, content]) => ({
        path,
        mode: '100644',
        type: 'blob',
        content,
      })),
    });
    const commit = await call('POST', `/repos/acme/${repo}/git/commits`, {
      message: `Create ${repo} ${HOSTILE}`,
      tree: tree.body.sha,
      parents: [],
      author: { name: 'Platform Bot', email: 'bot@example.com' },
    });
    await call('PATCH', `/repos/acme/${repo}/git/refs/heads/main`, {
      sha: commit.body.sha,
      force: true,
    });
    return commit.body;
  }

  beforeEach(async () => {
    server = await startGithubApiServer({
      tokens: { admin: { login: 'ada', scopes: ['repo'] } },
      orgs: ['acme'],
      host: 'github.test',
    });
  });

  afterEach(() => server.close());

  it('shows the files of the default branch and the first commit, without a token', async () => {
    const commit = await pushFirstCommit('payments', {
      'README.md': '# payments\n',
      'kubernetes/deployment.yaml': 'kind: Deployment\n',
    });
    expect(commit.author).toMatchObject({
      name: 'Platform Bot',
      email: 'bot@example.com',
    });

    const apiRequests = server.requests.length;
    const page = await browse('/acme/payments');
    // Page views are no API traffic.
    expect(server.requests).toHaveLength(apiRequests);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const markup = tight(page.text);
    expect(markup).toContain(
      '<h1><a href="/acme/payments">acme/payments</a></h1>',
    );
    expect(markup).toContain(
      '<a href="/acme/payments/blob/main/kubernetes/deployment.yaml">kubernetes/deployment.yaml</a>',
    );
    expect(markup).toContain('<h2>First commit</h2>');
    expect(page.text).toContain(
      `${commit.sha} by Platform Bot &lt;bot@example.com&gt;`,
    );
    expect(markup).toContain(
      `<a href="/acme/payments/blob/${commit.sha}/README.md">README.md</a>`,
    );
  });

  it('shows a file as text', async () => {
    await pushFirstCommit('payments', { 'src/main.go': 'package main\n' });
    const page = await browse('/acme/payments/blob/main/src/main.go');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<pre>package main\n</pre>');
  });

  it('escapes everything the repository’s creator chose', async () => {
    await pushFirstCommit('payments', {
      [`docs/${HOSTILE}.md`]: `Hello ${HOSTILE}\n`,
    });
    const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;';
    const repoPage = await browse('/acme/payments');
    const filePage = await browse(
      `/acme/payments/blob/main/docs/${encodeURIComponent(HOSTILE)}.md`,
    );
    expect(filePage.status).toBe(200);
    for (const { text } of [repoPage, filePage]) {
      expect(text).not.toContain('<script');
      expect(text).toContain(escaped);
    }
    expect(tight(repoPage.text)).toContain(`<p>Pays ${escaped}</p>`);
    expect(repoPage.text).toContain(`<pre>Create payments ${escaped}</pre>`);
    // The slash in </script> makes a folder, as in any git tree.
    expect(repoPage.text).toContain(
      'href="/acme/payments/blob/main/docs/%3Cscript%3Ealert(%22x%22)%3C/script%3E.md"',
    );
    expect(filePage.text).toContain(`<pre>Hello ${escaped}\n</pre>`);
    expect(repoPage.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'",
    );
  });

  it('says so when a repository has no commits yet', async () => {
    await call('POST', '/orgs/acme/repos', { name: 'empty' });
    const page = await browse('/acme/empty');
    expect(page.status).toBe(200);
    expect(page.text).toContain('This repository is empty');
  });

  it('finds a file on a branch whose name holds a slash', async () => {
    await pushFirstCommit('payments', { 'a.txt': 'a\n' });
    const head = (await call('GET', '/repos/acme/payments/git/ref/heads/main'))
      .body.object.sha;
    await call('POST', '/repos/acme/payments/git/refs', {
      ref: 'refs/heads/release/1',
      sha: head,
    });
    const page = await browse('/acme/payments/blob/release/1/a.txt');
    expect(page.status).toBe(200);
    expect(page.text).toContain('at release/1');
  });

  it('answers a browser 404 as a page and an API client as the API does', async () => {
    expect((await browse('/acme/nothing')).status).toBe(404);
    expect((await browse('/acme/nothing')).text).toContain(
      '<h1>Not Found</h1>',
    );
    expect((await browse('/acme/nothing/blob/main/x')).status).toBe(404);
    const api = await call('GET', '/acme/nothing');
    expect([api.status, api.body.message]).toEqual([404, 'Not Found']);
  });

  it('leaves the API’s own paths to the API, even for a browser', async () => {
    const res = await fetch(`${server.url}/users/ada`, {
      headers: { authorization: 'token admin', accept: 'text/html' },
    });
    expect(await res.json()).toEqual({ login: 'ada', type: 'User' });
  });

  it('lists the files under a folder at a ref, where "View source" points', async () => {
    await pushFirstCommit('payments', {
      'catalog-info.yaml': 'kind: Component\n',
      'docs/index.md': '# payments\n',
      'docs/guide/run.md': '# run\n',
    });
    const root = tight((await browse('/acme/payments/tree/main/')).text);
    expect(root).toContain(
      '<a href="/acme/payments/blob/main/catalog-info.yaml">catalog-info.yaml</a>',
    );
    const docs = await browse('/acme/payments/tree/main/docs');
    expect(docs.status).toBe(200);
    expect(tight(docs.text)).toContain(
      '<a href="/acme/payments/blob/main/docs/guide/run.md">docs/guide/run.md</a>',
    );
    expect(docs.text).not.toContain('catalog-info.yaml');
    expect((await browse('/acme/payments/tree/main/nothing')).status).toBe(404);
    expect((await browse('/acme/payments/tree/nope/')).status).toBe(404);
  });

  it('sends a /tree/ link to a file on to its /blob/ page, as GitHub does', async () => {
    await pushFirstCommit('payments', { 'catalog-info.yaml': 'kind: x\n' });
    const res = await fetch(
      `${server.url}/acme/payments/tree/main/catalog-info.yaml`,
      { headers: { accept: 'text/html' }, redirect: 'manual' },
    );
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(
      '/acme/payments/blob/main/catalog-info.yaml',
    );
  });

  it('names its own pages in html_url when told to, for a person to follow', async () => {
    const local = await startGithubApiServer({
      tokens: { admin: { login: 'ada', scopes: ['repo'] } },
      orgs: ['acme'],
      host: 'github.com',
      htmlUrlsToOwnPages: true,
    });
    try {
      const created = await callGithubApi(local, {
        method: 'POST',
        path: '/orgs/acme/repos',
        body: { name: 'app', auto_init: true },
      });
      expect(created.body).toMatchObject({
        html_url: `${local.url}/acme/app`,
        clone_url: `${local.url}/acme/app.git`,
      });
      const page = await fetch(created.body.html_url, {
        headers: { accept: 'text/html' },
      });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>acme/app</title>');
    } finally {
      await local.close();
    }
  });

  it('keeps html_url on the configured web host, as the integrations match it', async () => {
    const created = await call('POST', '/orgs/acme/repos', { name: 'app' });
    expect(created.body.html_url).toBe('https://github.test/acme/app');
  });
});
