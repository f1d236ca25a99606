import https from 'node:https';
import {
  LOCAL_TARGETS,
  RunningLocalTargets,
  startLocalTargets,
} from './localTargets';

describe('startLocalTargets', () => {
  let targets: RunningLocalTargets;

  beforeAll(async () => {
    targets = await startLocalTargets({
      githubPort: 0,
      kubernetesPort: 0,
      controlPort: 0,
    });
  });

  afterAll(async () => {
    await targets?.close();
  });

  it('serves GitHub for the configured token, with github.com web links', async () => {
    const response = await fetch(
      `${targets.githubUrl}/orgs/example-org/repos`,
      {
        method: 'POST',
        headers: {
          authorization: `token ${LOCAL_TARGETS.github.token}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name: 'payments' }),
      },
    );
    expect(response.status).toBe(201);
    // The repository's page on this same server, which a person can open.
    expect((await response.json()).html_url).toBe(
      `${targets.githubUrl}/example-org/payments`,
    );
  });

  it('refuses GitHub requests with any other token', async () => {
    const response = await fetch(`${targets.githubUrl}/user`, {
      headers: { authorization: 'token something-else' },
    });
    expect(response.status).toBe(401);
  });

  it.each([
    [LOCAL_TARGETS.kubernetes.token, 200],
    ['something-else', 401],
  ])(
    'answers Kubernetes over TLS with token %j by %d',
    async (token, status) => {
      const answered = await new Promise<number | undefined>(
        (resolve, reject) => {
          https
            .get(
              `${targets.kubernetes.url}/api/v1/namespaces`,
              {
                ca: Buffer.from(targets.kubernetes.caData, 'base64'),
                headers: { authorization: `Bearer ${token}` },
              },
              res => {
                res.resume();
                resolve(res.statusCode);
              },
            )
            .on('error', reject);
        },
      );
      expect(answered).toBe(status);
    },
  );

  it('makes the next matching requests fail when asked through the control API', async () => {
    const fail = await fetch(`${targets.controlUrl}/github/fail-next`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 1, status: 502, pathIncludes: '/user' }),
    });
    expect(fail.status).toBe(204);
    const headers = { authorization: `token ${LOCAL_TARGETS.github.token}` };
    const first = await fetch(`${targets.githubUrl}/user`, { headers });
    const second = await fetch(`${targets.githubUrl}/user`, { headers });
    expect([first.status, second.status]).toEqual([502, 200]);
  });

  it.each([
    ['nowhere', { count: 1 }, 404],
    ['kubernetes', { count: 0 }, 400],
    ['kubernetes', {}, 400],
  ])('refuses a fault for %s with %j', async (target, body, status) => {
    const response = await fetch(`${targets.controlUrl}/${target}/fail-next`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(status);
  });

  it('serves the files of a repository through the contents API, as the catalog reads them', async () => {
    const headers = {
      authorization: `token ${LOCAL_TARGETS.github.token}`,
      'content-type': 'application/json',
    };
    const created = await fetch(`${targets.githubUrl}/orgs/example-org/repos`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'ledger', auto_init: true }),
    });
    expect(created.status).toBe(201);
    const contents = (path: string, extra: Record<string, string> = {}) =>
      fetch(
        `${targets.githubUrl}/repos/example-org/ledger/contents/${path}?ref=main`,
        {
          headers: { ...headers, ...extra },
        },
      );

    const raw = await contents('README.md', {
      accept: 'application/vnd.github.v3.raw',
    });
    expect(raw.status).toBe(200);
    expect(await raw.text()).toBe('# ledger\n');
    const json = await (await contents('README.md')).json();
    expect(Buffer.from(json.content, 'base64').toString()).toBe('# ledger\n');
    expect((await contents('catalog-info.yaml')).status).toBe(404);
    expect(
      (await contents('README.md', { authorization: 'token nope' })).status,
    ).toBe(401);
  });
});
