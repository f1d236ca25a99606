import https from 'node:https';
import {
  LOCAL_TARGETS,
  RunningLocalTargets,
  startLocalTargets,
} from './localTargets';

describe('startLocalTargets', () => {
  let targets: RunningLocalTargets;

  beforeAll(async () => {
    targets = await startLocalTargets({ githubPort: 0, kubernetesPort: 0 });
  });

  afterAll(async () => {
    await targets?.close();
  });

  it('serves GitHub for the configured token, with github.com web links', async () => {
    const response = await fetch(
      `${targets.github.url}/orgs/example-org/repos`,
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
    expect((await response.json()).html_url).toBe(
      'https://github.com/example-org/payments',
    );
  });

  it('refuses GitHub requests with any other token', async () => {
    const response = await fetch(`${targets.github.url}/user`, {
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
});
