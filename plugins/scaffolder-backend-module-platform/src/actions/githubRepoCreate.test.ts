import { createMockDirectory } from '@backstage/backend-test-utils';
import { ConflictError, InputError } from '@backstage/errors';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { Knex } from 'knex';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createSqliteDatabase } from '../__testUtils__/database';
import { LocalGithubApiServer } from 'local-targets';
import { DatabaseRollbackJournal } from '../rollback/DatabaseRollbackJournal';
import {
  ADMIN_TOKEN,
  githubClients,
  startTestGithub,
} from '../__testUtils__/github';
import { createGithubRepoCreateAction } from './githubRepoCreate';

// Loading the backend libraries takes seconds on a busy machine.
jest.setTimeout(30_000);

const MARKER = 'http://backstage.test/create/tasks/task-1';

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

  function action() {
    return createGithubRepoCreateAction({
      ...githubClients(server),
      journal,
      appBaseUrl: 'http://backstage.test/',
      initialRetryDelayMs: 5,
    });
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
      homepage: MARKER,
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
      identity: 'github.test/acme/payments',
      state: 'created',
      url: 'https://github.test/acme/payments',
      data: {
        owner: 'acme',
        repo: 'payments',
        marker: MARKER,
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

  it('refuses a name that exists before journaling anything, and leaves it alone', async () => {
    const theirs = server.seedRepo('acme', 'payments', {
      description: 'theirs',
    });
    await expect(action().handler(context({}))).rejects.toThrow(
      new ConflictError(
        'Repository acme/payments already exists on github.test; choose another name',
      ),
    );
    expect(await journal.listByTask('task-1')).toEqual([]);
    expect(server.getRepo('acme', 'payments')).toBe(theirs);
    expect(server.requests.filter(r => r.method !== 'GET')).toEqual([]);
  });

  it.each([
    [
      { repoUrl: 'github.test?owner=acme&repo=bad%20name' },
      'Repository name bad name is not a valid GitHub name',
    ],
    [{ topics: ['Payments'] }, 'Topic Payments is not valid'],
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
      retryAfterSeconds: 0,
      method: 'POST',
    });
    await action().handler(context({}));
    expect(server.getRepo('acme', 'payments')).toBeDefined();
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
    await new Promise(r => setTimeout(r, 100));
    controller.abort();
    await expect(running).rejects.toThrow(
      'Creating acme/payments was cancelled',
    );
    expect((await journal.listByTask('task-1'))[0].state).toBe('pending');
  });
});
