import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  DependencySummary,
  DependentsPage,
  PlatformRun,
  PlatformRunOwnerFilter,
  PlatformRunPage,
} from '@internal/plugin-platform-common';

/**
 * A system a new service's name must be free in.
 *
 * @public
 */
export type ServiceNameSystem = 'name' | 'catalog' | 'github' | 'kubernetes';

/**
 * Whether a service name is valid (`name`) and free in each system, as the
 * user asking sees them. When the `name` check fails, no other system is
 * asked.
 *
 * @public
 */
export interface ServiceNameCheck {
  name: string;
  checks: Array<{
    system: ServiceNameSystem;
    free: boolean;
    /**
     * Why it is not free: `invalid` input, a name already `taken`, the user
     * is `denied`, or the system could not be asked (`unchecked`).
     */
    kind?: 'invalid' | 'taken' | 'denied' | 'unchecked';
    message?: string;
  }>;
}

/**
 * What a service name is checked against, besides the name itself.
 *
 * @public
 */
export interface ServiceNameCheckRequest {
  name: string;
  /** The GitHub organisation of the repository; without it, GitHub is not asked. */
  githubOwner?: string;
  /** The GitHub host; the backend's default is github.com. */
  githubHost?: string;
  /** The cluster of the namespace; the backend's default cluster without it. */
  cluster?: string;
}

/**
 * Reads what the platform's scaffolder actions recorded, and what its
 * catalog module computes of the catalog.
 *
 * @public
 */
export interface PlatformApi {
  /**
   * One page of the runs the user may read, newest first; `template` is a
   * template's ref or, in the default namespace, its name, and a `cursor`
   * from an earlier page carries the filters.
   */
  listRuns(query?: {
    whose?: PlatformRunOwnerFilter;
    status?: string;
    template?: string;
    limit?: number;
    cursor?: string;
  }): Promise<PlatformRunPage>;
  /**
   * One task's run, or `undefined` when the task has recorded no resource
   * (yet): no platform action of it has started creating anything.
   */
  getRun(taskId: string): Promise<PlatformRun | undefined>;
  /**
   * Whether a new service's name is valid and free in the catalog, on
   * GitHub and on the cluster. Only reads.
   */
  checkServiceName(request: ServiceNameCheckRequest): Promise<ServiceNameCheck>;
  /**
   * An entity's dependencies, first page of dependents, risky edges and
   * blast radius, computed by the catalog as the user may read it.
   */
  getDependencies(entityRef: string): Promise<DependencySummary>;
  /** The page of an entity's dependents that `cursor` (a `nextCursor`) asks for. */
  getDependents(entityRef: string, cursor: string): Promise<DependentsPage>;
}

/** @public */
export const platformApiRef = createApiRef<PlatformApi>({
  id: 'plugin.platform.api',
});
