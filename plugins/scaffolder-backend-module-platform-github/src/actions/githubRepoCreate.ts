import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import {
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import {
  ActionContext,
  createTemplateAction,
} from '@backstage/plugin-scaffolder-node';
import {
  checkpointKeyFor,
  createOwnershipNonce,
  findStepEntry,
  JournalEntry,
  RollbackJournal,
} from '@internal/plugin-platform-node';
import {
  GithubRequestPolicy,
  resolveGithubRequestPolicy,
} from '../github/client';
import {
  DEFAULT_MAX_FIRST_COMMIT_BYTES,
  pushFirstCommit,
  readWorkspaceFiles,
  WorkspaceFile,
} from '../github/firstCommit';
import {
  GITHUB_REPOSITORY_KIND,
  GithubRepositoryFacts,
} from '../github/githubRepositoryCompensator';
import { checkRepositoryInput } from '../github/inputs';
import { isCreatedByEntry } from '../github/ownership';
import {
  checkOwner,
  checkTeamsExist,
  connectToRepository,
  contentsUrlOf,
  createRepository,
  CreatedRepository,
  findRepository,
  GithubRepositoryTarget,
  grantTeam,
  setTopics,
  TEAM_PERMISSIONS,
  TeamPermission,
  Visibility,
} from '../github/repository';
import { JsonObject } from '@backstage/types';
import { examples } from './githubRepoCreate.examples';

/**
 * The action's dependencies and limits. The `GithubRequestPolicy` fields
 * bound its GitHub calls' retries and rate-limit waits.
 *
 * @public
 */
export interface GithubRepoCreateActionOptions extends GithubRequestPolicy {
  integrations: ScmIntegrationRegistry;
  credentialsProvider: GithubCredentialsProvider;
  journal: RollbackJournal;
  /** `app.baseUrl`, to link each repository to the run that created it. */
  appBaseUrl: string;
  /**
   * The largest first commit, in bytes of workspace files
   * (`platform.github.maxFirstCommitBytes`). Default 50 MiB.
   */
  maxFirstCommitBytes?: number;
}

/**
 * `platform:github:repo:create`: creates a GitHub repository, pushes the
 * workspace as its first commit and journals it, so the rollback engine
 * deletes it if the run fails or is cancelled later.
 *
 * @public
 */
export function createGithubRepoCreateAction(
  options: GithubRepoCreateActionOptions,
) {
  const { integrations, credentialsProvider, journal, appBaseUrl } = options;
  const policy = resolveGithubRequestPolicy(options);
  const maxFirstCommitBytes =
    options.maxFirstCommitBytes ?? DEFAULT_MAX_FIRST_COMMIT_BYTES;

  return createTemplateAction({
    id: 'platform:github:repo:create',
    description:
      'Creates a GitHub repository with the workspace as its first commit. The repository is deleted again if the run fails or is cancelled at any later step, unless rollback is false.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        repoUrl: z =>
          z.string({
            description:
              'Where to create the repository, in the form `github.com?owner=ORG&repo=NAME`; the host must have an `integrations.github` entry',
          }),
        description: z =>
          z.string({ description: 'The repository description' }).optional(),
        visibility: z =>
          z
            .enum(['private', 'internal', 'public'], {
              description: 'Who can see the repository. Default private',
            })
            .optional(),
        defaultBranch: z =>
          z
            .string({
              description:
                'The branch that receives the first commit, a valid git branch name. Default main',
            })
            .optional(),
        topics: z =>
          z
            .array(z.string(), {
              description:
                'Repository topics: lowercase letters, digits and hyphens, up to 50 characters each',
            })
            .optional(),
        teams: z =>
          z
            .array(
              z.object({
                team: z.string({
                  description:
                    "The team's slug, as in its URL: lowercase letters, digits, '-' and '_'",
                }),
                permission: z
                  .enum(TEAM_PERMISSIONS, {
                    description: 'The access the team gets. Default push',
                  })
                  .optional(),
              }),
              {
                description:
                  'Teams of the owning organization that get access to the repository',
              },
            )
            .optional(),
        sourcePath: z =>
          z
            .string({
              description:
                'Workspace path whose files become the first commit. Default the whole workspace',
            })
            .optional(),
        gitCommitMessage: z =>
          z.string({ description: 'Message of the first commit' }).optional(),
        rollback: z =>
          z
            .boolean({
              description:
                'Set to false to keep the repository when the run fails later, for debugging',
            })
            .optional(),
      },
      output: {
        remoteUrl: z =>
          z.string({ description: 'The clone URL of the repository' }),
        repoContentsUrl: z =>
          z.string({
            description:
              'The URL of the default branch contents, for catalog:register',
          }),
        repositoryUrl: z =>
          z.string({ description: 'The web page of the repository' }),
        commitHash: z =>
          z.string({ description: 'The id of the first commit' }),
      },
    },

    async handler(ctx) {
      const input = withDefaults(ctx.input);
      const { host, owner, repo } = checkRepositoryInput(input, integrations);
      const files = await readSourceFiles({
        workspacePath: ctx.workspacePath,
        sourcePath: ctx.input.sourcePath,
        maxBytes: maxFirstCommitBytes,
      });
      if (ctx.isDryRun) {
        reportDryRun({ ctx, input, host, owner, repo, files });
        return;
      }

      const target = await connectToRepository({
        ...policy,
        integrations,
        credentialsProvider,
        host,
        owner,
        repo,
        signal: ctx.signal,
        logger: ctx.logger,
      });
      const step = { taskId: ctx.task.id, stepId: ctx.step?.id ?? 'unknown' };
      // Everything up to the intent must be checked before the first write.
      const existing = await refuseExisting({ journal, target, ...step });
      const ownerKind = await checkOwner({
        target,
        teams: input.teams,
        visibility: input.visibility,
      });
      await checkTeamsExist({ target, teams: input.teams });
      const { entry, nonce } = await recordIntent({ journal, target, ...step });
      const keySuffix = checkpointKeyFor(`${host}.${owner}.${repo}`, entry);

      const created = await ctx.checkpoint<CreatedRepository>({
        key: `platform.github.repo.create.${keySuffix}`,
        fn: () =>
          createRepository({
            target,
            existing,
            ownerKind,
            description: input.description,
            visibility: input.visibility,
            appBaseUrl,
            taskId: step.taskId,
            nonce,
            discardIntent: () => journal.discard(entry.id),
            policy,
            signal: ctx.signal,
          }),
      });
      await recordCreated({
        journal,
        entry,
        created,
        target,
        rollback: input.rollback,
      });
      const commitHash = await ctx.checkpoint<string>({
        key: `platform.github.repo.push.${keySuffix}.${input.defaultBranch}`,
        fn: () =>
          pushFirstCommit({
            client: target.client,
            owner,
            repo,
            files,
            message: input.commitMessage,
            initialBranch: created.initialBranch,
            defaultBranch: input.defaultBranch,
            signal: ctx.signal,
            retryAfterBaseValue: policy.retryAfterBaseValue,
            log: message => ctx.logger.info(message),
          }).catch(e =>
            target.fail(e, `push the first commit to ${target.fullName}`),
          ),
      });
      if (input.topics.length > 0) {
        await ctx.checkpoint({
          key: `platform.github.repo.topics.${keySuffix}`,
          fn: () => setTopics({ target, topics: input.topics }),
        });
      }
      for (const { team, permission } of input.teams) {
        await ctx.checkpoint({
          key: `platform.github.repo.team.${keySuffix}.${team}`,
          fn: () => grantTeam({ target, team, permission }),
        });
      }

      outputResult(ctx, {
        cloneUrl: created.cloneUrl,
        htmlUrl: created.htmlUrl,
        defaultBranch: input.defaultBranch,
        commitHash,
      });
      ctx.logger.info(
        `Created ${created.htmlUrl} with ${files.length} file(s)`,
      );
    },
  });
}

