import { ResponseError, toError } from '@backstage/errors';
import { errorForStatus } from '@internal/plugin-platform-node';

/**
 * What a failed catalog call means, without the raw error: a
 * `ResponseError` carries the whole HTTP response, so only the status and
 * the catalog's own messages are kept.
 */
export interface CatalogFailure {
  /** HTTP status; undefined when no answer came back. */
  status?: number;
  /**
   * The catalog's messages, one per problem: its dry run joins the errors
   * of every processor as `InputError: …, NotFoundError: …`.
   */
  messages: string[];
  /** The messages as one sentence. */
  message: string;
  /** No answer, 5xx or 429: worth trying again, and a write's outcome is unknown. */
  transient: boolean;
}

/** The status an error of `@backstage/errors` stands for, as the catalog's router maps them. */
const STATUS_BY_NAME: Record<string, number> = {
  InputError: 400,
  AuthenticationError: 401,
  NotAllowedError: 403,
  NotFoundError: 404,
  ConflictError: 409,
  NotImplementedError: 501,
  ServiceUnavailableError: 503,
};

const ERROR_PREFIX = /^[A-Z][A-Za-z]*Error: /;

function splitMessages(text: string): string[] {
  const messages = text
    .split(/, (?=[A-Z][A-Za-z]*Error: )/)
    .map(m => m.replace(ERROR_PREFIX, '').trim())
    .filter(Boolean);
  return [...new Set(messages)];
}

export function describeCatalogFailure(error: unknown): CatalogFailure {
  let status: number | undefined;
  let text: string;
  if (ResponseError.is(error)) {
    status = error.statusCode;
    text = error.cause.message || `the catalog answered HTTP ${status}`;
  } else {
    const e = toError(error);
    status = STATUS_BY_NAME[e.name];
    const code = (e as { cause?: { code?: unknown } }).cause?.code;
    text =
      status === undefined
        ? `the catalog did not answer (${
            typeof code === 'string' ? code : e.message
          })`
        : e.message;
  }
  const messages = splitMessages(text);
  return {
    status,
    messages,
    message: messages.join('; ') || text,
    transient: status === undefined || status >= 500 || status === 429,
  };
}

/**
 * The error for a catalog call that failed, of the `@backstage/errors`
 * class its status stands for, saying what was being done in words.
 */
export function catalogError(error: unknown, doing: string): Error {
  const failure = describeCatalogFailure(error);
  return errorForStatus(
    failure.status,
    `Could not ${doing}: ${failure.message}`,
  );
}
