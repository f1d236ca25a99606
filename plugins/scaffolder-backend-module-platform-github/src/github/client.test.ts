import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { GithubFaultOptions, LocalGithubApiServer } from 'local-targets';
import { githubClients, startTestGithub } from '@internal/platform-test-utils';
import {
  createGithubClient,
  DEFAULT_GITHUB_REQUEST_POLICY,
  describeGithubFailure,
  GithubRequestPolicy,
  resolveGithubRequestPolicy,
} from './client';

// Loading the backend libraries takes seconds on a busy machine.
jest.setTimeout(30_000);

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

/** A message with its clock time ("14:05 UTC") as HH:MM, to compare. */
const anyClock = (message: string) =>
  message.replace(/\b\d\d:\d\d UTC\b/, 'HH:MM UTC');

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

  it.each([403, 429])(
    'says until when the primary limit is used up, answered %s',
    status => {
      const reset = Math.ceil(Date.now() / 1000) + 52 * 60;
      const failure = describeGithubFailure(
        octokitError(
          status,
          { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
          { message: 'API rate limit exceeded for user ID 1.' },
        ),
      );
      expect(failure).toMatchObject({
        status,
        transient: true,
        rateLimited: true,
        retryAfterMs: expect.any(Number),
      });
      expect(failure.retryAfterMs).toBeGreaterThan(51 * 60_000);
      expect(failure.retryAfterMs).toBeLessThanOrEqual(52 * 60_000 + 1000);
      expect(failure.message).toBe(
        `GitHub's rate limit for this token is used up until ${new Date(
          reset * 1000,
        )
          .toISOString()
          .slice(11, 16)} UTC (in 52 minutes); try again then`,
      );
    },
  );

  it.each<[number, Record<string, string>, number]>([
    [403, { 'retry-after': '5' }, 5_000],
    [429, { 'retry-after': '5' }, 5_000],
    // GitHub: without retry-after, "wait for at least one minute".
    [403, {}, 60_000],
    [429, {}, 60_000],
    [403, { 'x-ratelimit-remaining': '17' }, 60_000],
  ])(
    'asks to wait out a secondary limit answered %s with %j',
    (status, headers, retryAfterMs) => {
      const failure = describeGithubFailure(
        octokitError(status, headers, {
          message: 'You have exceeded a secondary rate limit.',
        }),
      );
      expect(failure).toMatchObject({
        status,
        transient: true,
        rateLimited: true,
        retryAfterMs,
      });
      expect(anyClock(failure.message)).toBe(
        `GitHub's secondary rate limit refused the call (GitHub answered ${status}: You have exceeded a secondary rate limit); try again after HH:MM UTC (in ${
          retryAfterMs / 1000
        } seconds)`,
      );
      expect(JSON.stringify(failure)).not.toContain(SECRET);
    },
  );

  it('reports the status GitHub sent, not the one shown to plugin-throttling', () => {
    const error = octokitError(429, {}, { message: 'Too many requests' });
    error.status = 403;
    expect(describeGithubFailure(error)).toMatchObject({
      status: 429,
      rateLimited: true,
    });
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

describe('createGithubClient on GitHub’s rate limits', () => {
  let server: LocalGithubApiServer;

  beforeEach(async () => {
    server = await startTestGithub();
  });
  afterEach(() => server.close());

  /** A second of every wait lasts this many milliseconds here. */
  const SECOND = 5;
  // Far below the real waits these tests avoid (a minute or more), far above
  // what a request takes even on a loaded machine.
  const AT_ONCE_MS = 10_000;

  function client(policy: GithubRequestPolicy = {}, signal?: AbortSignal) {
    return createGithubClient({
      ...githubClients(server),
      host: 'github.test',
      owner: 'acme',
      repo: 'payments',
      signal,
      retryAfterBaseValue: SECOND,
      paceWrites: false,
      ...policy,
    });
  }

  /** The call's outcome, and how long it took. */
  async function timed(call: () => Promise<unknown>) {
    const started = Date.now();
    const error = await call().then(
      () => undefined,
      e => e,
    );
    return { error, ms: Date.now() - started };
  }

  const calls = (path = '/user') =>
    server.requests.filter(r => r.path === path).map(r => r.status);

  it('follows GitHub’s rules by default', () => {
    expect(DEFAULT_GITHUB_REQUEST_POLICY).toEqual({
      requestTimeoutMs: 30_000,
      serverErrorRetries: 3,
      maxRateLimitWaitSeconds: 120,
      secondaryRateLimitRetries: 2,
      secondaryRateLimitFallbackSeconds: 60,
      retryAfterBaseValue: 1000,
      paceWrites: true,
    });
    expect(
      resolveGithubRequestPolicy({
        maxRateLimitWaitSeconds: undefined,
        secondaryRateLimitRetries: 0,
      }),
    ).toEqual({
      ...DEFAULT_GITHUB_REQUEST_POLICY,
      secondaryRateLimitRetries: 0,
    });
  });

  // Only lower bounds: a loaded machine may make any wait longer, never
  // shorter, so an upper bound on wall-clock time would only make the test flaky.
  it.each<[string, number, GithubFaultOptions, number[], number]>([
    // GitHub: without retry-after, "wait for at least one minute".
    [
      'a minute after a 403 without retry-after',
      1,
      { kind: 'secondary-rate-limit' },
      [403, 200],
      60,
    ],
    [
      'a minute after a 429 without retry-after',
      1,
      { kind: 'secondary-rate-limit', status: 429 },
      [429, 200],
      60,
    ],
    [
      'what retry-after asks',
      1,
      { kind: 'secondary-rate-limit', retryAfterSeconds: 7 },
      [403, 200],
      7,
    ],
    [
      'twice as long after each further limit',
      2,
      { kind: 'secondary-rate-limit', retryAfterSeconds: 10 },
      [403, 403, 200],
      10 + 20,
    ],
  ])(
    'waits out a secondary limit: %s',
    async (_, count, fault, statuses, atLeast) => {
      server.failNext(count, fault);
      const octokit = await client();
      const { error, ms } = await timed(() => octokit.users.getAuthenticated());
      expect(error).toBeUndefined();
      expect(calls()).toEqual(statuses);
      expect(ms).toBeGreaterThanOrEqual(atLeast * SECOND);
    },
  );

  it('gives up after the bounded number of retries, saying when to try again', async () => {
    server.failNext(10, { kind: 'secondary-rate-limit', retryAfterSeconds: 1 });
    const octokit = await client({ secondaryRateLimitRetries: 2 });
    const { error } = await timed(() => octokit.users.getAuthenticated());
    expect(calls()).toEqual([403, 403, 403]);
    expect(anyClock(describeGithubFailure(error).message)).toBe(
      "GitHub's secondary rate limit refused the call (GitHub answered 403: You have exceeded a secondary rate limit. Please wait a few minutes before you try again); try again after HH:MM UTC (in 1 second)",
    );
  });

  it('fails at once when a secondary limit asks for more than the bound', async () => {
    server.failNext(1, {
      kind: 'secondary-rate-limit',
      retryAfterSeconds: 600,
    });
    const octokit = await client({ retryAfterBaseValue: 1000 });
    const { error, ms } = await timed(() => octokit.users.getAuthenticated());
    expect(calls()).toEqual([403]);
    expect(ms).toBeLessThan(AT_ONCE_MS);
    expect(describeGithubFailure(error)).toMatchObject({
      rateLimited: true,
      retryAfterMs: 600_000,
    });
  });

  it.each([403, 429])(
    'fails at once, saying when to try again, when a primary limit answered %s resets beyond the bound',
    async status => {
      server.failNext(1, { kind: 'rate-limit', status, resetInSeconds: 3600 });
      // Real seconds: a wait for the reset would last an hour.
      const octokit = await client({ retryAfterBaseValue: 1000 });
      const { error, ms } = await timed(() => octokit.users.getAuthenticated());
      expect(calls()).toEqual([status]);
      expect(ms).toBeLessThan(AT_ONCE_MS);
      const reset = new Date(
        Number(error.response.headers['x-ratelimit-reset']) * 1000,
      );
      expect(describeGithubFailure(error).message).toBe(
        `GitHub's rate limit for this token is used up until ${reset
          .toISOString()
          .slice(11, 16)} UTC (in 60 minutes); try again then`,
      );
    },
  );

  it('waits for a primary limit that resets within the bound', async () => {
    server.failNext(1, { kind: 'rate-limit', resetInSeconds: 2 });
    const octokit = await client();
    const { error, ms } = await timed(() => octokit.users.getAuthenticated());
    expect(error).toBeUndefined();
    expect(calls()).toEqual([403, 200]);
    expect(ms).toBeGreaterThanOrEqual(2 * SECOND);
  });

  it('ends a call at once when the run is cancelled during a wait', async () => {
    server.failNext(1, { kind: 'secondary-rate-limit' });
    const controller = new AbortController();
    // Real seconds: the wait would last a minute.
    const octokit = await client(
      { retryAfterBaseValue: 1000 },
      controller.signal,
    );
    setTimeout(() => controller.abort(), 100);
    const { error, ms } = await timed(() => octokit.users.getAuthenticated());
    expect(error.name).toBe('AbortError');
    expect(describeGithubFailure(error).message).toBe('the run was cancelled');
    expect(ms).toBeLessThan(AT_ONCE_MS);
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(calls()).toEqual([403]);
  });

  it('repeats a call after a 5xx, unless the call says not to', async () => {
    server.failNext(2, { path: '/user', status: 502 });
    const octokit = await client();
    await expect(octokit.users.getAuthenticated()).resolves.toMatchObject({
      status: 200,
    });
    expect(calls()).toEqual([502, 502, 200]);

    server.failNext(1, { path: '/user', status: 502 });
    const error = await octokit.users
      .getAuthenticated({ request: { retries: 0 } })
      .catch(e => e);
    expect(describeGithubFailure(error).message).toBe(
      'GitHub answered 502: Server Error',
    );
    expect(calls()).toEqual([502, 502, 200, 502]);
  });

  it('repeats a call that got no answer in time', async () => {
    server.failNext(1, { path: '/user', kind: 'timeout' });
    const octokit = await client({ requestTimeoutMs: 200 });
    await expect(octokit.users.getAuthenticated()).resolves.toMatchObject({
      status: 200,
    });
    expect(calls()).toEqual([200]);
  });

  it('leaves a second between writes by default', async () => {
    server.seedRepo('acme', 'payments');
    const octokit = await client({ paceWrites: undefined });
    const started = Date.now();
    for (const content of ['a', 'b']) {
      await octokit.git.createBlob({
        owner: 'acme',
        repo: 'payments',
        content,
      });
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });
});
