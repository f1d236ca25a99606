import { createApiRef } from '@backstage/frontend-plugin-api';
import { PlatformRun } from '@internal/plugin-platform-common';

/** Reads what the platform's scaffolder actions recorded. */
export interface PlatformApi {
  /** The runs that used platform actions, newest first. */
  listRuns(): Promise<PlatformRun[]>;
  /**
   * One task's run, or `undefined` when the task has recorded no resource
   * (yet): no platform action of it has started creating anything.
   */
  getRun(taskId: string): Promise<PlatformRun | undefined>;
}

export const platformApiRef = createApiRef<PlatformApi>({
  id: 'plugin.platform.api',
});
