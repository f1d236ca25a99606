import { createApiRef } from '@backstage/frontend-plugin-api';
import { PlatformRun } from '@internal/plugin-platform-common';

/** Reads what the platform's scaffolder actions recorded. */
export interface PlatformApi {
  /** The runs that used platform actions, newest first. */
  listRuns(): Promise<PlatformRun[]>;
}

export const platformApiRef = createApiRef<PlatformApi>({
  id: 'plugin.platform.api',
});
