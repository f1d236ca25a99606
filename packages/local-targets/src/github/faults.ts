import { Request, RequestHandler, Response } from 'express';
import {
  checkFaultOptions,
  FaultBook,
  FaultStep,
  holdRequest,
  InvalidFaultError,
  onlyDelays,
} from '../faults';
import { rateLimited, sendGithubError } from './errors';

export interface GithubFaultOptions {
  /**
   * Only the writes of this golden-path step: `repo`, every POST, PUT and
   * PATCH (the repository, its topics and team access, the first commit),
   * never a read or the rollback's DELETE.
   */
  step?: FaultStep;
  /**
   * What the failing requests get: a status (default 502), `rate-limit`
   * (the primary limit: `x-ratelimit-remaining: 0` and `x-ratelimit-reset`),
   * `secondary-rate-limit` (with `retry-after` only when
   * `retryAfterSeconds` is given), both 403 or, with `status: 429`, 429; or
   * `timeout` (no answer until the client gives up).
   */
  kind?: 'status' | 'rate-limit' | 'secondary-rate-limit' | 'timeout';
  status?: number;
  /** The `retry-after` header, in seconds; none unless given. */
  retryAfterSeconds?: number;
  /**
   * For `rate-limit`: how far away `x-ratelimit-reset` is, in seconds.
   * Default 3600, a fresh hour's window.
   */
  resetInSeconds?: number;
  method?: string;
  /** Only requests whose path contains this. */
  pathIncludes?: string;
  /** Only requests to exactly this path, e.g. `/user` but not `/users/x`. */
  path?: string;
  /**
   * Carry out the request, then fail anyway: the client cannot tell whether
   * the change happened (a create that timed out or answered 5xx).
   */
  afterCommit?: boolean;
  /**
   * GitHub's `message` in the failing answer, for a message that echoes
   * something back (a token, a header) the way some GitHub errors do.
   */
  message?: string;
  /**
   * Hold each matching request this long first. Alone, without a field
   * that shapes a failure, the request is then answered as usual.
   */
  delayMs?: number;
}

const FIELDS = {
  step: 'string',
  kind: 'string',
  status: 'number',
  retryAfterSeconds: 'number',
  resetInSeconds: 'number',
  method: 'string',
  pathIncludes: 'string',
  path: 'string',
  afterCommit: 'boolean',
  message: 'string',
  delayMs: 'number',
} as const;

const KINDS = ['status', 'rate-limit', 'secondary-rate-limit', 'timeout'];

const FAILURE_FIELDS = [
  'kind',
  'status',
  'retryAfterSeconds',
  'resetInSeconds',
  'afterCommit',
  'message',
];

const STEP_METHODS = ['POST', 'PUT', 'PATCH'];

export function checkGithubFault(options: GithubFaultOptions): void {
  checkFaultOptions(options, { target: 'github', fields: FIELDS });
  if (options.kind !== undefined && !KINDS.includes(options.kind)) {
    throw new InvalidFaultError(
      `A github fault's kind is one of ${KINDS.join(', ')}, not ${
        options.kind
      }`,
    );
  }
}

function matches(fault: GithubFaultOptions, req: Request): boolean {
  return (
    (!fault.step || STEP_METHODS.includes(req.method)) &&
    (!fault.method || fault.method.toUpperCase() === req.method) &&
    (!fault.pathIncludes || req.path.includes(fault.pathIncludes)) &&
    (!fault.path || req.path === fault.path)
  );
}

function fail(fault: GithubFaultOptions, res: Response) {
  const kind = fault.kind ?? 'status';
  if (kind === 'timeout') {
    // Never answer: the client's own timeout decides.
    return;
  }
  if (kind === 'rate-limit' || kind === 'secondary-rate-limit') {
    rateLimited(res, {
      status: fault.status === 429 ? 429 : 403,
      retryAfterSeconds: fault.retryAfterSeconds,
      resetInSeconds: fault.resetInSeconds,
      secondary: kind === 'secondary-rate-limit',
    });
    return;
  }
  const status = fault.status ?? 502;
  if (fault.retryAfterSeconds !== undefined) {
    res.setHeader('retry-after', String(fault.retryAfterSeconds));
  }
  sendGithubError(
    res,
    status,
    fault.message ?? (status >= 500 ? 'Server Error' : 'Failed'),
  );
}

/** Delays or fails the requests that armed faults match, before or after the handler. */
export function githubFaultInjection(
  faults: FaultBook<GithubFaultOptions>,
): RequestHandler {
  return async (req, res, next) => {
    const fault = faults.take(f => matches(f, req));
    if (!fault) {
      next();
      return;
    }
    if (
      fault.delayMs !== undefined &&
      !(await holdRequest(res, fault.delayMs))
    ) {
      return;
    }
    if (onlyDelays(fault, FAILURE_FIELDS)) {
      next();
      return;
    }
    if (!fault.afterCommit) {
      fail(fault, res);
      return;
    }
    // Let the handler do its work, swallow its answer and fail instead.
    const real = { json: res.json, send: res.send, end: res.end };
    const failInstead = () => {
      Object.assign(res, real);
      fail(fault, res);
      return res;
    };
    res.json = failInstead as typeof res.json;
    res.send = failInstead as typeof res.send;
    res.end = failInstead as typeof res.end;
    next();
  };
}
