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
   * In words, never a raw API error: why a rollback failed, or for a rolled
   * back resource whether it was `deleted` or `it was already gone`.
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
  createdAt: string;
  resources: PlatformResource[];
}
