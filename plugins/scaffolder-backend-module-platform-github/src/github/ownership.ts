import {
  JournalEntry,
  ROLLED_BACK_STATES,
} from '@internal/plugin-platform-node';

/** The query parameter of a repository's homepage that carries the run's nonce. */
const RUN_PARAM = 'run';

/**
 * The homepage a run gives a repository it creates:
 * `APP_BASE_URL/create/tasks/TASK_ID?run=NONCE`. The task page is for people;
 * the nonce, which the run journaled before the create, is the proof that
 * this repository came from that create. The task URL alone proves nothing,
 * since anyone who can see the run can type it.
 *
 * @public
 */
export function runHomepage(options: {
  appBaseUrl: string;
  taskId: string;
  nonce: string;
}): string {
  const base = options.appBaseUrl.replace(/\/+$/, '');
  const url = new URL(
    `${base}/create/tasks/${encodeURIComponent(options.taskId)}`,
  );
  url.searchParams.set(RUN_PARAM, options.nonce);
  return url.toString();
}

/**
 * Whether `homepage` carries exactly `nonce` as its `run` parameter.
 *
 * @public
 */
export function carriesNonce(
  homepage: string | null | undefined,
  nonce: unknown,
): boolean {
  // Entries journaled before nonces existed have none, and prove nothing.
  if (typeof nonce !== 'string' || nonce === '' || !homepage) {
    return false;
  }
  return (
    URL.canParse(homepage) &&
    new URL(homepage).searchParams.get(RUN_PARAM) === nonce
  );
}

/**
 * Whether `repository` is the one the journal entry's create made: the id
 * GitHub gave it, when the entry recorded one, else the entry's nonce in
 * its homepage. A rolled back entry's nonce proves nothing: that attempt is
 * over, anyone who saw its repository may have copied the nonce, and
 * recording the step's intent again replaces it.
 *
 * @public
 */
export function isCreatedByEntry(
  repository: { id: number; homepage?: string | null },
  entry: Pick<JournalEntry, 'state' | 'data'>,
): boolean {
  const { repoId, nonce } = entry.data;
  if (repoId !== undefined) {
    return repository.id === repoId;
  }
  if (ROLLED_BACK_STATES.includes(entry.state)) {
    return false;
  }
  return carriesNonce(repository.homepage, nonce);
}
