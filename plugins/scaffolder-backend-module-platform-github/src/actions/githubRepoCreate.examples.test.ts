import { createMockDirectory } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { Knex } from 'knex';
import { createSqliteDatabase } from '@internal/platform-test-utils';
import { LocalGithubApiServer, startGithubApiServer } from 'local-targets';
import yaml from 'yaml';
import { FAST_GITHUB_POLICY } from '../github/testing';
import { DatabaseRollbackJournal } from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import { createGithubRepoCreateAction } from './githubRepoCreate';
import { examples } from './githubRepoCreate.examples';

// Loading the backend libraries takes seconds on a busy machine.
jest.setTimeout(30_000);

describe('platform:github:repo:create examples', () => {
  let server: LocalGithubApiServer;
  let db: Knex;
  const workspace = createMockDirectory();

  beforeEach(async () => {
    // The examples name github.com, so the loopback server stands in for it.
    server = await startGithubApiServer({
      host: 'github.com',
      orgs: ['acme'],
      tokens: { t: { login: 'bot', scopes: ['repo', 'delete_repo'] } },
    });
    db = createSqliteDatabase();
    await DatabaseRollbackJournal.runMigrations(db);
    workspace.setContent({
      'README.md': '# Payments\n',
      'docs/index.md': '# Docs\n',
    });
  });

  afterEach(async () => {
    await server.close();
    await db.destroy();
  });

  it.each(examples.map(e => [e.description, e]))('%s', async (_, example) => {
    const integrations = ScmIntegrations.fromConfig(
      new ConfigReader({
        integrations: {
          github: [{ host: 'github.com', apiBaseUrl: server.url, token: 't' }],
        },
      }),
    );
    const action = createGithubRepoCreateAction({
      integrations,
      credentialsProvider:
        DefaultGithubCredentialsProvider.fromIntegrations(integrations),
      journal: new DatabaseRollbackJournal(db),
      appBaseUrl: 'http://backstage.test',
      ...FAST_GITHUB_POLICY,
    });
    const [step] = yaml.parse(example.example).steps;
    const ctx = createMockActionContext({
      input: step.input,
      workspacePath: workspace.path,
    });

    await action.handler(ctx);

    const repoUrl = new URL(`https://${step.input.repoUrl}`);
    const name = repoUrl.searchParams.get('repo')!;
    const repo = server.getRepo('acme', name)!;
    expect(repo.default_branch).toBe(step.input.defaultBranch ?? 'main');
    expect(repo.topics).toEqual(step.input.topics ?? []);
    expect(ctx.output).toHaveBeenCalledWith(
      'repositoryUrl',
      `https://github.com/acme/${name}`,
    );
  });
});
