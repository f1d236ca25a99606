import { JsonObject } from '@backstage/types';
import { PlatformResource } from '@internal/plugin-platform-common';

/**
 * A journal entry as the engine keeps it: the public record plus the private
 * facts a compensator needs to prove ownership (ids, uids, cluster names).
 * `data` never holds a secret.
 */
export interface JournalEntry extends PlatformResource {
  data: JsonObject;
}

/** What an action records before a side effect. */
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
 * Thrown by a compensator when the failure may pass (HTTP 5xx, a timeout, a
 * rate limit): the engine tries again with backoff until its time bound.
 * Any other error ends the attempt at once as `rollback_failed`.
 */
/**
 * The checkpoint key of a step's write recorded by `entry`. A retried run
 * whose entry was rolled back gets a new key, so that it writes again instead
 * of replaying the checkpoint of the attempt the rollback undid.
 */
export function checkpointKeyFor(key: string, entry: JournalEntry): string {
  const attempt = Number(entry.data.attempt ?? 0);
  return attempt > 0 ? `${key}.attempt${attempt}` : key;
}

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
 */
export type CompensationResult = 'deleted' | 'already_gone' | 'restored';

/**
 * Undoes one kind of resource. `compensate` deletes the resource only when
 * the entry proves this run created it, treats "already gone" (or
 * terminating, where deletion is asynchronous) as done, and throws an error
 * whose message says in words why it could not (for example a missing token
 * scope); that message is shown to users, so it never embeds a raw API error.
 * Throw `TransientCompensationError` for failures worth retrying. Entries in
 * state `pending` (intent recorded, outcome unknown) reach `compensate` too:
 * look for the ownership marker before deleting anything. A change to
 * something the run did not create is undone by restoring what was there,
 * and only while nobody else changed it since.
 */
export interface ResourceCompensator {
  kind: string;
  compensate(
    entry: JournalEntry,
    options: { signal: AbortSignal },
  ): Promise<CompensationResult>;
}
