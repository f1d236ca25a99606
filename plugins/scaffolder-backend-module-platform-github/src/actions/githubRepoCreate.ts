import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { setTimeout as delay } from 'node:timers/promises';
import {
  createGithubClient,
  describeGithubFailure,
  GithubRequestPolicy,
  isGithubStatus,
  resolveGithubRequestPolicy,
} from '../github/client';
import {
  DEFAULT_MAX_FIRST_COMMIT_BYTES,
  pushFirstCommit,
  readWorkspaceFiles,
} from '../github/firstCommit';
import {
  GITHUB_REPOSITORY_KIND,
  GithubRepositoryFacts,
} from '../github/githubRepositoryCompensator';
import { checkRepositoryInput } from '../github/inputs';
import {
  carriesNonce,
  isCreatedByEntry,
  runHomepage,
} from '../github/ownership';
import { createOwnershipNonce } from '@internal/plugin-platform-node';
import {
  checkpointKeyFor,
  findStepEntry,
  RollbackJournal,
} from '@internal/plugin-platform-node';
import { examples } from './githubRepoCreate.examples';

const TEAM_PERMISSIONS = [
  'pull',
  'triage',
  'push',
  'maintain',
  'admin',
] as const;

/**
 * The action's dependencies and limits. The `GithubRequestPolicy` fields
 * bound its GitHub calls' retries and rate-limit waits.
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

type CreatedRepo = {
  id: number;
  htmlUrl: string;
  cloneUrl: string;
  initialBranch: string;
};

/**
 * `platform:github:repo:create`: creates a GitHub repository, pushes the
 * workspace as its first commit and journals it, so the rollback engine
 * deletes it if the run fails or is cancelled later.
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
      // The scaffolder validates input against the JSON schema but does not
      // fill in defaults, so they are applied here.
      const { repoUrl } = ctx.input;
      const visibility = ctx.input.visibility ?? 'private';
      const defaultBranch = ctx.input.defaultBranch ?? 'main';
      const rollback = ctx.input.rollback ?? true;
      const commitMessage = ctx.input.gitCommitMessage ?? 'Initial commit';
      const topics = ctx.input.topics ?? [];
      const teams = (ctx.input.teams ?? []).map(t => ({
        team: t.team,
        permission: t.permission ?? 'push',
      }));
      const { host, owner, repo } = checkRepositoryInput(
        { repoUrl, defaultBranch, topics, teams },
        integrations,
      );
      const sourceDir = resolveSafeChildPath(
        ctx.workspacePath,
        ctx.input.sourcePath ?? '.',
      );
      const files = await readWorkspaceFiles(sourceDir, {
        maxBytes: maxFirstCommitBytes,
      }).catch(e => {
        if (['ENOENT', 'ENOTDIR'].includes(e?.code)) {
          throw new InputError(
            `sourcePath ${ctx.input.sourcePath} is not a directory in the workspace`,
          );
        }
        throw e;
      });
      if (files.length === 0) {
        throw new InputError(
          `sourcePath ${ctx.input.sourcePath ?? '.'} holds no files to commit`,
        );
      }

      const fullName = `${owner}/${repo}`;
      const webUrl = `https://${host}/${fullName}`;
      const contentsUrl = (htmlUrl: string) =>
        `${htmlUrl}/blob/${defaultBranch
          .split('/')
          .map(encodeURIComponent)
          .join('/')}`;
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would create ${visibility} repository ${fullName} on ${host} with ${
            files.length
          } file(s) on ${defaultBranch}${
            topics.length ? `, topics ${topics.join(', ')}` : ''
          }${
            teams.length
              ? `, access for ${teams.map(t => t.team).join(', ')}`
              : ''
          }`,
        );
        ctx.output('remoteUrl', `${webUrl}.git`);
        ctx.output('repoContentsUrl', contentsUrl(webUrl));
        ctx.output('repositoryUrl', webUrl);
        ctx.output('commitHash', '0000000000000000000000000000000000000000');
        return;
      }

      const taskId = ctx.task.id;
      const stepId = ctx.step?.id ?? 'unknown';
      const identity = `${host}/${fullName}`;
      const client = await createGithubClient({
        ...policy,
        integrations,
        credentialsProvider,
        host,
        owner,
        repo,
        signal: ctx.signal,
      });
      const fail = (e: unknown, doing: string): never => {
        const failure = describeGithubFailure(e);
        ctx.logger.warn(`Could not ${doing}: ${failure.message}`);
        throw new Error(`Could not ${doing}: ${failure.message}`);
      };
      const getRepo = async () => {
        try {
          return (await client.repos.get({ owner, repo })).data;
        } catch (e) {
          if (isGithubStatus(e, 404)) {
            return undefined;
          }
          return fail(e, `look up ${fullName}`);
        }
      };

      // Everything below must be checked before the first write. A
      // repository that exists already is this step's own only when an
      // earlier run of the step (an unclear outcome, task recovery, a retry)
      // journaled proof of it: its id, or the nonce in its homepage.
      const prior = await findStepEntry(journal, {
        taskId,
        stepId,
        kind: GITHUB_REPOSITORY_KIND,
        identity,
      });
      const existing = await getRepo();
      if (existing && !(prior && isCreatedByEntry(existing, prior))) {
        throw new ConflictError(
          `Repository ${fullName} already exists on ${host}; choose another name`,
        );
      }
      const ownerType = await client.users
        .getByUsername({ username: owner })
        .then(
          r => r.data.type,
          e => {
            if (isGithubStatus(e, 404)) {
              throw new InputError(`Owner ${owner} does not exist on ${host}`);
            }
            return fail(e, `look up owner ${owner}`);
          },
        );
      if (ownerType !== 'Organization' && teams.length > 0) {
        throw new InputError(
          `Team access needs an organization, but ${owner} is a user`,
        );
      }
      if (ownerType !== 'Organization' && visibility === 'internal') {
        throw new InputError(
          `Visibility internal needs an organization, but ${owner} is a user`,
        );
      }
      if (ownerType !== 'Organization') {
        const me = await client.users.getAuthenticated().then(
          r => r.data,
          e => fail(e, `look up the user of the ${host} credentials`),
        );
        if (me.login !== owner) {
          throw new NotAllowedError(
            `The ${host} credentials belong to ${me.login} and cannot create repositories for user ${owner}`,
          );
        }
      }

      for (const { team } of teams) {
        await client.teams
          .getByName({ org: owner, team_slug: team })
          .catch(e => {
            if (isGithubStatus(e, 404)) {
              throw new InputError(
                `Team ${team} does not exist in organization ${owner}, or the ${host} credentials cannot see it`,
              );
            }
            return fail(e, `look up team ${team} in ${owner}`);
          });
      }

      const facts: GithubRepositoryFacts = {
        host,
        owner,
        repo,
        nonce: createOwnershipNonce(),
      };
      const entry = await journal.recordIntent({
        taskId,
        stepId,
        kind: GITHUB_REPOSITORY_KIND,
        identity,
        url: webUrl,
        data: { ...facts },
      });
      // A replayed step gets back the nonce it journaled first; a retry after
      // a rollback, the fresh one.
      const { nonce } = entry.data as unknown as GithubRepositoryFacts;

      const keySuffix = checkpointKeyFor(`${host}.${owner}.${repo}`, entry);

      const created = await ctx.checkpoint<CreatedRepo>({
        key: `platform.github.repo.create.${keySuffix}`,
        fn: async () => {
          ctx.logger.info(
            `Creating ${visibility} repository ${fullName} on ${host}`,
          );
          const adopt = (found: {
            id: number;
            html_url: string;
            clone_url: string;
            default_branch: string;
          }): CreatedRepo => ({
            id: found.id,
            htmlUrl: found.html_url,
            cloneUrl: found.clone_url,
            initialBranch: found.default_branch,
          });
          if (existing) {
            ctx.logger.info(
              `Repository ${fullName} was already created by this run`,
            );
            return adopt(existing);
          }
          const cancelled = () =>
            new Error(`Creating ${fullName} was cancelled`);
          // Each try is sent once: plugin-retry never repeats it
          // (`retries: 0`), since after an unclear outcome (5xx, no answer)
          // the step looks before it creates again. A rate limit is a
          // definite refusal, already waited out by plugin-throttling as far
          // as the policy allows when it arrives here.
          for (let attempt = 1; ; attempt++) {
            try {
              const request = { retries: 0 };
              const body = {
                name: repo,
                description: ctx.input.description,
                // Octokit 19's types predate `internal`, which GitHub accepts
                // for organization repositories (checked above).
                visibility: visibility as 'public' | 'private',
                private: visibility === 'private',
                homepage: runHomepage({ appBaseUrl, taskId, nonce }),
                // The Git Data API refuses empty repositories, so GitHub
                // writes a first commit that our commit then replaces.
                auto_init: true,
              };
              const { data } =
                ownerType === 'Organization'
                  ? await client.repos.createInOrg({
                      org: owner,
                      ...body,
                      request,
                    })
                  : await client.repos.createForAuthenticatedUser({
                      ...body,
                      request,
                    });
              return adopt(data);
            } catch (e) {
              const failure = describeGithubFailure(e);
              if (ctx.signal?.aborted) {
                throw cancelled();
              }
              if (
                failure.rateLimited ||
                (!failure.transient && !isGithubStatus(e, 422))
              ) {
                // A definite refusal: nothing was created.
                await journal.discard(entry.id);
                return fail(e, `create ${fullName}`);
              }
              // A 422 after an unclear attempt, or an unclear outcome
              // itself: look before acting again.
              const found = await getRepo();
              if (found && carriesNonce(found.homepage, nonce)) {
                ctx.logger.info(
                  `Repository ${fullName} was created despite the error`,
                );
                return adopt(found);
              }
              if (found) {
                await journal.discard(entry.id);
                throw new ConflictError(
                  `Repository ${fullName} was created by someone else while this run was creating it`,
                );
              }
              if (attempt > policy.serverErrorRetries) {
                await journal.discard(entry.id);
                return fail(e, `create ${fullName}`);
              }
              ctx.logger.info(
                `Creating ${fullName} again after: ${failure.message}`,
              );
              // plugin-retry's pauses for the calls it repeats: 1, 4, 9… s.
              await delay(
                policy.retryAfterBaseValue * attempt ** 2,
                undefined,
                { signal: ctx.signal },
              ).catch(() => {
                throw cancelled();
              });
            }
          }
        },
      });
      await journal.markCreated(entry.id, {
        url: created.htmlUrl,
        data: { repoId: created.id },
      });
      if (!rollback) {
        await journal.markKept(entry.id);
        ctx.logger.info(
          `Keeping ${fullName} even if the run fails, because rollback is false`,
        );
      }

      const commitHash = await ctx.checkpoint<string>({
        key: `platform.github.repo.push.${keySuffix}.${defaultBranch}`,
        fn: () =>
          pushFirstCommit({
            client,
            owner,
            repo,
            files,
            message: commitMessage,
            initialBranch: created.initialBranch,
            defaultBranch,
            signal: ctx.signal,
            retryAfterBaseValue: policy.retryAfterBaseValue,
            log: message => ctx.logger.info(message),
          }).catch(e => fail(e, `push the first commit to ${fullName}`)),
      });

      if (topics.length > 0) {
        await ctx.checkpoint({
          key: `platform.github.repo.topics.${keySuffix}`,
          fn: async () => {
            ctx.logger.info(
              `Setting topics ${topics.join(', ')} on ${fullName}`,
            );
            await client.repos
              .replaceAllTopics({ owner, repo, names: topics })
              .catch(e => fail(e, `set topics on ${fullName}`));
          },
        });
      }
      for (const { team, permission } of teams) {
        await ctx.checkpoint({
          key: `platform.github.repo.team.${keySuffix}.${team}`,
          fn: async () => {
            ctx.logger.info(
              `Giving team ${team} ${permission} access to ${fullName}`,
            );
            await client.teams
              .addOrUpdateRepoPermissionsInOrg({
                org: owner,
                team_slug: team,
                owner,
                repo,
                permission,
              })
              .catch(e => fail(e, `give team ${team} access to ${fullName}`));
          },
        });
      }

      ctx.output('remoteUrl', created.cloneUrl);
      ctx.output('repoContentsUrl', contentsUrl(created.htmlUrl));
      ctx.output('repositoryUrl', created.htmlUrl);
      ctx.output('commitHash', commitHash);
      ctx.logger.info(
        `Created ${created.htmlUrl} with ${files.length} file(s)`,
      );
    },
  });
}
