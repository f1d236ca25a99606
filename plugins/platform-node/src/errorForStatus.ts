import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';

/**
 * The `@backstage/errors` class a remote API's HTTP status stands for, with
 * the message a user reads: a refusal of the input, of the caller, of a
 * missing or a taken thing; anything else (5xx, no answer) a plain error.
 *
 * @public
 */
export function errorForStatus(
  status: number | undefined,
  message: string,
): Error {
  switch (status) {
    case 400:
    case 422:
      return new InputError(message);
    case 401:
    case 403:
      return new NotAllowedError(message);
    case 404:
      return new NotFoundError(message);
    case 409:
      return new ConflictError(message);
    default:
      return new Error(message);
  }
}
