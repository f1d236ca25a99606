import { LocalGithubApiServer } from 'local-targets';
import { githubClients, startTestGithub } from '../__testUtils__/github';
import { createGithubClient } from './client';
import { pushFirstCommit } from './firstCommit';

jest.setTimeout(30_000);

describe('pushFirstCommit', () => {
  let server: LocalGithubApiServer;

  beforeEach(async () => {
    server = await startTestGithub();
    server.seedRepo('acme', 'payments');
  });

  afterEach(() => server.close());

  async function push(defaultBranch: string) {
    const client = await createGithubClient({
      ...githubClients(server),
      host: 'github.test',
      owner: 'acme',
      repo: 'payments',
    });
    return pushFirstCommit({
      client,
      owner: 'acme',
      repo: 'payments',
      files: [
        {
          path: 'README.md',
          content: Buffer.from('# Payments\n').toString('base64'),
          mode: '100644',
        },
      ],
      message: 'Initial commit',
      initialBranch: 'main',
      defaultBranch,
      retryOptions: { attempts: 3, initialDelayMs: 1 },
      log: () => {},
    });
  }

  it('replays onto another default branch after the initial branch is gone', async () => {
    const first = await push('trunk');
    const again = await push('trunk');

    const repo = server.getRepo('acme', 'payments')!;
    expect([...repo.git.refs.keys()]).toEqual(['refs/heads/trunk']);
    expect(repo.git.refs.get('refs/heads/trunk')).toBe(again);
    expect(repo.git.commits.get(again)?.tree).toBe(
      repo.git.commits.get(first)?.tree,
    );
    expect(server.files('acme', 'payments')).toEqual({
      'README.md': '# Payments\n',
    });
  });

  it('creates the default branch once when the answer to its creation is lost', async () => {
    server.failNext(1, {
      method: 'POST',
      path: '/repos/acme/payments/git/refs',
      afterCommit: true,
    });
    const sha = await push('trunk');

    const repo = server.getRepo('acme', 'payments')!;
    expect([...repo.git.refs.keys()]).toEqual(['refs/heads/trunk']);
    expect(repo.git.refs.get('refs/heads/trunk')).toBe(sha);
  });
});
