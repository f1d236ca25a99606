import { CatalogApi, CatalogClient } from '@backstage/catalog-client';
import { ResponseError, toError } from '@backstage/errors';
import { readCredentials } from './credentials';

/** A failed catalog request in one sentence that says what to do about it. */
function describeFailure(error: unknown, url: string): Error {
  if (ResponseError.is(error)) {
    const answer = `${error.statusCode} ${error.statusText}: ${error.cause.message}`;
    if (error.statusCode === 401) {
      return new Error(
        `The backend at ${url} did not accept the token (${answer}); run platform login --url URL --token TOKEN, or set PLATFORM_TOKEN`,
      );
    }
    return new Error(`The catalog at ${url} answered ${answer}`);
  }
  const failure = toError(error);
  // Node's fetch puts the reason (ECONNREFUSED, ENOTFOUND) in the cause.
  if (failure.name === 'TypeError' && failure.cause !== undefined) {
    const cause = toError(failure.cause);
    const reason = 'code' in cause ? String(cause.code) : cause.message;
    return new Error(`Cannot reach the backend at ${url} (${reason})`);
  }
  return failure;
}

/**
 * Runs catalog requests against the backend from the credentials, sending the
 * token with each, and turns their failures into one sentence.
 */
export async function withCatalog<T>(
  use: (catalog: CatalogApi, token: string | undefined) => Promise<T>,
): Promise<T> {
  const { url, token } = await readCredentials();
  const catalog = new CatalogClient({
    discoveryApi: { getBaseUrl: async pluginId => `${url}/api/${pluginId}` },
    fetchApi: { fetch },
  });
  try {
    return await use(catalog, token);
  } catch (error) {
    throw describeFailure(error, url);
  }
}
