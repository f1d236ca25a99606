import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import { Octokit } from '@octokit/rest';
import { setTimeout as delay } from 'node:timers/promises';
import {
  createGithubClient,
  describeGithubFailure,
  GithubClientOptions,
  GithubRequestPolicy,
  isGithubStatus,
} from './client';
import { carriesNonce, runHomepage } from './ownership';

/** The permissions GitHub can give a team on a repository. */
export const TEAM_PERMISSIONS = [
  'pull',
  'triage',
  'push',
  'maintain',
  'admin',
] as const;

export type TeamPermission = (typeof TEAM_PERMISSIONS)[number];

export type Visibility = 'private' | 'internal' | 'public';

/** One repository a run works on, and the client and log it works with. */
export interface GithubRepositoryTarget {
  client: Octokit;
  host: string;
  owner: string;
  repo: string;
  /** `owner/repo`, as every message names the repository. */
  fullName: string;
  logger: LoggerService;
  /**
   * Logs and throws `Could not <doing>: …` with GitHub's one-line message,
   * so neither the log nor the error carries a header, token or body.
   */
  fail(error: unknown, doing: string): never;
}

/** The repository as the action records it, also in its checkpoint. */
export type CreatedRepository = {
  id: number;
  htmlUrl: string;
  cloneUrl: string;
  initialBranch: string;
};

/** A client for the repository's host, with the run's cancellation signal. */
export async function connectToRepository(
  options: GithubClientOptions & { logger: LoggerService },
): Promise<GithubRepositoryTarget> {
  const { host, owner, repo, logger } = options;
  return {
    client: await createGithubClient(options),
    host,
    owner,
    repo,
    fullName: `${owner}/${repo}`,
    logger,
    fail(error, doing) {
      const failure = describeGithubFailure(error);
      logger.warn(`Could not ${doing}: ${failure.message}`);
      throw new Error(`Could not ${doing}: ${failure.message}`);
    },
  };
}

/** The web page of the default branch's files, as `catalog:register` wants. */
export function contentsUrlOf(htmlUrl: string, branch: string): string {
  return `${htmlUrl}/blob/${branch
    .split('/')
    .map(encodeURIComponent)
    .join('/')}`;
}

/** The repository as GitHub has it, or undefined when there is none. */
export async function findRepository(target: GithubRepositoryTarget) {
  const { client, owner, repo } = target;
  try {
    return (await client.repos.get({ owner, repo })).data;
  } catch (e) {
    if (isGithubStatus(e, 404)) {
      return undefined;
    }
    return target.fail(e, `look up ${target.fullName}`);
  }
}

/**
 * Whether the owner is an organization or a user, refusing what only an
 * organization can have (team access, internal visibility) and a user the
 * credentials do not belong to, since GitHub creates a user's repository
 * only for the authenticated user.
 */
export async function checkOwner(options: {
  target: GithubRepositoryTarget;
  teams: Array<{ team: string }>;
  visibility: Visibility;
}): Promise<'organization' | 'user'> {
  const { target, teams, visibility } = options;
  const { client, host, owner } = target;
  const ownerType = await client.users.getByUsername({ username: owner }).then(
    r => r.data.type,
    e => {
      if (isGithubStatus(e, 404)) {
        throw new InputError(`Owner ${owner} does not exist on ${host}`);
      }
      return target.fail(e, `look up owner ${owner}`);
    },
  );
  if (ownerType === 'Organization') {
    return 'organization';
  }
  if (teams.length > 0) {
    throw new InputError(
      `Team access needs an organization, but ${owner} is a user`,
    );
  }
  if (visibility === 'internal') {
    throw new InputError(
      `Visibility internal needs an organization, but ${owner} is a user`,
    );
  }
  const me = await client.users.getAuthenticated().then(
    r => r.data,
    e => target.fail(e, `look up the user of the ${host} credentials`),
  );
  if (me.login !== owner) {
    throw new NotAllowedError(
      `The ${host} credentials belong to ${me.login} and cannot create repositories for user ${owner}`,
    );
  }
  return 'user';
}

/** Refuses a team the organization does not have, before any write. */
export async function checkTeamsExist(options: {
  target: GithubRepositoryTarget;
  teams: Array<{ team: string }>;
}): Promise<void> {
  const { target } = options;
  const { client, host, owner } = target;
  for (const { team } of options.teams) {
    await client.teams.getByName({ org: owner, team_slug: team }).catch(e => {
      if (isGithubStatus(e, 404)) {
        throw new InputError(
          `Team ${team} does not exist in organization ${owner}, or the ${host} credentials cannot see it`,
        );
      }
      return target.fail(e, `look up team ${team} in ${owner}`);
    });
  }
}

