import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { PlatformRun, PlatformRunPage } from '@internal/plugin-platform-common';
import {
  PlatformApi,
  ServiceNameCheck,
  ServiceNameCheckRequest,
} from './PlatformApi';

/**
 * Talks to the platform routes that the scaffolder backend module mounts
 * under the scaffolder plugin (`/api/scaffolder/platform/...`).
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
    const response = await this.#get(`/platform/runs${queryString(query)}`);
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return await response.json();
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
    const response = await this.#get(
      `/platform/service-names/${encodeURIComponent(name)}${queryString(
        options,
      )}`,
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return await response.json();
  }

  async #get(path: string): Promise<Response> {
    const baseUrl = await this.#discoveryApi.getBaseUrl('scaffolder');
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
