import { Response } from 'express';

const DOCS = 'https://docs.github.com/rest';

/** A GitHub REST error body: `message`, `documentation_url`, `status` as a string, sometimes `errors`. */
export function sendGithubError(
  res: Response,
  status: number,
  message: string,
  extra?: { errors?: object[]; documentationPath?: string },
): void {
  res.status(status).json({
    message,
    ...(extra?.errors ? { errors: extra.errors } : {}),
    documentation_url: `${DOCS}${extra?.documentationPath ?? ''}`,
    status: String(status),
  });
}

export function notFound(res: Response): void {
  sendGithubError(res, 404, 'Not Found');
}

export function badCredentials(res: Response): void {
  sendGithubError(res, 401, 'Bad credentials');
}

export function nameAlreadyExists(res: Response): void {
  sendGithubError(res, 422, 'Repository creation failed.', {
    errors: [
      {
        resource: 'Repository',
        code: 'custom',
        field: 'name',
        message: 'name already exists on this account',
      },
    ],
    documentationPath: '/repos/repos#create-an-organization-repository',
  });
}

export function validationFailed(res: Response, field: string): void {
  sendGithubError(res, 422, 'Validation Failed', {
    errors: [{ resource: 'Repository', code: 'invalid', field }],
  });
}

export function emptyRepository(res: Response): void {
  sendGithubError(res, 409, 'Git Repository is empty.', {
    documentationPath: '/git/blobs#create-a-blob',
  });
}

export function adminRightsRequired(res: Response): void {
  sendGithubError(res, 403, 'Must have admin rights to Repository.', {
    documentationPath: '/repos/repos#delete-a-repository',
  });
}

/**
 * A rate limit, answered as GitHub documents it (REST API "Rate limits",
 * "Exceeding the rate limit"): the primary limit with 403 or 429 and
 * `x-ratelimit-remaining: 0` plus `x-ratelimit-reset` (UTC epoch seconds)
 * and no `retry-after`; a secondary limit with 403 or 429, a message that
 * says so, quota left on the primary limit, and `retry-after` only
 * sometimes.
 */
export function rateLimited(
  res: Response,
  options: {
    status: 403 | 429;
    secondary: boolean;
    retryAfterSeconds?: number;
    resetInSeconds?: number;
  },
): void {
  if (options.retryAfterSeconds !== undefined) {
    res.setHeader('retry-after', String(options.retryAfterSeconds));
  }
  const limit = 5000;
  const used = options.secondary ? 1 : limit;
  res.setHeader('x-ratelimit-limit', String(limit));
  res.setHeader('x-ratelimit-remaining', String(limit - used));
  res.setHeader('x-ratelimit-used', String(used));
  res.setHeader('x-ratelimit-resource', 'core');
  res.setHeader(
    'x-ratelimit-reset',
    String(Math.ceil(Date.now() / 1000) + (options.resetInSeconds ?? 3600)),
  );
  sendGithubError(
    res,
    options.status,
    options.secondary
      ? 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'
      : 'API rate limit exceeded for user ID 1.',
    {
      documentationPath: options.secondary
        ? '/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits'
        : '/overview/rate-limits-for-the-rest-api#about-primary-rate-limits',
    },
  );
}
