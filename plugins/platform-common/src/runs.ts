/**
 * Where a resource created by a platform action stands. `pending` is the
 * intent recorded before the side effect; `created` once the action saw it
 * succeed; `kept` when the template asked to keep it (`rollback: false`).
 *
 * @public
 */
export type PlatformResourceState =
  | 'pending'
  | 'created'
  | 'kept'
  | 'rolling_back'
  | 'rolled_back'
  | 'rollback_failed';

/**
 * One resource a scaffolder run created, as the rollback journal keeps it.
 *
 * @public
 */
export interface PlatformResource {
  id: string;
  taskId: string;
  stepId: string;
  /** For example `github:repository` or `kubernetes:namespace`. */
  kind: string;
  /** Stable identity, for example `acme/payments` or `prod/ns/payments`. */
  identity: string;
  /** A link a person can open, where there is one. */
  url?: string;
  state: PlatformResourceState;
  /**
   * In words, never a raw API error: why a rollback failed, or what the
   * rollback of a rolled back resource did (`deleted`, `it was already gone`,
   * or for a change to something the run did not create,
   * `restored the values it had before the run`).
   */
  reason?: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * A scaffolder run that used platform actions, with the resources it created.
 *
 * @public
 */
export interface PlatformRun {
  taskId: string;
  /** The scaffolder task status: `processing`, `completed`, `failed`, `cancelled`. */
  status: string;
  templateRef?: string;
  createdBy?: string;
  /** Who cancelled the run, when someone did: the scaffolder keeps no record of it. */
  cancelledBy?: string;
  createdAt: string;
  /**
   * The service the run creates, from its `service_name` parameter; absent
   * for a template without one.
   */
  serviceName?: string;
  /** How long the run took, once it has ended. */
  durationMs?: number;
  /** What became of the resources rollback had to deal with. */
  rollback?: PlatformRollbackSummary;
  resources: PlatformResource[];
}

/**
 * How far a run's rollback got, counted over its resources.
 *
 * @public
 */
export interface PlatformRollbackSummary {
  /** Resources removed or restored (or found already gone). */
  rolledBack: number;
  /** Resources left over: each one's reason says why. */
  failed: number;
  /** Resources the rollback has yet to finish. */
  inProgress: number;
}

/**
 * One page of runs, newest first, as `GET /platform/runs` answers.
 *
 * @public
 */
export interface PlatformRunPage {
  runs: PlatformRun[];
  /** How many runs match, across all pages. */
  totalItems: number;
  /** Pass as `cursor` for the next page; absent on the last. */
  nextCursor?: string;
  /** Pass as `cursor` for the previous page; absent on the first. */
  prevCursor?: string;
}

/**
 * Whose runs to list: the caller's own, those of anyone who shares a team
 * with the caller, or every run the caller may read.
 *
 * @public
 */
export type PlatformRunOwnerFilter = 'mine' | 'my-teams' | 'all';

/**
 * Counts what the rollback did, or has yet to do, with a run's resources;
 * undefined when it has nothing to do (the run completed or still runs, or
 * created nothing).
 *
 * @public
 */
export function summarizeRollback(
  run: Pick<PlatformRun, 'status'> & {
    resources: Pick<PlatformResource, 'state'>[];
  },
): PlatformRollbackSummary | undefined {
  const count = (...states: PlatformResourceState[]) =>
    run.resources.filter(r => states.includes(r.state)).length;
  const unresolved = count('pending', 'created', 'rolling_back');
  const ended = run.status === 'failed' || run.status === 'cancelled';
  // An expired run's task is gone: what it created stays, as each reason says.
  const expired = run.status === 'expired';
  const summary = {
    rolledBack: count('rolled_back'),
    failed: count('rollback_failed') + (expired ? unresolved : 0),
    inProgress: ended ? unresolved : count('rolling_back'),
  };
  return summary.rolledBack + summary.failed + summary.inProgress > 0
    ? summary
    : undefined;
}

/**
 * Whether entries of this kind record a change to something the run did not
 * create (kinds ending in `-change`, such as
 * `kubernetes:resourcequota-change`): rollback restores it, never deletes it.
 *
 * @public
 */
export function isChangeKind(kind: string): boolean {
  return kind.endsWith('-change');
}
