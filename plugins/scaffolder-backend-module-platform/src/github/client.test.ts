import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { createGithubClient, describeGithubFailure } from './client';

const SECRET = 'ghs_installation_token_value';

/** The shape of an Octokit RequestError, with the request that carries the token. */
function octokitError(
  status: number,
  headers: Record<string, string>,
  data: object,
) {
  return Object.assign(new Error(`raw ${JSON.stringify(data)} ${SECRET}`), {
    name: 'HttpError',
    status,
    request: { headers: { authorization: `token ${SECRET}` } },
    response: { status, headers, data },
  });
}

describe('describeGithubFailure', () => {
  it.each([
    [
      502,
      {},
      { message: 'Server Error' },
      { transient: true, rateLimited: false },
    ],
    [
      404,
      {},
      { message: 'Not Found' },
      { transient: false, rateLimited: false },
    ],
    [
      403,
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0' },
      { message: 'API rate limit exceeded' },
      { transient: true, rateLimited: true, retryAfterMs: 0 },
    ],
    [
      403,
      { 'retry-after': '5' },
      { message: 'You have exceeded a secondary rate limit.' },
      { transient: true, rateLimited: true, retryAfterMs: 5000 },
    ],
    [429, {}, { message: 'Too many' }, { transient: true, rateLimited: true }],
    [
      403,
      { 'x-oauth-scopes': 'repo, read:org' },
      { message: 'Must have admin rights to Repository.' },
      {
        transient: false,
        rateLimited: false,
        tokenScopes: ['repo', 'read:org'],
      },
    ],
  ])('reads a %s answer', (status, headers, data, expected) => {
    const failure = describeGithubFailure(octokitError(status, headers, data));
    expect(failure).toMatchObject({
      status,
      message: `GitHub answered ${status}: ${data.message}`,
      ...expected,
    });
    expect(JSON.stringify(failure)).not.toContain(SECRET);
  });

  it('treats no answer as an unknown outcome worth retrying', () => {
    expect(
      describeGithubFailure(
        Object.assign(new Error('The operation was aborted due to timeout'), {
          status: 500,
        }),
      ),
    ).toEqual({
      transient: true,
      rateLimited: false,
      message: 'GitHub did not answer in time',
    });
  });
});

describe('createGithubClient', () => {
  const integrations = ScmIntegrations.fromConfig(
    new ConfigReader({
      integrations: {
        github: [{ host: 'github.test', apiBaseUrl: 'http://127.0.0.1:1' }],
      },
    }),
  );

  it('never passes on a credentials error raw', async () => {
    const error = await createGithubClient({
      integrations,
      credentialsProvider: {
        getCredentials: async () => {
          throw octokitError(
            401,
            {},
            { message: 'A JSON web token could not be decoded' },
          );
        },
      },
      host: 'github.test',
      owner: 'acme',
      repo: 'x',
    }).catch(e => e);
    expect(error.message).toBe(
      'Could not get GitHub credentials for acme on github.test: GitHub answered 401: A JSON web token could not be decoded',
    );
    expect(JSON.stringify(error)).not.toContain(SECRET);
  });

  it("passes on Backstage's own reason when it has no app token for the repository", async () => {
    const reason =
      'The Backstage GitHub application used in the acme organization does not have access to a repository with the name x';
    await expect(
      createGithubClient({
        integrations,
        credentialsProvider: {
          getCredentials: async () => {
            throw new Error(reason);
          },
        },
        host: 'github.test',
        owner: 'acme',
        repo: 'x',
      }),
    ).rejects.toThrow(
      new Error(
        `Could not get GitHub credentials for acme on github.test: ${reason}`,
      ),
    );
  });

  it('refuses a host without an integration', async () => {
    await expect(
      createGithubClient({
        integrations,
        credentialsProvider: {
          getCredentials: async () => ({ type: 'token', token: 't' }),
        },
        host: 'elsewhere.test',
        owner: 'acme',
        repo: 'x',
      }),
    ).rejects.toThrow('No integrations.github entry for host elsewhere.test');
  });
});