function toCreatedRepository(found: {
  id: number;
  html_url: string;
  clone_url: string;
  default_branch: string;
}): CreatedRepository {
  return {
    id: found.id,
    htmlUrl: found.html_url,
    cloneUrl: found.clone_url,
    initialBranch: found.default_branch,
  };
}

type CreateOptions = {
  target: GithubRepositoryTarget;
  /** What `checkOwner` found. */
  ownerKind: 'organization' | 'user';
  description?: string;
  visibility: Visibility;
  /** `app.baseUrl` and the task, for the repository's homepage. */
  appBaseUrl: string;
  taskId: string;
  nonce: string;
};

/** One create request, never repeated by plugin-retry. */
async function sendCreate(options: CreateOptions) {
  const { client, owner, repo } = options.target;
  const request = { retries: 0 };
  const body = {
    name: repo,
    description: options.description,
    // Octokit 19's types predate `internal`, which GitHub accepts for
    // organization repositories (see `checkOwner`).
    visibility: options.visibility as 'public' | 'private',
    private: options.visibility === 'private',
    homepage: runHomepage(options),
    // The Git Data API refuses empty repositories, so GitHub writes a first
    // commit that our commit then replaces.
    auto_init: true,
  };
  const { data } =
    options.ownerKind === 'organization'
      ? await client.repos.createInOrg({ org: owner, ...body, request })
      : await client.repos.createForAuthenticatedUser({ ...body, request });
  return data;
}

/**
 * Creates the repository, or adopts `existing`, which an earlier execution
 * of the step created. Each try is sent once, since after an unclear
 * outcome (5xx, no answer) it looks before it creates again; a repository
 * found then is this run's only when it carries the nonce. A rate limit is a
 * definite refusal, already waited out by plugin-throttling as far as the
 * policy allows when it arrives here.
 */
export async function createRepository(
  options: CreateOptions & {
    existing?: Parameters<typeof toCreatedRepository>[0];
    /** Called when GitHub surely created nothing, so the intent can go. */
    discardIntent(): Promise<void>;
    policy: Required<
      Pick<GithubRequestPolicy, 'serverErrorRetries' | 'retryAfterBaseValue'>
    >;
    signal?: AbortSignal;
  },
): Promise<CreatedRepository> {
  const { target, policy, signal } = options;
  const { fullName, logger } = target;
  logger.info(
    `Creating ${options.visibility} repository ${fullName} on ${target.host}`,
  );
  if (options.existing) {
    logger.info(`Repository ${fullName} was already created by this run`);
    return toCreatedRepository(options.existing);
  }
  const cancelled = () => new Error(`Creating ${fullName} was cancelled`);
  for (let attempt = 1; ; attempt++) {
    try {
      return toCreatedRepository(await sendCreate(options));
    } catch (e) {
      const failure = describeGithubFailure(e);
      if (signal?.aborted) {
        throw cancelled();
      }
      if (
        failure.rateLimited ||
        (!failure.transient && !isGithubStatus(e, 422))
      ) {
        await options.discardIntent();
        return target.fail(e, `create ${fullName}`);
      }
      // A 422 after an unclear attempt, or an unclear outcome itself.
      const found = await findRepository(target);
      if (found && carriesNonce(found.homepage, options.nonce)) {
        logger.info(`Repository ${fullName} was created despite the error`);
        return toCreatedRepository(found);
      }
      if (found) {
        await options.discardIntent();
        throw new ConflictError(
          `Repository ${fullName} was created by someone else while this run was creating it`,
        );
      }
      if (attempt > policy.serverErrorRetries) {
        await options.discardIntent();
        return target.fail(e, `create ${fullName}`);
      }
      logger.info(`Creating ${fullName} again after: ${failure.message}`);
      // plugin-retry's pauses for the calls it repeats: 1, 4, 9… s.
      await delay(policy.retryAfterBaseValue * attempt ** 2, undefined, {
        signal,
      }).catch(() => {
        throw cancelled();
      });
    }
  }
}

export async function setTopics(options: {
  target: GithubRepositoryTarget;
  topics: string[];
}): Promise<void> {
  const { target, topics } = options;
  const { client, owner, repo, fullName } = target;
  target.logger.info(`Setting topics ${topics.join(', ')} on ${fullName}`);
  await client.repos
    .replaceAllTopics({ owner, repo, names: topics })
    .catch(e => target.fail(e, `set topics on ${fullName}`));
}

export async function grantTeam(options: {
  target: GithubRepositoryTarget;
  team: string;
  permission: TeamPermission;
}): Promise<void> {
  const { target, team, permission } = options;
  const { client, owner, repo, fullName } = target;
  target.logger.info(`Giving team ${team} ${permission} access to ${fullName}`);
  await client.teams
    .addOrUpdateRepoPermissionsInOrg({
      org: owner,
      team_slug: team,
      owner,
      repo,
      permission,
    })
    .catch(e => target.fail(e, `give team ${team} access to ${fullName}`));
}
