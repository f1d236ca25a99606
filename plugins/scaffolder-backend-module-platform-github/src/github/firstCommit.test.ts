import {
  createMockDirectory,
  MockDirectoryContent,
} from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import { LocalGithubApiServer } from 'local-targets';
import { githubClients, startTestGithub } from '@internal/platform-test-utils';
import { createGithubClient } from './client';
import { pushFirstCommit, readWorkspaceFiles } from './firstCommit';
import { FAST_GITHUB_POLICY } from './testing';

jest.setTimeout(30_000);

describe('readWorkspaceFiles', () => {
  const workspace = createMockDirectory();
  const outside = createMockDirectory({
    content: { 'secret.txt': 'not for the repository' },
  });
  const read = (maxBytes = 1000) =>
    readWorkspaceFiles(workspace.resolve('src'), { maxBytes });

  it('skips .git in any letter case at any depth, and nothing else', async () => {
    workspace.setContent({
      src: {
        '.git/config': 'x',
        '.GIT/HEAD': 'x',
        'lib/.Git/objects/ab': 'x',
        'module/.git': 'gitdir: ../.git/modules/module',
        '.gitignore': 'node_modules\n',
        '.github/CODEOWNERS': '* @acme/core\n',
        'lib/index.ts': 'export {};\n',
      },
    });
    const files = await read();
    expect(files.map(f => f.path)).toEqual([
      '.github/CODEOWNERS',
      '.gitignore',
      'lib/index.ts',
    ]);
    expect(Buffer.from(files[2].content, 'base64').toString()).toBe(
      'export {};\n',
    );
  });

  it.each<[string, string, MockDirectoryContent]>([
    [
      'a file outside the workspace',
      'lib/secret.txt',
      {
        'lib/secret.txt': ({ symlink }) =>
          symlink(outside.resolve('secret.txt')),
      },
    ],
    [
      'a folder outside the workspace',
      'outside',
      { outside: ({ symlink }) => symlink(outside.path) },
    ],
    [
      'a file in the workspace',
      'copy.md',
      {
        'README.md': '# x\n',
        'copy.md': ({ symlink }) => symlink('README.md'),
      },
    ],
    ['nothing', 'dangling', { dangling: ({ symlink }) => symlink('missing') }],
  ])('refuses a symbolic link to %s, naming it', async (_, name, content) => {
    workspace.setContent({ src: content });
    await expect(read()).rejects.toThrow(
      new InputError(
        `Workspace path "${name}" is a symbolic link; the first commit takes only regular files and folders`,
      ),
    );
  });

  it('refuses files that add up to more than the limit, naming both', async () => {
    workspace.setContent({
      src: { 'a.bin': 'x'.repeat(600), 'b/c.bin': 'y'.repeat(401) },
    });
    await expect(read(1000)).rejects.toThrow(
      new InputError(
        'The files to commit add up to 1001 bytes, more than the limit of 1000 bytes (platform.github.maxFirstCommitBytes)',
      ),
    );
    await expect(read(1001)).resolves.toHaveLength(2);
  });
});

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
      ...FAST_GITHUB_POLICY,
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
      retryAfterBaseValue: 1,
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
