import { JsonObject } from '@backstage/types';
import {
  PlatformResource,
  PlatformResourceState,
} from '@internal/plugin-platform-common';

/**
 * A journal entry as the engine keeps it: the public record plus the private
 * facts a compensator needs to prove ownership (ids, uids, cluster names).
 * `data` never holds a secret.
 *
 * @public
 */
export interface JournalEntry extends PlatformResource {
  data: JsonObject;
}

/**
 * What an action records before a side effect.
 *
 * @public
 */
export interface ResourceIntent {
  taskId: string;
  stepId: string;
  kind: string;
  identity: string;
  url?: string;
  data?: JsonObject;
}

/**
 * The durable record of what scaffolder runs created. Every method is
 * idempotent: recording the same intent twice (a retried or recovered step)
 * returns the entry that is already there. If that entry was already rolled
 * back (the user retried a failed run), it starts over as `pending` with
 * only the new intent's data plus `data.attempt` counting the retries, so
 * an action can key its checkpoints by attempt instead of replaying the
 * cached result of a creation that was since undone.
 *
 * @public
 */
export interface RollbackJournal {
  recordIntent(intent: ResourceIntent): Promise<JournalEntry>;
  markCreated(
    id: string,
    facts?: { url?: string; data?: JsonObject },
  ): Promise<JournalEntry>;
  /** The template asked to keep this resource (`rollback: false`). */
  markKept(id: string): Promise<JournalEntry>;
  /** A recorded intent whose side effect proved not to have happened. */
  discard(id: string): Promise<void>;
  listByTask(taskId: string): Promise<JournalEntry[]>;
}

/**
 * States of an entry whose rollback is over: a retry creates it afresh.
 *
 * @public
 */
export const ROLLED_BACK_STATES: PlatformResourceState[] = [
  'rolled_back',
  'rollback_failed',
];

/**
 * The checkpoint key of a step's write recorded by `entry`. A retried run
 * whose entry was rolled back gets a new key, so that it writes again instead
 * of replaying the checkpoint of the attempt the rollback undid. Before the
 * retry records its intent the entry is still rolled back; after, it counts
 * the retry in `data.attempt`: both give the same key.
 *
 * @public
 */
export function checkpointKeyFor(key: string, entry: JournalEntry): string {
  const rolledBack = ROLLED_BACK_STATES.includes(entry.state);
  const attempt = Number(entry.data.attempt ?? 0) + (rolledBack ? 1 : 0);
  return attempt > 0 ? `${key}.attempt${attempt}` : key;
}

/**
 * `checkpointKeyFor` for a write whose intent is recorded inside the
 * checkpoint: the key follows the step's journal entry for `kind` and
 * `identity`, if it has one yet.
 *
 * @public
 */
export async function checkpointKeyForIntent(
  journal: RollbackJournal,
  intent: StepIntent,
  key: string,
): Promise<string> {
  const entry = await findStepEntry(journal, intent);
  return entry ? checkpointKeyFor(key, entry) : key;
}

/**
 * Which write of which step an entry records.
 *
 * @public
 */
export type StepIntent = Pick<
  ResourceIntent,
  'taskId' | 'stepId' | 'kind' | 'identity'
>;

/**
 * The entry an earlier execution of the step recorded for this write (an
 * unclear outcome, task recovery, a retry), if there is one.
 *
 * @public
 */
export async function findStepEntry(
  journal: RollbackJournal,
  intent: StepIntent,
): Promise<JournalEntry | undefined> {
  return (await journal.listByTask(intent.taskId)).find(
    e =>
      e.stepId === intent.stepId &&
      e.kind === intent.kind &&
      e.identity === intent.identity,
  );
}

/**
 * Thrown by a compensator when the failure may pass (HTTP 5xx, a timeout, a
 * rate limit): the engine tries again with backoff until its time bound.
 * Any other error ends the attempt at once as `rollback_failed`.
 *
 * @public
 */
export class TransientCompensationError extends Error {
  readonly name = 'TransientCompensationError';
  /** How long the server asked us to wait (`retry-after`), when it did. */
  readonly retryAfterMs?: number;

  constructor(message: string, options?: { retryAfterMs?: number }) {
    super(message);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/**
 * What a compensation did: deleted what the run created, found it already
 * gone, or put back what a run changed (`restored`).
 *
 * @public
 */
export type CompensationResult = 'deleted' | 'already_gone' | 'restored';

/**
 * Returned by a compensator that has started an undo which the remote system
 * finishes on its own: after our delete, Kubernetes keeps a namespace
 * Terminating until the objects inside are gone. The engine records the entry
 * as `rolling_back` with `reason`, goes on with the run's older resources, and
 * calls `compensate` again later, with backoff; that call must only look,
 * never start the undo a second time. When it finds the resource gone
 * (`already_gone`) the entry is `rolled_back` as `deleted`; while it is still
 * under way after `maxWaitMs` (default: the engine's bound per resource),
 * `rollback_failed`, with `reason` saying what is still going on.
 *
 * @public
 */
export class CompensationInProgress {
  readonly name = 'CompensationInProgress';
  /** How long the engine waits for it, counted from when it was set aside. */
  readonly maxWaitMs?: number;

  constructor(
    /** What was started and what is awaited, in words; shown to users. */
    readonly reason: string,
    options?: { maxWaitMs?: number },
  ) {
    this.maxWaitMs = options?.maxWaitMs;
  }
}

/**
 * Undoes one kind of resource. `compensate` deletes the resource only when
 * the entry proves this run created it, treats "already gone" as done,
 * returns `CompensationInProgress` when the remote system is still finishing
 * the deletion (a terminating namespace), and throws an error whose message
 * says in words why it could not (for example a missing token scope); that
 * message is shown to users, so it never embeds a raw API error. Throw
 * `TransientCompensationError` for failures worth retrying. Entries in state
 * `pending` (intent recorded, outcome unknown) reach `compensate` too: look
 * for the ownership marker before deleting anything. A change to something
 * the run did not create is undone by restoring what was there, and only
 * while nobody else changed it since.
 *
 * @public
 */
export interface ResourceCompensator {
  kind: string;
  compensate(
    entry: JournalEntry,
    options: { signal: AbortSignal },
  ): Promise<CompensationResult | CompensationInProgress>;
}
