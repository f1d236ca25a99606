import { toError } from '@backstage/errors';
import { readCredentials } from './credentials';

/**
 * A request the backend answered with an error status. The message is the
 * backend's own sentence, which the platform words for the person reading
 * it ("Namespace x already exists on cluster local; choose another name").
 */
export class BackendError extends Error {
  readonly statusCode: number;

  constructor(message: string, statusCode: number) {
    super(message);
    this.name = 'BackendError';
    this.statusCode = statusCode;
  }
}

/** What to say when the backend refuses the token, whichever client asked. */
export function tokenRefused(url: string, answer: string): Error {
  return new Error(
    `The backend at ${url} did not accept the token (${answer}); run platform login --url URL --token TOKEN, or set PLATFORM_TOKEN`,
  );
}

/**
 * A request that got no answer, in one sentence. Node's fetch puts the
 * reason (ECONNREFUSED, ENOTFOUND) in the cause of a TypeError; anything
 * else is returned as it is.
 */
export function unreachable(error: unknown, url: string): Error {
  const failure = toError(error);
  if (failure.name === 'TypeError' && failure.cause !== undefined) {
    const cause = toError(failure.cause);
    const reason = 'code' in cause ? String(cause.code) : cause.message;
    return new Error(`Cannot reach the backend at ${url} (${reason})`);
  }
  return failure;
}

interface ValidationError {
  property?: string;
  message?: string;
}

/**
 * The scaffolder answers values that do not fit a template's parameters
 * with jsonschema's errors instead of Backstage's error body; each becomes
 * `service_name does not match pattern …`.
 */
function describeValidationErrors(errors: ValidationError[]): string {
  const problems = errors.map(({ property, message }) => {
    const field = (property ?? '').replace(/^instance\.?/, '');
    return field ? `${field} ${message}` : String(message);
  });
  return `The template does not accept these values: ${problems.join('; ')}`;
}

async function failureOf(response: Response, url: string): Promise<Error> {
  const text = await response.text();
  let body: { error?: { message?: string }; errors?: ValidationError[] } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the status and the text are all there is.
  }
  const answer = `${response.status} ${response.statusText}`;
  const message =
    body.error?.message ??
    (Array.isArray(body.errors)
      ? describeValidationErrors(body.errors)
      : undefined) ??
    (text.trim() || answer);
  if (response.status === 401) {
    return tokenRefused(url, `${answer}: ${message}`);
  }
  return new BackendError(message, response.status);
}

export interface BackendRequest {
  method?: 'GET' | 'POST';
  /** Repeated for an array; left out when undefined. */
  query?: Record<string, string | number | string[] | undefined>;
  body?: unknown;
}

/**
 * The backend the credentials name, over plain HTTP: the scaffolder's task
 * API, the platform's runs API and the actions registry, with the token on
 * every request and every failure in one sentence.
 */
export class PlatformBackend {
  private constructor(
    readonly url: string,
    readonly token: string | undefined,
  ) {}

  static async connect(): Promise<PlatformBackend> {
    const { url, token } = await readCredentials();
    return new PlatformBackend(url, token);
  }

  /** `path` starts after the backend's URL, e.g. `/api/scaffolder/v2/tasks`. */
  async request<T>(path: string, request: BackendRequest = {}): Promise<T> {
    const target = new URL(`${this.url}${path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      for (const item of [value ?? []].flat()) {
        target.searchParams.append(key, String(item));
      }
    }
    let response: Response;
    try {
      response = await fetch(target, {
        method: request.method ?? 'GET',
        headers: {
          ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
          ...(request.body === undefined
            ? {}
            : { 'Content-Type': 'application/json' }),
        },
        body:
          request.body === undefined ? undefined : JSON.stringify(request.body),
      });
    } catch (error) {
      throw unreachable(error, this.url);
    }
    if (!response.ok) {
      throw await failureOf(response, this.url);
    }
    return (await response.json()) as T;
  }
}
