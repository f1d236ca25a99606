import { InputError, toError } from '@backstage/errors';
import {
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import { Octokit } from '@octokit/rest';
import { setTimeout as delay } from 'node:timers/promises';

/** What went wrong in a GitHub call, without headers, tokens or bodies. */
export interface GithubFailure {
  /** The HTTP status, or undefined when no answer came (network, timeout). */
  status?: number;
  /** Whether the same call may succeed later: 5xx, no answer, rate limit. */
  transient: boolean;
  rateLimited: boolean;
  retryAfterMs?: number;
  /** OAuth scopes the token has, from `x-oauth-scopes`. Scopes are not secrets. */
  tokenScopes?: string[];
  /** GitHub's own one-line `message`, or a description of the network failure. */
  message: string;
}

type OctokitLikeError = {
  name?: string;
  status?: number;
  message?: string;
  response?: {
    headers?: Record<string, string | undefined>;
    data?: unknown;
  };
};

/**
 * Reads an Octokit error without ever passing on its `request` (with the
 * authorization header) or its raw body; only GitHub's `message` field,
 * which GitHub writes for people, survives.
 */
export function describeGithubFailure(error: unknown): GithubFailure {
  const e = (error ?? {}) as OctokitLikeError;
  if (e.name === 'AbortError') {
    return {
      transient: false,
      rateLimited: false,
      message: 'the run was cancelled',
    };
  }
  if (!e.response) {
    // Octokit turns "no answer" (refused connection, timeout) into a
    // response-less error; the outcome of a write is then unknown.
    return {
      transient: true,
      rateLimited: false,
      message: /timeout/i.test(e.message ?? '')
        ? 'GitHub did not answer in time'
        : 'GitHub could not be reached',
    };
  }
  const headers = e.response.headers ?? {};
  const data = e.response.data as { message?: unknown } | undefined;
  const githubMessage =
    typeof data?.message === 'string' ? data.message : 'no message';
  const retryAfter = Number(headers['retry-after']);
  const rateLimited =
    e.status === 429 ||
    (e.status === 403 &&
      (headers['x-ratelimit-remaining'] === '0' ||
        headers['retry-after'] !== undefined ||
        /rate limit/i.test(githubMessage)));
  let retryAfterMs = Number.isFinite(retryAfter)
    ? retryAfter * 1000
    : undefined;
  if (retryAfterMs === undefined && headers['x-ratelimit-reset']) {
    retryAfterMs = Math.max(
      0,
      Number(headers['x-ratelimit-reset']) * 1000 - Date.now(),
    );
  }
  return {
    status: e.status,
    transient: rateLimited || (e.status ?? 0) >= 500,
    rateLimited,
    retryAfterMs,
    tokenScopes:
      headers['x-oauth-scopes'] !== undefined
        ? headers['x-oauth-scopes']
            .split(',')
            .map(s => s.trim())
            .filter(Boolean)
        : undefined,
    message: `GitHub answered ${e.status}: ${githubMessage}`,
  };
}

export function isGithubStatus(error: unknown, status: number): boolean {
  return (
    (error as OctokitLikeError)?.status === status &&
    Boolean((error as OctokitLikeError).response)
  );
}

/**
 * An Octokit for one repository's host, with the token the integration
 * config or GitHub App gives for it, the host's `apiBaseUrl` (GitHub
 * Enterprise, or the loopback test server), a timeout on every request and
 * the run's cancellation signal.
 */
export async function createGithubClient(options: {
  integrations: ScmIntegrationRegistry;
  credentialsProvider: GithubCredentialsProvider;
  host: string;
  owner: string;
  repo: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}): Promise<Octokit> {
  const { integrations, credentialsProvider, host, owner, repo } = options;
  const integration = integrations.github.byHost(host);
  if (!integration) {
    throw new InputError(
      `No integrations.github entry for host ${host}; add one to app-config`,
    );
  }
  let token: string | undefined;
  try {
    ({ token } = await credentialsProvider.getCredentials({
      url: `https://${host}/${encodeURIComponent(owner)}/${encodeURIComponent(
        repo,
      )}`,
    }));
  } catch (e) {
    // A GitHub App token exchange fails with Octokit errors, which must not
    // pass on raw; Backstage's own refusals (no installation, an app limited
    // to selected repositories, a suspended app) are plain sentences that
    // tell the user what to fix, and would read as "unreachable" otherwise.
    const fromOctokit =
      (e as OctokitLikeError)?.name === 'HttpError' ||
      (e as OctokitLikeError)?.response !== undefined;
    throw new Error(
      `Could not get GitHub credentials for ${owner} on ${host}: ${
        fromOctokit ? describeGithubFailure(e).message : toError(e).message
      }`,
    );
  }
  if (!token) {
    throw new InputError(
      `No GitHub credentials for ${owner} on ${host}; configure a token or GitHub App in integrations.github`,
    );
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Octokit({
    auth: token,
    baseUrl: integration.config.apiBaseUrl,
    request: {
      fetch: (url: string, init: RequestInit) =>
        fetch(url, {
          ...init,
          signal: AbortSignal.any([
            AbortSignal.timeout(timeoutMs),
            ...(options.signal ? [options.signal] : []),
          ]),
        }),
    },
    // Octokit logs failed requests with their details; we report our own.
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
}

/**
 * Calls `fn` again on transient failures (5xx, no answer, rate limits) with
 * exponential backoff, waiting at least what `retry-after` asks, for at most
 * `attempts` tries. Only for calls that are safe to repeat.
 */
export async function retryTransient<T>(
  fn: () => Promise<T>,
  options: {
    attempts?: number;
    initialDelayMs?: number;
    maxDelayMs?: number;
    signal?: AbortSignal;
    /** Also retry these statuses, e.g. 404 right after a repository is created. */
    retryStatuses?: number[];
  } = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  let wait = options.initialDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const failure = describeGithubFailure(e);
      const retryable =
        failure.transient ||
        (failure.status !== undefined &&
          options.retryStatuses?.includes(failure.status));
      if (!retryable || attempt >= attempts || options.signal?.aborted) {
        throw e;
      }
      const ms = Math.min(
        Math.max(wait, failure.retryAfterMs ?? 0),
        options.maxDelayMs ?? 30_000,
      );
      await delay(ms, undefined, { signal: options.signal });
      wait *= 2;
    }
  }
}
