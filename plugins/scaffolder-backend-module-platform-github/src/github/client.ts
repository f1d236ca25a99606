import { Config, readDurationFromConfig } from '@backstage/config';
import { InputError, toError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';
import {
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import { retry } from '@octokit/plugin-retry';
import { throttling, ThrottlingOptions } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * What went wrong in a GitHub call, without headers, tokens or bodies.
 *
 * @public
 */
export interface GithubFailure {
  /** The HTTP status, or undefined when no answer came (network, timeout). */
  status?: number;
  /** Whether the same call may succeed later: 5xx, no answer, rate limit. */
  transient: boolean;
  rateLimited: boolean;
  /** How long GitHub asks callers to wait before trying again. */
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
    status?: number;
    headers?: Record<string, string | undefined>;
    data?: unknown;
  };
};

/**
 * GitHub's rule for a secondary rate limit answered without `retry-after`
 * (REST API "Rate limits", "Exceeding the rate limit"): "wait for at least
 * one minute before retrying". It is also plugin-throttling's
 * `fallbackSecondaryRateRetryAfter`.
 */
export const SECONDARY_RATE_LIMIT_FALLBACK_SECONDS = 60;

/** "14:05 UTC (in 52 minutes)": when a wait of `ms` from now ends. */
function whenFromNow(ms: number): string {
  const clock = new Date(Date.now() + ms).toISOString().slice(11, 16);
  const seconds = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.round(seconds / 60);
  let inWords;
  if (seconds < 90) {
    inWords = `${seconds} second${seconds === 1 ? '' : 's'}`;
  } else if (minutes < 90) {
    inWords = `${minutes} minutes`;
  } else {
    inWords = `${Math.round(minutes / 60)} hours`;
  }
  return `${clock} UTC (in ${inWords})`;
}

/**
 * Reads an Octokit error without ever passing on its `request` (with the
 * authorization header) or its raw body; only GitHub's `message` field,
 * which GitHub writes for people, survives. A rate limit says when to try
 * again, by GitHub's rules: after `retry-after` seconds if sent; after
 * `x-ratelimit-reset` if `x-ratelimit-remaining` is 0; otherwise after a
 * minute at least.
 *
 * @public
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
  // The status GitHub sent: `createGithubClient` shows plugin-throttling a
  // 429 as a 403 (see `throttlingReads429`), the response keeps the truth.
  const status = e.response.status ?? e.status;
  const headers = e.response.headers ?? {};
  const data = e.response.data as { message?: unknown } | undefined;
  const githubMessage =
    typeof data?.message === 'string' ? data.message : 'no message';
  const primaryLimit =
    (status === 403 || status === 429) &&
    headers['x-ratelimit-remaining'] === '0' &&
    headers['x-ratelimit-reset'] !== undefined;
  const rateLimited =
    status === 429 ||
    (status === 403 &&
      (primaryLimit ||
        headers['retry-after'] !== undefined ||
        /rate limit|abuse detection/i.test(githubMessage)));
  const retryAfter = Number(headers['retry-after']);
  let retryAfterMs: number | undefined;
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter)) {
    retryAfterMs = retryAfter * 1000;
  } else if (primaryLimit) {
    retryAfterMs = Math.max(
      0,
      Number(headers['x-ratelimit-reset']) * 1000 - Date.now(),
    );
  } else if (rateLimited) {
    retryAfterMs = SECONDARY_RATE_LIMIT_FALLBACK_SECONDS * 1000;
  }
  let message = `GitHub answered ${status}: ${githubMessage}`;
  if (primaryLimit) {
    message = `GitHub's rate limit for this token is used up until ${whenFromNow(
      retryAfterMs!,
    )}; try again then`;
  } else if (rateLimited) {
    message = `GitHub's secondary rate limit refused the call (${message.replace(
      /\.$/,
      '',
    )}); try again after ${whenFromNow(retryAfterMs!)}`;
  }
  return {
    status,
    transient: rateLimited || (status ?? 0) >= 500,
    rateLimited,
    retryAfterMs,
    tokenScopes:
      headers['x-oauth-scopes'] !== undefined
        ? headers['x-oauth-scopes']
            .split(',')
            .map(s => s.trim())
            .filter(Boolean)
        : undefined,
    message,
  };
}

/** @public */
export function isGithubStatus(error: unknown, status: number): boolean {
  return (
    (error as OctokitLikeError)?.status === status &&
    Boolean((error as OctokitLikeError).response)
  );
}

/**
 * How the GitHub client waits and tries again. Waits are in seconds, as
 * GitHub gives them; the defaults follow GitHub's documented rules (REST
 * API "Rate limits" and "Best practices").
 *
 * @public
 */
export interface GithubRequestPolicy {
  /** The bound on one request; no answer by then is an unclear outcome. Default 30 s. */
  requestTimeoutMs?: number;
  /**
   * How often plugin-retry sends a call that is safe to repeat again after
   * a 5xx or no answer, waiting 1, 4, 9… s. Default 3, plugin-retry's own.
   * Creating a repository is never re-sent this way.
   */
  serverErrorRetries?: number;
  /**
   * The longest the client waits out one rate limit, in seconds. A primary
   * limit that resets later, or a secondary limit asking for more, fails
   * the call at once with a message that says when to try again. Default 120.
   */
  maxRateLimitWaitSeconds?: number;
  /**
   * How often a call is sent again after secondary rate limits, each wait
   * twice the one before ("wait for an exponentially increasing amount of
   * time between retries, and throw an error after a specific number of
   * retries"). Default 2.
   */
  secondaryRateLimitRetries?: number;
  /**
   * The wait after a secondary rate limit answered without `retry-after`:
   * "wait for at least one minute". Default 60.
   */
  secondaryRateLimitFallbackSeconds?: number;
  /**
   * Milliseconds in a second of every wait, as both plugins'
   * `retryAfterBaseValue`: 1000. Tests shorten every wait with it.
   */
  retryAfterBaseValue?: number;
  /**
   * A second between writes (`POST`, `PATCH`, `PUT`, `DELETE`) with one
   * token, as plugin-throttling does by default and GitHub asks ("Pause
   * between mutative requests"). Default true; false only in tests.
   */
  paceWrites?: boolean;
}

/**
 * The policy's defaults; where each comes from is on its field.
 *
 * @public
 */
export const DEFAULT_GITHUB_REQUEST_POLICY: Required<GithubRequestPolicy> = {
  requestTimeoutMs: 30_000,
  serverErrorRetries: 3,
  maxRateLimitWaitSeconds: 120,
  secondaryRateLimitRetries: 2,
  secondaryRateLimitFallbackSeconds: SECONDARY_RATE_LIMIT_FALLBACK_SECONDS,
  retryAfterBaseValue: 1000,
  paceWrites: true,
};

/**
 * The policy an operator sets under `platform.github`: how long a rate
 * limit may be waited out, how often a secondary limit is tried again, and
 * whether writes are paced (GitHub Enterprise Server may run without limits).
 *
 * @public
 */
export function readGithubRequestPolicy(config: Config): GithubRequestPolicy {
  const github = config.getOptionalConfig('platform.github');
  const maxWait = github?.has('maxRateLimitWait')
    ? durationToMilliseconds(
        readDurationFromConfig(github, { key: 'maxRateLimitWait' }),
      ) / 1000
    : undefined;
  return {
    maxRateLimitWaitSeconds: maxWait,
    secondaryRateLimitRetries: github?.getOptionalNumber(
      'secondaryRateLimitRetries',
    ),
    paceWrites: github?.getOptionalBoolean('paceWrites'),
  };
}

/** The policy with a default for every field the caller left out. */
export function resolveGithubRequestPolicy(
  policy: GithubRequestPolicy,
): Required<GithubRequestPolicy> {
  const resolved = { ...DEFAULT_GITHUB_REQUEST_POLICY };
  for (const key of Object.keys(resolved) as (keyof GithubRequestPolicy)[]) {
    if (policy[key] !== undefined) {
      (resolved as Record<string, unknown>)[key] = policy[key];
    }
  }
  return resolved;
}

/**
 * Once the quota is back after `x-ratelimit-reset`, a second primary limit
 * means someone else spends it: the call fails rather than wait again.
 */
const PRIMARY_RATE_LIMIT_RETRIES = 1;

/**
 * plugin-throttling 8 reads only 403 answers as rate limits, while GitHub
 * answers 403 or 429 to both kinds; plugin-retry would then repeat a 429
 * after 1, 4 and 9 s, the very thing GitHub warns against. Version 9.3.2
 * reads 429 too (octokit/plugin-throttling.js#740) but needs
 * @octokit/core 6. Until then this plugin, innermost, shows the others a
 * 429 as a 403; the response keeps GitHub's status for our messages.
 */
function throttlingReads429(octokit: Pick<Octokit, 'hook'>) {
  octokit.hook.error('request', error => {
    if ((error as OctokitLikeError).status === 429) {
      (error as OctokitLikeError).status = 403;
    }
    throw error;
  });
}

const GithubOctokit = Octokit.plugin(throttlingReads429, retry, throttling);

/** A Bottleneck group that never waits: what `paceWrites: false` gives plugin-throttling. */
const UNPACED = {
  key: () => ({
    schedule: (_options: unknown, job: () => Promise<unknown>) => job(),
  }),
} as unknown as NonNullable<ThrottlingOptions['write']>;

/**
 * `result`, or the signal's reason as soon as the signal aborts. Waits the
 * plugins schedule themselves (plugin-retry's backoff, write pacing) do not
 * know the signal; what they run afterwards fails at once, since every
 * request carries the signal.
 */
function untilAborted<T>(
  result: T | Promise<T>,
  signal: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(
        signal.reason instanceof Error
          ? signal.reason
          : new DOMException('The run was cancelled', 'AbortError'),
      );
    if (signal.aborted) {
      onAbort();
    }
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(result)
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Where a client is for, with what credentials, and its request policy.
 *
 * @public
 */
export type GithubClientOptions = GithubRequestPolicy & {
  integrations: ScmIntegrationRegistry;
  credentialsProvider: GithubCredentialsProvider;
  host: string;
  owner: string;
  repo: string;
  signal?: AbortSignal;
};

/**
 * An Octokit for one repository's host, with the token the integration
 * config or GitHub App gives for it and the host's `apiBaseUrl` (GitHub
 * Enterprise, or the loopback test server). It sends every call through
 * plugin-retry (5xx and no answer, for calls not marked `retries: 0`) and
 * plugin-throttling (rate limits, a second between writes), as `policy`
 * bounds them, with a timeout on every request; the run's cancellation
 * signal ends any call at once, waits included. Errors stay Octokit's:
 * pass them through `describeGithubFailure`.
 *
 * @public
 */
export async function createGithubClient(
  options: GithubClientOptions,
): Promise<Octokit> {
  const { integrations, credentialsProvider, host, owner, repo, signal } =
    options;
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
  const policy = resolveGithubRequestPolicy(options);
  // The limit handlers wait themselves, so that the wait ends with the run;
  // plugin-throttling then sends the call again at once.
  const waitOut = (seconds: number) =>
    delay(seconds * policy.retryAfterBaseValue, undefined, { signal }).then(
      () => true,
      () => false,
    );
  const client = new GithubOctokit({
    auth: token,
    baseUrl: integration.config.apiBaseUrl,
    request: {
      fetch: (url: string, init: RequestInit) =>
        fetch(url, {
          ...init,
          signal: AbortSignal.any([
            AbortSignal.timeout(policy.requestTimeoutMs),
            ...(signal ? [signal] : []),
          ]),
        }),
    },
    retry: {
      retries: policy.serverErrorRetries,
      retryAfterBaseValue: policy.retryAfterBaseValue,
    },
    throttle: {
      // Writes are paced per id: one for each GitHub host, whose
      // integration usually acts as one identity.
      id: host,
      fallbackSecondaryRateRetryAfter: policy.secondaryRateLimitFallbackSeconds,
      retryAfterBaseValue: 0,
      ...(policy.paceWrites ? {} : { write: UNPACED, notifications: UNPACED }),
      // `retryAfter`: seconds until `x-ratelimit-reset`, plus one; 0 when
      // GitHub sent no reset, and then a minute at least.
      onRateLimit: (
        retryAfter: number,
        _o: unknown,
        _k: unknown,
        n: number,
      ) => {
        const seconds =
          retryAfter > 0
            ? retryAfter
            : policy.secondaryRateLimitFallbackSeconds;
        return (
          n < PRIMARY_RATE_LIMIT_RETRIES &&
          seconds <= policy.maxRateLimitWaitSeconds &&
          !signal?.aborted &&
          waitOut(seconds)
        );
      },
      // `retryAfter`: GitHub's `retry-after`, or the fallback without one.
      onSecondaryRateLimit: (
        retryAfter: number,
        _o: unknown,
        _k: unknown,
        n: number,
      ) => {
        const seconds = retryAfter * 2 ** n;
        return (
          n < policy.secondaryRateLimitRetries &&
          seconds <= policy.maxRateLimitWaitSeconds &&
          !signal?.aborted &&
          waitOut(seconds)
        );
      },
    },
    // Octokit logs failed requests with their details; we report our own.
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  if (signal) {
    // Registered last, so it wraps the plugins and their waits.
    client.hook.wrap('request', (request, endpoint) =>
      untilAborted(request(endpoint), signal),
    );
  }
  return client;
}
