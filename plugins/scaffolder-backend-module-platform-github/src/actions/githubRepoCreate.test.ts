import {
  createMockDirectory,
  MockDirectoryContent,
} from '@backstage/backend-test-utils';
import { ConflictError, InputError } from '@backstage/errors';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { Knex } from 'knex';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createSqliteDatabase, waitFor } from '@internal/platform-test-utils';
import { LocalGithubApiServer } from 'local-targets';
import { DatabaseRollbackJournal } from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import {
  ADMIN_TOKEN,
  githubClients,
  startTestGithub,
} from '@internal/platform-test-utils';
import { createGithubRepositoryCompensator } from '../github/githubRepositoryCompensator';
import { FAST_GITHUB_POLICY } from '../github/testing';
import {
  createGithubRepoCreateAction,
  GithubRepoCreateActionOptions,
} from './githubRepoCreate';

// Loading the backend libraries takes seconds on a busy machine.
jest.setTimeout(30_000);

const TASK_URL = 'http://backstage.test/create/tasks/task-1';
const HOMEPAGE =
  /^http:\/\/backstage\.test\/create\/tasks\/task-1\?run=([0-9a-f]{32})$/;
const IDENTITY = 'github.test/acme/payments';

describe('platform:github:repo:create', () => {
  let server: LocalGithubApiServer;
  let db: Knex;
  let journal: DatabaseRollbackJournal;
  const workspace = createMockDirectory();

  beforeEach(async () => {
    server = await startTestGithub({ teams: { acme: ['core'] } });
    db = createSqliteDatabase();
    await DatabaseRollbackJournal.runMigrations(db);
    journal = new DatabaseRollbackJournal(db);
    workspace.setContent({
      'catalog-info.yaml': 'kind: Component\n',
      'src/index.ts': 'export {};\n',
      'docs/index.md': '# Docs\n',
    });
  });

  afterEach(async () => {
    await server.close();
    await db.destroy();
  });

  function action(options?: Partial<GithubRepoCreateActionOptions>) {
    return createGithubRepoCreateAction({
      ...githubClients(server),
      journal,
      appBaseUrl: 'http://backstage.test/',
      ...FAST_GITHUB_POLICY,
      ...options,
    });
  }

  /** The one journal entry of the step, as an earlier run of it left it. */
  async function stepEntry() {
    const entries = await journal.listByTask('task-1');
    expect(entries).toHaveLength(1);
    return entries[0];
  }

  /** What a run of the step journaled before a create it never saw end. */
  function recordPendingIntent(nonce: string) {
    return journal.recordIntent({
      taskId: 'task-1',
      stepId: 'repo',
      kind: 'github:repository',
      identity: IDENTITY,
      data: { host: 'github.test', owner: 'acme', repo: 'payments', nonce },
    });
  }

  const writes = () => server.requests.filter(r => r.method !== 'GET');
  const creates = () =>
    server.requests
      .filter(r => r.method === 'POST' && r.path === '/orgs/acme/repos')
      .map(r => r.status);

  /**
   * Someone else creates the name with `homepage`; the step must refuse it
   * as taken and leave it exactly as it was.
   */
  async function expectRefusedAndUntouched(homepage: string | null) {
    const snapshot = () => {
      const repo = server.getRepo('acme', 'payments')!;
      return JSON.stringify({ ...repo, refs: [...repo.git.refs] });
    };
    server.seedRepo('acme', 'payments', { homepage });
    const before = snapshot();
    const writesBefore = writes().length;
    await expect(action().handler(context({}))).rejects.toThrow(
      new ConflictError(
        'Repository acme/payments already exists on github.test; choose another name',
      ),
    );
    expect(snapshot()).toBe(before);
    expect(writes()).toHaveLength(writesBefore);
  }

  /** What the rollback engine does after a later step of the run failed. */
  async function deleteTheRepository() {
    const entry = await stepEntry();
    await createGithubRepositoryCompensator({
      ...githubClients(server),
      ...FAST_GITHUB_POLICY,
    }).compensate(entry, { signal: new AbortController().signal });
    return entry;
  }

  function context(
    input: Record<string, unknown>,
    extra?: { isDryRun?: boolean; signal?: AbortSignal },
  ) {
    // The mock keeps only some fields; dry run, step and signal are added here.
    const ctx = {
      ...createMockActionContext({
        input: { repoUrl: 'github.test?owner=acme&repo=payments', ...input },
        workspacePath: workspace.path,
        task: { id: 'task-1' },
      }),
      step: { id: 'repo', name: 'Create repository' },
      ...extra,
    };
    jest.spyOn(ctx.logger, 'warn');
    jest.spyOn(ctx.logger, 'info');
    return ctx as typeof ctx & { input: any };
  }

  it('creates the repository with the workspace as its first commit', async () => {
    const ctx = context({
      description: 'Takes payments',
      topics: ['payments'],
      teams: [{ team: 'core', permission: 'maintain' }],
    });
    await action().handler(ctx);

    const repo = server.getRepo('acme', 'payments')!;
    expect(repo).toMatchObject({
      visibility: 'private',
      description: 'Takes payments',
      homepage: expect.stringMatching(HOMEPAGE),
      default_branch: 'main',
      topics: ['payments'],
      teams: { core: 'maintain' },
    });
    expect(server.files('acme', 'payments')).toEqual({
      'catalog-info.yaml': 'kind: Component\n',
      'docs/index.md': '# Docs\n',
      'src/index.ts': 'export {};\n',
    });
    const head = repo.git.refs.get('refs/heads/main')!;
    expect(repo.git.commits.get(head)).toMatchObject({
      message: 'Initial commit',
      parents: [],
    });
    expect(ctx.output).toHaveBeenCalledWith(
      'remoteUrl',
      'https://github.test/acme/payments.git',
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'repoContentsUrl',
      'https://github.test/acme/payments/blob/main',
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'repositoryUrl',
      'https://github.test/acme/payments',
    );
    expect(ctx.output).toHaveBeenCalledWith('commitHash', head);

    const [entry] = await journal.listByTask('task-1');
    expect(entry).toMatchObject({
      stepId: 'repo',
      kind: 'github:repository',
      identity: IDENTITY,
      state: 'created',
      url: 'https://github.test/acme/payments',
      data: {
        owner: 'acme',
        repo: 'payments',
        nonce: HOMEPAGE.exec(repo.homepage!)![1],
        repoId: repo.id,
      },
    });
  });

  it('keeps executable scripts executable', async () => {
    await fs.chmod(path.join(workspace.path, 'src/index.ts'), 0o755);
    await action().handler(context({}));
    expect(server.fileModes('acme', 'payments')).toEqual({
      'catalog-info.yaml': '100644',
      'docs/index.md': '100644',
      'src/index.ts': '100755',
    });
  });

  it('pushes a sub-folder onto another default branch', async () => {
    await action().handler(
      context({
        sourcePath: 'docs',
        defaultBranch: 'trunk',
        visibility: 'public',
      }),
    );
    const repo = server.getRepo('acme', 'payments')!;
    expect(repo.default_branch).toBe('trunk');
    expect([...repo.git.refs.keys()]).toEqual(['refs/heads/trunk']);
    expect(server.files('acme', 'payments')).toEqual({
      'index.md': '# Docs\n',
    });
  });

  it('creates an internal repository in an organization', async () => {
    await action().handler(context({ visibility: 'internal' }));
    expect(server.getRepo('acme', 'payments')?.visibility).toBe('internal');
  });

  it('makes no GitHub call in a dry run and still gives outputs', async () => {
    const ctx = context({}, { isDryRun: true });
    await action().handler(ctx);
    expect(server.requests).toEqual([]);
    expect(ctx.output).toHaveBeenCalledWith(
      'repositoryUrl',
      'https://github.test/acme/payments',
    );
    expect(await journal.listByTask('task-1')).toEqual([]);
  });

  it.each([
    [
      { repoUrl: 'github.test?owner=acme&repo=bad%20name' },
      'Repository name "bad name" is not a valid GitHub name',
    ],
    [{ topics: ['Payments'] }, 'Topic "Payments" is not valid'],
    [
      { sourcePath: 'missing' },
      'sourcePath missing is not a directory in the workspace',
    ],
    [
      { repoUrl: 'elsewhere.test?owner=acme&repo=x' },
      'No matching integration configuration for host elsewhere.test',
    ],
    [
      {
        repoUrl: 'github.test?owner=platform-bot&repo=x',
        teams: [{ team: 'core' }],
      },
      'Team access needs an organization, but platform-bot is a user',
    ],
    [
      {
        repoUrl: 'github.test?owner=platform-bot&repo=x',
        visibility: 'internal',
      },
      'Visibility internal needs an organization, but platform-bot is a user',
    ],
    [
      { teams: [{ team: 'core' }, { team: 'ghosts' }] },
      'Team ghosts does not exist in organization acme',
    ],
    [
      { repoUrl: 'github.test?owner=nobody&repo=x' },
      'Owner nobody does not exist on github.test',
    ],
  ])('rejects %j before any write', async (input, message) => {
    await expect(action().handler(context(input))).rejects.toThrow(message);
    expect(server.requests.filter(r => r.method !== 'GET')).toEqual([]);
    expect(await journal.listByTask('task-1')).toEqual([]);
  });

  it.each([
    [{ repoUrl: 'github.test?owner=acme&repo=..' }, 'Repository name ".."'],
    [
      { repoUrl: 'github.test?owner=acme&repo=x.git' },
      'Repository name "x.git"',
    ],
    [{ repoUrl: 'github.test?owner=..&repo=x' }, 'Owner ".."'],
    [{ repoUrl: 'github.test?owner=acme-&repo=x' }, 'Owner "acme-"'],
    [{ teams: [{ team: '../admins' }] }, 'Team "../admins"'],
    [{ teams: [{ team: '..' }] }, 'Team ".."'],
    [{ defaultBranch: 'a..b' }, 'Default branch "a..b"'],
    [{ defaultBranch: '-x' }, 'Default branch "-x"'],
    [{ topics: ['ok', 'Not ok'] }, 'Topic "Not ok"'],
  ])(
    'refuses %j before the first request or journal write',
    async (input, message) => {
      const error = await action()
        .handler(context(input))
        .catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toContain(message);
      expect(server.requests).toEqual([]);
      expect(await journal.listByTask('task-1')).toEqual([]);
    },
  );

  it('escapes the default branch in the contents URL', async () => {
    const ctx = context({ defaultBranch: 'release/1#2' });
    await action().handler(ctx);
    expect(server.getRepo('acme', 'payments')?.default_branch).toBe(
      'release/1#2',
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'repoContentsUrl',
      'https://github.test/acme/payments/blob/release/1%232',
    );
  });

  it.each<[string, MockDirectoryContent, string]>([
    [
      'a symbolic link',
      { 'docs/link': ({ symlink }) => symlink('../catalog-info.yaml') },
      'Workspace path "docs/link" is a symbolic link',
    ],
    [
      'too large',
      { 'big.bin': 'x'.repeat(100) },
      'The files to commit add up to 134 bytes, more than the limit of 100 bytes',
    ],
  ])(
    'refuses a workspace with a file that is %s before the first request',
    async (_, content, message) => {
      workspace.addContent(content);
      const error = await action({ maxFirstCommitBytes: 100 })
        .handler(context({}))
        .catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toContain(message);
      expect(server.requests).toEqual([]);
      expect(await journal.listByTask('task-1')).toEqual([]);
    },
  );

  it.each([
    ['no homepage', null],
    ['the task URL', TASK_URL],
    ['a nonce no journal entry holds', `${TASK_URL}?run=${'0'.repeat(32)}`],
  ])(
    'refuses a name that exists with %s before journaling anything, and leaves it alone',
    async (_, homepage) => {
      await expectRefusedAndUntouched(homepage);
      expect(await journal.listByTask('task-1')).toEqual([]);
    },
  );

  it('adopts, after task recovery, the repository carrying the nonce its unfinished create journaled', async () => {
    const nonce = 'a'.repeat(32);
    await recordPendingIntent(nonce);
    const ours = server.seedRepo('acme', 'payments', {
      homepage: `${TASK_URL}?run=${nonce}`,
    });
    await action().handler(context({}));
    expect(server.listRepos()).toEqual([ours]);
    expect(Object.keys(server.files('acme', 'payments'))).toHaveLength(3);
    expect(await stepEntry()).toMatchObject({
      state: 'created',
      data: { nonce, repoId: ours.id },
    });
  });

  it('after task recovery, leaves alone a repository stamped only with the task URL', async () => {
    await recordPendingIntent('a'.repeat(32));
    await expectRefusedAndUntouched(TASK_URL);
    expect((await stepEntry()).state).toBe('pending');
  });

  it('leaves alone a repository with the nonce that replaced the one whose id the journal holds', async () => {
    await action().handler(context({}));
    const { homepage } = server.getRepo('acme', 'payments')!;
    const { data } = await deleteTheRepository();
    await expectRefusedAndUntouched(homepage);
    expect(await stepEntry()).toMatchObject({ state: 'created', data });
  });

  describe('when the user retries a run whose repository was rolled back', () => {
    let firstHomepage: string;

    beforeEach(async () => {
      await action().handler(context({}));
      firstHomepage = server.getRepo('acme', 'payments')!.homepage!;
      const entry = await deleteTheRepository();
      await journal.setState(entry.id, 'rolled_back');
    });

    it('creates the repository again with a fresh nonce', async () => {
      await action().handler(context({}));
      const homepage = server.getRepo('acme', 'payments')!.homepage!;
      const nonce = HOMEPAGE.exec(homepage)![1];
      expect(homepage).not.toBe(firstHomepage);
      expect(await stepEntry()).toMatchObject({
        state: 'created',
        data: { nonce, attempt: 1 },
      });
    });

    it('never adopts a repository someone stamped with the rolled back nonce', async () => {
      await expectRefusedAndUntouched(firstHomepage);
      expect((await stepEntry()).state).toBe('rolled_back');
    });
  });

  it('never adopts on retry a repository stamped with the nonce of a create that was rolled back unconfirmed', async () => {
    const nonce = 'a'.repeat(32);
    const entry = await recordPendingIntent(nonce);
    await journal.setState(entry.id, 'rolled_back');
    await expectRefusedAndUntouched(`${TASK_URL}?run=${nonce}`);
    expect((await stepEntry()).state).toBe('rolled_back');
  });

  it('adopts on retry the repository a failed rollback left, by the id the journal holds', async () => {
    await action().handler(context({}));
    const ours = server.getRepo('acme', 'payments')!;
    await journal.setState((await stepEntry()).id, 'rollback_failed');
    await action().handler(context({}));
    expect(server.listRepos()).toEqual([ours]);
    expect(await stepEntry()).toMatchObject({
      state: 'created',
      data: { repoId: ours.id, attempt: 1 },
    });
  });

  it('is an InputError when the input is wrong', async () => {
    await expect(
      action().handler(context({ topics: ['Bad'] })),
    ).rejects.toBeInstanceOf(InputError);
  });

  it('creates for the authenticated user when the owner is that user', async () => {
    await action().handler(
      context({ repoUrl: 'github.test?owner=platform-bot&repo=tool' }),
    );
    expect(server.getRepo('platform-bot', 'tool')?.owner.type).toBe('User');
  });

  it('retries a 5xx when checking whose credentials create a user repository', async () => {
    server.failNext(2, { method: 'GET', path: '/user', status: 502 });
    await action().handler(
      context({ repoUrl: 'github.test?owner=platform-bot&repo=tool' }),
    );
    expect(server.getRepo('platform-bot', 'tool')).toBeDefined();
  });

  it('reports a lasting failure of that check without the raw GitHub error', async () => {
    server.failNext(10, { method: 'GET', path: '/user', status: 503 });
    const ctx = context({
      repoUrl: 'github.test?owner=platform-bot&repo=tool',
    });
    const error = await action()
      .handler(ctx)
      .catch(e => e);
    expect(error).toEqual(
      new Error(
        'Could not look up the user of the github.test credentials: GitHub answered 503: Server Error',
      ),
    );
    expect(error.request).toBeUndefined();
    expect(server.requests.filter(r => r.method !== 'GET')).toEqual([]);
  });

  it('tells its own repository from the error when a create answers 502 after it happened', async () => {
    server.failNext(1, {
      method: 'POST',
      pathIncludes: '/orgs/acme/repos',
      afterCommit: true,
    });
    await action().handler(context({}));
    expect(server.listRepos()).toHaveLength(1);
    expect((await journal.listByTask('task-1'))[0].state).toBe('created');
    // Looked up, not sent again.
    expect(creates()).toEqual([502]);
  });

  it('looks up, and never sends again, a create whose answer never came', async () => {
    server.failNext(1, {
      kind: 'timeout',
      method: 'POST',
      path: '/orgs/acme/repos',
      afterCommit: true,
    });
    const ctx = context({});
    await action({ requestTimeoutMs: 500 }).handler(ctx);
    expect(server.listRepos()).toHaveLength(1);
    // The timed-out request is never answered, so never recorded; a create
    // sent again would be, answered 422 as the name is taken.
    expect(creates()).toEqual([]);
    expect(ctx.logger.info).toHaveBeenCalledWith(
      'Repository acme/payments was created despite the error',
    );
    expect(await stepEntry()).toMatchObject({ state: 'created' });
  });

  it('creates again when a 5xx left nothing behind', async () => {
    server.failNext(2, {
      method: 'POST',
      pathIncludes: '/orgs/acme/repos',
      status: 503,
    });
    await action().handler(context({}));
    expect(server.getRepo('acme', 'payments')).toBeDefined();
  });

  it('waits out a secondary rate limit', async () => {
    server.failNext(1, {
      kind: 'secondary-rate-limit',
      status: 429,
      method: 'POST',
    });
    await action().handler(context({}));
    expect(server.getRepo('acme', 'payments')).toBeDefined();
    expect(creates()).toEqual([429, 201]);
  });

  it('drops the intent when secondary limits keep refusing the create', async () => {
    server.failNext(10, {
      kind: 'secondary-rate-limit',
      retryAfterSeconds: 1,
      method: 'POST',
      path: '/orgs/acme/repos',
    });
    const error = await action()
      .handler(context({}))
      .catch(e => e);
    expect(error.message).toMatch(
      /^Could not create acme\/payments: GitHub's secondary rate limit refused the call \(GitHub answered 403: You have exceeded a secondary rate limit\. Please wait a few minutes before you try again\); try again after \d\d:\d\d UTC \(in 1 second\)$/,
    );
    // The first try and two retries, then no lookup-and-create loop.
    expect(creates()).toEqual([403, 403, 403]);
    expect(server.listRepos()).toEqual([]);
    expect(await journal.listByTask('task-1')).toEqual([]);
  });

  it('fails at once, before any write, when the rate limit resets beyond the bound', async () => {
    server.failNext(1, {
      kind: 'rate-limit',
      path: '/repos/acme/payments',
      resetInSeconds: 3600,
    });
    const started = Date.now();
    // Real seconds: a wait for the reset would last an hour.
    const error = await action({ retryAfterBaseValue: 1000 })
      .handler(context({}))
      .catch(e => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.message).toMatch(
      /^Could not look up acme\/payments: GitHub's rate limit for this token is used up until \d\d:\d\d UTC \(in 60 minutes\); try again then$/,
    );
    expect(writes()).toEqual([]);
    expect(await journal.listByTask('task-1')).toEqual([]);
  });

  it('ends at once when the run is cancelled while it waits out a rate limit', async () => {
    server.failNext(1, {
      kind: 'secondary-rate-limit',
      method: 'POST',
      path: '/orgs/acme/repos',
    });
    const controller = new AbortController();
    // Real seconds: the wait would last a minute.
    const running = action({ retryAfterBaseValue: 1000 }).handler(
      context({}, { signal: controller.signal }),
    );
    while (creates().length === 0) {
      await new Promise(r => setTimeout(r, 10));
    }
    const started = Date.now();
    controller.abort();
    await expect(running).rejects.toThrow(
      'Creating acme/payments was cancelled',
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(creates()).toEqual([403]);
    // Nothing was created, but the rollback engine is the one to look.
    expect((await stepEntry()).state).toBe('pending');
  });

  it('retries the brief 404 right after creation', async () => {
    server.settings.gitNotReadyCallsAfterCreate = 2;
    await action().handler(context({}));
    expect(Object.keys(server.files('acme', 'payments'))).toHaveLength(3);
  });

  it('ends in the same state with the same outputs when the step runs twice', async () => {
    const first = context({});
    await action().handler(first);
    const second = context({});
    await action().handler(second);
    expect(server.listRepos()).toHaveLength(1);
    expect(await journal.listByTask('task-1')).toHaveLength(1);
    expect(second.output).toHaveBeenCalledWith(
      'commitHash',
      (first.output as jest.Mock).mock.calls.find(
        c => c[0] === 'commitHash',
      )[1],
    );
  });

  it('journals a kept repository when rollback is false', async () => {
    await action().handler(context({ rollback: false }));
    expect((await journal.listByTask('task-1'))[0].state).toBe('kept');
  });

  it('drops the intent and never leaks the token when GitHub refuses', async () => {
    server.failNext(10, {
      method: 'POST',
      pathIncludes: '/orgs/acme/repos',
      status: 500,
    });
    const ctx = context({});
    const error = await action()
      .handler(ctx)
      .catch(e => e);
    expect(error.message).toBe(
      'Could not create acme/payments: GitHub answered 500: Server Error',
    );
    expect(JSON.stringify(error)).not.toContain(ADMIN_TOKEN);
    expect(
      JSON.stringify((ctx.logger.warn as jest.Mock).mock.calls),
    ).not.toContain(ADMIN_TOKEN);
    expect(await journal.listByTask('task-1')).toEqual([]);
  });

  it('stops when the run is cancelled and leaves the intent for the rollback engine', async () => {
    const controller = new AbortController();
    server.failNext(1, { kind: 'timeout', afterCommit: true, method: 'POST' });
    const running = action().handler(
      context({}, { signal: controller.signal }),
    );
    // Cancelled once the intent is journaled, so while the create is out.
    await waitFor('the intent to create', async () =>
      (await journal.listByTask('task-1')).length > 0 ? true : undefined,
    );
    controller.abort();
    await expect(running).rejects.toThrow(
      'Creating acme/payments was cancelled',
    );
    expect((await journal.listByTask('task-1'))[0].state).toBe('pending');
  });
});
