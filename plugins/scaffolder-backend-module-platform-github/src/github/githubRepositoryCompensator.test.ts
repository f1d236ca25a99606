import { LocalGithubApiServer } from 'local-targets';
import {
  JournalEntry,
  TransientCompensationError,
} from '@internal/plugin-platform-node';
import {
  githubClients,
  NO_DELETE_TOKEN,
  startTestGithub,
} from '@internal/platform-test-utils';
import { createGithubRepositoryCompensator } from './githubRepositoryCompensator';
import { FAST_GITHUB_POLICY } from './testing';

// Loading the backend libraries takes seconds on a busy machine.
jest.setTimeout(30_000);

const TASK_URL = 'http://backstage.test/create/tasks/t1';
const NONCE = 'c0ffee'.padEnd(32, '0');
const HOMEPAGE = `${TASK_URL}?run=${NONCE}`;

describe('createGithubRepositoryCompensator', () => {
  let server: LocalGithubApiServer;
  const signal = new AbortController().signal;

  beforeEach(async () => {
    server = await startTestGithub();
  });
  afterEach(() => server.close());

  function entry(
    data: object,
    state: JournalEntry['state'] = 'created',
  ): JournalEntry {
    return {
      id: 'e1',
      taskId: 't1',
      stepId: 'repo',
      kind: 'github:repository',
      identity: 'github.test/acme/payments',
      state,
      createdAt: '',
      updatedAt: '',
      data: {
        host: 'github.test',
        owner: 'acme',
        repo: 'payments',
        nonce: NONCE,
        ...data,
      },
    };
  }

  const compensator = (token?: string) =>
    createGithubRepositoryCompensator({
      ...githubClients(server, token),
      ...FAST_GITHUB_POLICY,
    });
  const deletes = () =>
    server.requests.filter(r => r.method === 'DELETE').map(r => r.status);

  it('deletes the repository whose id the journal recorded', async () => {
    const repo = server.seedRepo('acme', 'payments');
    await expect(
      compensator().compensate(entry({ repoId: repo.id }), { signal }),
    ).resolves.toBe('deleted');
    expect(server.getRepo('acme', 'payments')).toBeUndefined();
  });

  it('reports, and leaves to a person, a repository whose journal entry holds no proof', async () => {
    const repo = server.seedRepo('acme', 'payments', { homepage: TASK_URL });
    await expect(
      compensator().compensate(entry({ nonce: undefined }, 'pending'), {
        signal,
      }),
    ).rejects.toThrow(
      "The run recorded no proof that it created acme/payments; if it is the run's, delete it by hand",
    );
    expect(server.getRepo('acme', 'payments')).toBe(repo);
  });

  it('counts a repository that is gone as done', async () => {
    await expect(
      compensator().compensate(entry({ repoId: 1 }), { signal }),
    ).resolves.toBe('already_gone');
  });

  it('never deletes a same-named repository someone else created since', async () => {
    const theirs = server.seedRepo('acme', 'payments');
    await expect(
      compensator().compensate(entry({ repoId: theirs.id + 1 }), { signal }),
    ).resolves.toBe('already_gone');
    expect(server.getRepo('acme', 'payments')).toBe(theirs);
  });

  it.each<[string, string | null]>([
    ['no homepage', null],
    ['another homepage', 'https://else'],
    ['the task URL alone', TASK_URL],
    ['another nonce', `${TASK_URL}?run=${'1'.repeat(32)}`],
    ['the nonce in another parameter', `${TASK_URL}?x=${NONCE}`],
  ])(
    'leaves alone a repository with %s when the creation was never confirmed',
    async (_, homepage) => {
      const theirs = server.seedRepo('acme', 'payments', { homepage });
      await expect(
        compensator().compensate(entry({}, 'pending'), { signal }),
      ).resolves.toBe('already_gone');
      expect(server.getRepo('acme', 'payments')).toBe(theirs);
      expect(server.requests.filter(r => r.method === 'DELETE')).toEqual([]);
    },
  );

  it.each<JournalEntry['state']>(['pending', 'rolling_back'])(
    'deletes an unconfirmed creation, %s, that carries the entry’s nonce',
    async state => {
      server.seedRepo('acme', 'payments', { homepage: HOMEPAGE });
      await expect(
        compensator().compensate(entry({}, state), { signal }),
      ).resolves.toBe('deleted');
      expect(server.getRepo('acme', 'payments')).toBeUndefined();
    },
  );

  it('trusts the recorded id over a nonce someone copied', async () => {
    const theirs = server.seedRepo('acme', 'payments', { homepage: HOMEPAGE });
    await expect(
      compensator().compensate(entry({ repoId: theirs.id + 1 }), { signal }),
    ).resolves.toBe('already_gone');
    expect(server.getRepo('acme', 'payments')).toBe(theirs);
  });

  it('names the missing delete_repo scope', async () => {
    const repo = server.seedRepo('acme', 'payments');
    await expect(
      compensator(NO_DELETE_TOKEN).compensate(entry({ repoId: repo.id }), {
        signal,
      }),
    ).rejects.toThrow(
      'GitHub refused to delete acme/payments: the token lacks the delete_repo scope (it has: repo). Delete the repository by hand or give the integration token the delete_repo scope.',
    );
    expect(server.getRepo('acme', 'payments')).toBe(repo);
  });

  it('deletes after a brief 5xx, which the client repeats', async () => {
    const repo = server.seedRepo('acme', 'payments');
    server.failNext(1, { method: 'DELETE', status: 502 });
    await expect(
      compensator().compensate(entry({ repoId: repo.id }), { signal }),
    ).resolves.toBe('deleted');
    expect(deletes()).toEqual([502, 204]);
  });

  it('asks to be retried when GitHub keeps answering 5xx', async () => {
    const repo = server.seedRepo('acme', 'payments');
    server.failNext(10, { method: 'DELETE', status: 502 });
    const error = await compensator()
      .compensate(entry({ repoId: repo.id }), { signal })
      .catch(e => e);
    expect(error).toBeInstanceOf(TransientCompensationError);
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.message).toBe(
      'Could not delete acme/payments: GitHub answered 502: Server Error',
    );
    expect(deletes()).toEqual([502, 502, 502, 502]);
    expect(server.getRepo('acme', 'payments')).toBe(repo);
  });

  it.each<[object, number]>([
    [{ kind: 'secondary-rate-limit', retryAfterSeconds: 3 }, 3000],
    // GitHub: without retry-after, "wait for at least one minute".
    [{ kind: 'secondary-rate-limit' }, 60_000],
    [{ kind: 'secondary-rate-limit', status: 429 }, 60_000],
  ])(
    'leaves the wait for a secondary limit %j, %s ms, to the engine',
    async (fault, retryAfterMs) => {
      const repo = server.seedRepo('acme', 'payments');
      server.failNext(1, { ...fault, method: 'DELETE' });
      const error = await compensator()
        .compensate(entry({ repoId: repo.id }), { signal })
        .catch(e => e);
      expect(error).toBeInstanceOf(TransientCompensationError);
      expect(error.retryAfterMs).toBe(retryAfterMs);
      expect(error.message).toMatch(
        /^Could not delete acme\/payments: GitHub's secondary rate limit refused the call \(GitHub answered (403|429): You have exceeded a secondary rate limit\. Please wait a few minutes before you try again\); try again after \d\d:\d\d UTC/,
      );
      // Sent once: the attempt ends instead of waiting.
      expect(deletes()).toHaveLength(1);
      expect(server.getRepo('acme', 'payments')).toBe(repo);
    },
  );

  it.each<[string, object, string, number]>([
    ['look up', { resetInSeconds: 90 }, '(1|2) minutes?', 90_000],
    ['delete', { method: 'DELETE' }, '60 minutes', 3_600_000],
  ])(
    'says until when the primary limit stopping the %s is used up, and leaves the wait to the engine',
    async (doing, fault, inWords, resetInMs) => {
      const repo = server.seedRepo('acme', 'payments');
      server.failNext(1, { kind: 'rate-limit', ...fault });
      const error = await compensator()
        .compensate(entry({ repoId: repo.id }), { signal })
        .catch(e => e);
      expect(error).toBeInstanceOf(TransientCompensationError);
      expect(error.retryAfterMs).toBeGreaterThan(resetInMs - 5_000);
      expect(error.retryAfterMs).toBeLessThanOrEqual(resetInMs + 1_000);
      expect(error.message).toMatch(
        new RegExp(
          `^Could not ${doing} acme/payments: GitHub's rate limit for this token is used up until \\d\\d:\\d\\d UTC \\(in ${inWords}\\); try again then$`,
        ),
      );
      expect(server.requests.filter(r => r.status === 403)).toHaveLength(1);
      expect(server.getRepo('acme', 'payments')).toBe(repo);
    },
  );
});
