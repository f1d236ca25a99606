import { CatalogApi, CatalogClient } from '@backstage/catalog-client';
import { ResponseError } from '@backstage/errors';
import { tokenRefused, unreachable } from './backend';
import { readCredentials } from './credentials';

/** A failed catalog request in one sentence that says what to do about it. */
function describeFailure(error: unknown, url: string): Error {
  if (ResponseError.is(error)) {
    const answer = `${error.statusCode} ${error.statusText}: ${error.cause.message}`;
    if (error.statusCode === 401) {
      return tokenRefused(url, answer);
    }
    return new Error(`The catalog at ${url} answered ${answer}`);
  }
  return unreachable(error, url);
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
