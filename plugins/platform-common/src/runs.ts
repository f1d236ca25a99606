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
  resources: PlatformResource[];
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
