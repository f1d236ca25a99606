import { InputError } from '@backstage/errors';
import { decodeJwt } from 'jose';

/**
 * The user a Backstage user token belongs to: the `sub` of the token, which
 * the auth backend sets to the user's entity ref. The token is only read,
 * not verified: the backend verifies it on every request, and what this
 * returns only narrows a list the backend has already filtered.
 */
export function userOfToken(token: string | undefined): string {
  let subject: unknown;
  try {
    subject = token ? decodeJwt(token).sub : undefined;
  } catch {
    subject = undefined;
  }
  if (typeof subject !== 'string' || !subject.startsWith('user:')) {
    throw new InputError(
      'The token is not a Backstage user token, so it names no user for --mine; use --created-by USER',
    );
  }
  return subject;
}
