import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { PlatformRun } from '@internal/plugin-platform-common';
import { PlatformApi } from './PlatformApi';

/**
 * Talks to the platform routes that the scaffolder backend module mounts
 * under the scaffolder plugin (`/api/scaffolder/platform/...`).
 */
export class PlatformClient implements PlatformApi {
  readonly #discoveryApi: DiscoveryApi;
  readonly #fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.#discoveryApi = options.discoveryApi;
    this.#fetchApi = options.fetchApi;
  }

  async listRuns(): Promise<PlatformRun[]> {
    const baseUrl = await this.#discoveryApi.getBaseUrl('scaffolder');
    const response = await this.#fetchApi.fetch(`${baseUrl}/platform/runs`);
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    const body: { runs: PlatformRun[] } = await response.json();
    return body.runs;
  }
}
