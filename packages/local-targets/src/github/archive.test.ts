import { Parser } from 'tar';
import { LocalGithubApiServer, startGithubApiServer } from './server';
import { callGithubApi } from './testRequest';

/** Each entry of a gzipped tar: path -> mode and content. */
async function untar(archive: Buffer) {
  const entries: Record<string, { mode: number; content: string }> = {};
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      onReadEntry: entry => {
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => {
          entries[entry.path] = {
            mode: entry.mode ?? 0,
            content: Buffer.concat(chunks).toString('utf-8'),
          };
        });
      },
    });
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(archive);
  });
  return entries;
}

describe('the archive and combined status of the loopback GitHub', () => {
  let server: LocalGithubApiServer;
  const call = (method: string, path: string, body?: object) =>
    callGithubApi(server, { method, path, body });

  beforeEach(async () => {
    server = await startGithubApiServer({
      tokens: { admin: { login: 'ada', scopes: ['repo'] } },
      orgs: ['acme'],
      host: 'github.test',
    });
  });

  afterEach(() => server.close());

  /**
   * A new commit on main of acme/docs (made at the first push) of exactly
   * these files, with their modes.
   */
  async function push(files: Record<string, [string, string?]>) {
    if (!server.getRepo('acme', 'docs')) {
      await call('POST', '/orgs/acme/repos', { name: 'docs', auto_init: true });
    }
    const head = await call('GET', '/repos/acme/docs/git/ref/heads/main');
    const tree = await call('POST', '/repos/acme/docs/git/trees', {
      tree: Object.entries(files).map(([path, [content, mode]]) => ({
        path,
        mode: mode ?? '100644',
        type: 'blob',
        content,
      })),
    });
    const commit = await call('POST', '/repos/acme/docs/git/commits', {
      message: 'Add docs',
      tree: tree.body.sha,
      parents: [head.body.object.sha],
    });
    await call('PATCH', '/repos/acme/docs/git/refs/heads/main', {
      sha: commit.body.sha,
    });
    return commit.body.sha as string;
  }

  const tarballPaths = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, {
      headers: { authorization: 'token admin' },
    });
    return Object.keys(await untar(Buffer.from(await res.arrayBuffer())));
  };

  it('answers the combined status of a branch with its head commit and the repository', async () => {
    const sha = await push({ 'mkdocs.yml': ['site_name: docs\n'] });
    const res = await call('GET', '/repos/acme/docs/commits/main/status');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      state: 'pending',
      statuses: [],
      total_count: 0,
      sha,
      repository: {
        full_name: 'acme/docs',
        archive_url: `${server.url}/repos/acme/docs/{archive_format}{/ref}`,
      },
    });
    expect(res.body.repository).not.toHaveProperty('git');
    const bySha = await call('GET', `/repos/acme/docs/commits/${sha}/status`);
    expect(bySha.body.sha).toBe(sha);
  });

  it.each([
    ['an unknown repository', '/repos/acme/none/commits/main/status'],
    ['an unknown branch', '/repos/acme/docs/commits/nope/status'],
    ['an unknown repository’s tarball', '/repos/acme/none/tarball/main'],
    ['an unknown branch’s tarball', '/repos/acme/docs/tarball/nope'],
    ['an unknown ref on codeload', '/_codeload/acme/docs/legacy.tar.gz/nope'],
  ])('answers 404 Not Found for %s', async (_what, path) => {
    await push({ 'a.md': ['a'] });
    const res = await call('GET', path);
    expect([res.status, res.body]).toEqual([
      404,
      {
        message: 'Not Found',
        documentation_url: 'https://docs.github.com/rest',
        status: '404',
      },
    ]);
  });

  it('redirects a tarball to codeload on the same server, as GitHub does', async () => {
    await push({ 'a.md': ['a'] });
    const res = await fetch(`${server.url}/repos/acme/docs/tarball/main`, {
      headers: { authorization: 'token admin' },
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(
      `${server.url}/_codeload/acme/docs/legacy.tar.gz/main`,
    );
  });

  it('serves the files of a commit as a gzipped tar in one OWNER-REPO-SHORTSHA folder', async () => {
    const sha = await push({
      'mkdocs.yml': ['site_name: docs\n'],
      'docs/index.md': ['# Hello\n'],
      'scripts/run.sh': ['#!/bin/sh\n', '100755'],
    });
    const res = await fetch(`${server.url}/repos/acme/docs/tarball/${sha}`, {
      headers: { authorization: 'token admin' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-gzip');
    const entries = await untar(Buffer.from(await res.arrayBuffer()));
    const root = `acme-docs-${sha.slice(0, 7)}`;
    expect(Object.keys(entries).sort()).toEqual([
      `${root}/`,
      `${root}/docs/`,
      `${root}/docs/index.md`,
      `${root}/mkdocs.yml`,
      `${root}/scripts/`,
      `${root}/scripts/run.sh`,
    ]);
    expect(entries[`${root}/docs/index.md`].content).toBe('# Hello\n');
    expect(entries[`${root}/scripts/run.sh`].mode).toBe(0o755);
    expect(entries[`${root}/mkdocs.yml`].mode).toBe(0o644);
  });

  it('serves the default branch’s tarball when no ref is given, and an older commit’s files by its sha', async () => {
    const initial = await push({ 'README.md': ['# docs\n'] });
    const latest = await push({ 'docs/index.md': ['# Hello\n'] });
    expect(await tarballPaths('/repos/acme/docs/tarball')).toContain(
      `acme-docs-${latest.slice(0, 7)}/docs/index.md`,
    );
    expect(await tarballPaths(`/repos/acme/docs/tarball/${initial}`)).toEqual([
      `acme-docs-${initial.slice(0, 7)}/`,
      `acme-docs-${initial.slice(0, 7)}/README.md`,
    ]);
  });

  it('needs a token for the archive like the rest of the API', async () => {
    await push({ 'a.md': ['a'] });
    const res = await fetch(
      `${server.url}/_codeload/acme/docs/legacy.tar.gz/main`,
    );
    expect(res.status).toBe(401);
  });
});
