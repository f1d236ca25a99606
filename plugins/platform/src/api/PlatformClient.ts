import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  DependencySummary,
  DependentsPage,
  PlatformRun,
  PlatformRunPage,
} from '@internal/plugin-platform-common';
import {
  PlatformApi,
  ServiceNameCheck,
  ServiceNameCheckRequest,
} from './PlatformApi';

/**
 * Talks to the platform routes that the backend modules mount under the
 * scaffolder plugin (`/api/scaffolder/platform/...`) and the catalog plugin
 * (`/api/catalog/platform/...`).
 *
 * @public
 */
export class PlatformClient implements PlatformApi {
  readonly #discoveryApi: DiscoveryApi;
  readonly #fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.#discoveryApi = options.discoveryApi;
    this.#fetchApi = options.fetchApi;
  }

  async listRuns(
    query: Parameters<PlatformApi['listRuns']>[0] = {},
  ): Promise<PlatformRunPage> {
    return await this.#getJson(
      'scaffolder',
      `/platform/runs${queryString(query)}`,
    );
  }

  async getRun(taskId: string): Promise<PlatformRun | undefined> {
    const response = await this.#get(
      `/platform/runs/${encodeURIComponent(taskId)}`,
    );
    // The backend answers 404 both for a task that journaled nothing and for
    // a run the user may not see; either way there is nothing to show.
    if (response.status === 404) {
      return undefined;
    }
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return await response.json();
  }

  async checkServiceName(
    request: ServiceNameCheckRequest,
  ): Promise<ServiceNameCheck> {
    const { name, ...options } = request;
    return await this.#getJson(
      'scaffolder',
      `/platform/service-names/${encodeURIComponent(name)}${queryString(
        options,
      )}`,
    );
  }

  async getDependencies(entityRef: string): Promise<DependencySummary> {
    return await this.#getJson(
      'catalog',
      `/platform/dependencies${queryString({ entityRef })}`,
    );
  }

  async getDependents(
    entityRef: string,
    cursor: string,
  ): Promise<DependentsPage> {
    return await this.#getJson(
      'catalog',
      `/platform/dependents${queryString({ entityRef, cursor })}`,
    );
  }

  async #getJson<T>(pluginId: string, path: string): Promise<T> {
    const response = await this.#get(path, pluginId);
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return await response.json();
  }

  async #get(path: string, pluginId = 'scaffolder'): Promise<Response> {
    const baseUrl = await this.#discoveryApi.getBaseUrl(pluginId);
    return await this.#fetchApi.fetch(`${baseUrl}${path}`);
  }
}

/** `?key=value&…` of the values that are set, or nothing. */
function queryString(values: Record<string, string | number | undefined>) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== '') {
      query.set(key, String(value));
    }
  }
  const search = query.toString();
  return search ? `?${search}` : '';
}