type Input = {
  repoUrl: string;
  description?: string;
  visibility?: Visibility;
  defaultBranch?: string;
  topics?: string[];
  teams?: Array<{ team: string; permission?: TeamPermission }>;
  gitCommitMessage?: string;
  rollback?: boolean;
};

/**
 * The input with its defaults: the scaffolder validates input against the
 * JSON schema but does not fill them in.
 */
function withDefaults(input: Input) {
  return {
    repoUrl: input.repoUrl,
    description: input.description,
    visibility: input.visibility ?? 'private',
    defaultBranch: input.defaultBranch ?? 'main',
    rollback: input.rollback ?? true,
    commitMessage: input.gitCommitMessage ?? 'Initial commit',
    topics: input.topics ?? [],
    teams: (input.teams ?? []).map(t => ({
      team: t.team,
      permission: t.permission ?? 'push',
    })),
  };
}

type RepositoryInput = ReturnType<typeof withDefaults>;

/** The files of the first commit, refused before any request. */
async function readSourceFiles(options: {
  workspacePath: string;
  sourcePath?: string;
  maxBytes: number;
}): Promise<WorkspaceFile[]> {
  const { sourcePath, maxBytes } = options;
  const sourceDir = resolveSafeChildPath(
    options.workspacePath,
    sourcePath ?? '.',
  );
  const files = await readWorkspaceFiles(sourceDir, { maxBytes }).catch(e => {
    if (['ENOENT', 'ENOTDIR'].includes(e?.code)) {
      throw new InputError(
        `sourcePath ${sourcePath} is not a directory in the workspace`,
      );
    }
    throw e;
  });
  if (files.length === 0) {
    throw new InputError(
      `sourcePath ${sourcePath ?? '.'} holds no files to commit`,
    );
  }
  return files;
}

