import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { PlatformRun } from '@internal/plugin-platform-common';
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

  async listRuns(): Promise<PlatformRun[]> {
    const response = await this.#get('/platform/runs');
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    const body: { runs: PlatformRun[] } = await response.json();
    return body.runs;
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
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options)) {
      if (value) {
        query.set(key, value);
      }
    }
    const search = query.toString();
    const response = await this.#get(
      `/platform/service-names/${encodeURIComponent(name)}${
        search ? `?${search}` : ''
      }`,
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
