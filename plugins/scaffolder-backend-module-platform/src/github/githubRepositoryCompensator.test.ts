import { LocalGithubApiServer } from 'local-targets';
import { JournalEntry, TransientCompensationError } from '../rollback/types';
import {
  githubClients,
  NO_DELETE_TOKEN,
  startTestGithub,
} from '../__testUtils__/github';
import { createGithubRepositoryCompensator } from './githubRepositoryCompensator';

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
    createGithubRepositoryCompensator(githubClients(server, token));

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

  it.each([
    [{ status: 502 }, undefined],
    [{ kind: 'rate-limit' as const }, expect.any(Number)],
    [{ kind: 'secondary-rate-limit' as const, retryAfterSeconds: 3 }, 3000],
  ])('asks to be retried after %j', async (fault, retryAfterMs) => {
    const repo = server.seedRepo('acme', 'payments');
    server.failNext(1, { ...fault, method: 'DELETE' });
    const error = await compensator()
      .compensate(entry({ repoId: repo.id }), { signal })
      .catch(e => e);
    expect(error).toBeInstanceOf(TransientCompensationError);
    expect(error.retryAfterMs).toEqual(retryAfterMs);
    expect(error.message).toMatch(
      /^Could not delete acme\/payments: GitHub answered (403|502)/,
    );
  });
});