/** Says what the run would create, with the outputs it would have. */
function reportDryRun(options: {
  ctx: Pick<ActionContext<JsonObject, Output>, 'logger' | 'output'>;
  input: RepositoryInput;
  host: string;
  owner: string;
  repo: string;
  files: WorkspaceFile[];
}): void {
  const { ctx, input, host, files } = options;
  const { topics, teams } = input;
  const fullName = `${options.owner}/${options.repo}`;
  ctx.logger.info(
    `Dry run: would create ${
      input.visibility
    } repository ${fullName} on ${host} with ${files.length} file(s) on ${
      input.defaultBranch
    }${topics.length ? `, topics ${topics.join(', ')}` : ''}${
      teams.length ? `, access for ${teams.map(t => t.team).join(', ')}` : ''
    }`,
  );
  const webUrl = `https://${host}/${fullName}`;
  outputResult(ctx, {
    cloneUrl: `${webUrl}.git`,
    htmlUrl: webUrl,
    defaultBranch: input.defaultBranch,
    commitHash: '0000000000000000000000000000000000000000',
  });
}

type Output = {
  remoteUrl: string;
  repoContentsUrl: string;
  repositoryUrl: string;
  commitHash: string;
};

function outputResult(
  ctx: Pick<ActionContext<JsonObject, Output>, 'output'>,
  result: {
    cloneUrl: string;
    htmlUrl: string;
    defaultBranch: string;
    commitHash: string;
  },
): void {
  ctx.output('remoteUrl', result.cloneUrl);
  ctx.output(
    'repoContentsUrl',
    contentsUrlOf(result.htmlUrl, result.defaultBranch),
  );
  ctx.output('repositoryUrl', result.htmlUrl);
  ctx.output('commitHash', result.commitHash);
}

type StepJournal = {
  journal: RollbackJournal;
  target: GithubRepositoryTarget;
  taskId: string;
  stepId: string;
};

const identityOf = (target: GithubRepositoryTarget) =>
  `${target.host}/${target.fullName}`;

/**
 * Refuses a repository that exists already, unless it is this step's own:
 * an earlier execution of the step (an unclear outcome, task recovery, a
 * retry) journaled proof of it, its id or the nonce in its homepage. Returns
 * that repository, to adopt.
 */
async function refuseExisting(options: StepJournal) {
  const { journal, target, taskId, stepId } = options;
  const prior = await findStepEntry(journal, {
    taskId,
    stepId,
    kind: GITHUB_REPOSITORY_KIND,
    identity: identityOf(target),
  });
  const existing = await findRepository(target);
  if (existing && !(prior && isCreatedByEntry(existing, prior))) {
    throw new ConflictError(
      `Repository ${target.fullName} already exists on ${target.host}; choose another name`,
    );
  }
  return existing;
}

/**
 * Journals the create, with a fresh nonce, before it is sent. A replayed
 * step gets back the nonce it journaled first; a retry after a rollback,
 * the fresh one.
 */
async function recordIntent(
  options: StepJournal,
): Promise<{ entry: JournalEntry; nonce: string }> {
  const { target } = options;
  const facts: GithubRepositoryFacts = {
    host: target.host,
    owner: target.owner,
    repo: target.repo,
    nonce: createOwnershipNonce(),
  };
  const entry = await options.journal.recordIntent({
    taskId: options.taskId,
    stepId: options.stepId,
    kind: GITHUB_REPOSITORY_KIND,
    identity: identityOf(target),
    url: `https://${target.host}/${target.fullName}`,
    data: { ...facts },
  });
  const { nonce } = entry.data as unknown as GithubRepositoryFacts;
  return { entry, nonce };
}

/** Journals GitHub's id for the repository, and whether rollback keeps it. */
async function recordCreated(options: {
  journal: RollbackJournal;
  entry: JournalEntry;
  created: CreatedRepository;
  target: GithubRepositoryTarget;
  rollback: boolean;
}): Promise<void> {
  const { journal, entry, created } = options;
  await journal.markCreated(entry.id, {
    url: created.htmlUrl,
    data: { repoId: created.id },
  });
  if (!options.rollback) {
    await journal.markKept(entry.id);
    options.target.logger.info(
      `Keeping ${options.target.fullName} even if the run fails, because rollback is false`,
    );
  }
}
