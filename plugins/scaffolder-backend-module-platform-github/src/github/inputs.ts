import { InputError } from '@backstage/errors';
import { ScmIntegrationRegistry } from '@backstage/integration';
import { parseRepoUrl } from '@backstage/plugin-scaffolder-node';

/*
 * GitHub's and git's own naming rules, checked before the first request so
 * that a bad value is an InputError naming it, never a half-made repository,
 * and so that no value can change the path of a request URL: Octokit escapes
 * path parameters but leaves `.` and `..` alone, which URL resolution then
 * follows.
 */

/**
 * Repository names, from GitHub's "Repository limits" documentation: at most
 * 100 ASCII letters, digits, `.`, `-` and `_`. GitHub silently strips a
 * `.git` ending (the repository would get another name than the one asked
 * for) and refuses a `.wiki` ending; `.` and `..` name no repository.
 */
const REPOSITORY_NAME = /^[A-Za-z0-9._-]{1,100}$/;
const RESERVED_REPOSITORY_NAME = /^\.{1,2}$|\.git$|\.wiki$/i;

/**
 * User and organization logins: at most 39 letters, digits and single
 * hyphens, neither first nor last, as GitHub's sign-up form enforces.
 */
const LOGIN = /^(?=.{1,39}$)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;

/**
 * Team slugs, which GitHub derives from the team name by lowercasing it and
 * replacing everything but letters, digits, `_` and `-` with single hyphens,
 * trimmed at both ends.
 */
const TEAM_SLUG = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/** GitHub's topics: lowercase letters, digits and hyphens, 50 characters. */
const TOPIC = /^[a-z0-9][a-z0-9-]{0,49}$/;

const quote = (value: string) => JSON.stringify(value);

export function assertRepositoryName(name: string): void {
  if (!REPOSITORY_NAME.test(name) || RESERVED_REPOSITORY_NAME.test(name)) {
    throw new InputError(
      `Repository name ${quote(
        name,
      )} is not a valid GitHub name: use 1 to 100 letters, digits, '.', '-' and '_', not '.' or '..', and no .git or .wiki ending`,
    );
  }
}

/** @public */
export function assertOwnerLogin(owner: string): void {
  if (!LOGIN.test(owner)) {
    throw new InputError(
      `Owner ${quote(
        owner,
      )} is not a valid GitHub login: use at most 39 letters, digits and single hyphens, not first or last`,
    );
  }
}

export function assertTeamSlug(team: string): void {
  if (!TEAM_SLUG.test(team)) {
    throw new InputError(
      `Team ${quote(
        team,
      )} is not a valid team slug: use the slug from the team's URL, lowercase letters, digits, '-' and '_'`,
    );
  }
}

export function assertTopic(topic: string): void {
  if (!TOPIC.test(topic)) {
    throw new InputError(
      `Topic ${quote(
        topic,
      )} is not valid: use lowercase letters, digits and hyphens, at most 50 characters`,
    );
  }
}

const isControlOrSpace = (c: string) => c <= ' ' || c === '\x7f';

/**
 * `git check-ref-format --branch`: the rules for `refs/heads/NAME`, plus the
 * two names git refuses for a branch (`HEAD`, and anything starting with
 * `-`, which would read as an option).
 */
const BRANCH_RULES: [(branch: string) => boolean, string][] = [
  [b => b === '', 'it is empty'],
  [b => b === '@' || b === 'HEAD', 'git reserves it'],
  [b => b.startsWith('-'), "it starts with '-'"],
  [
    b => [...b].some(c => isControlOrSpace(c) || '~^:?*[\\'.includes(c)),
    'it contains a space, a control character or one of ~ ^ : ? * [ \\',
  ],
  [b => b.includes('..'), "it contains '..'"],
  [b => b.includes('@{'), "it contains '@{'"],
  [
    b => b.startsWith('/') || b.endsWith('/') || b.includes('//'),
    "it starts or ends with '/' or contains '//'",
  ],
  [b => b.endsWith('.'), "it ends with '.'"],
  [
    b => b.split('/').some(part => part.startsWith('.')),
    "a part of it starts with '.'",
  ],
  [
    b => b.split('/').some(part => part.endsWith('.lock')),
    "a part of it ends with '.lock'",
  ],
];

export function assertBranchName(branch: string): void {
  const broken = BRANCH_RULES.find(([breaks]) => breaks(branch));
  if (broken) {
    throw new InputError(
      `Default branch ${quote(branch)} is not a valid git branch name: ${
        broken[1]
      }`,
    );
  }
}

/**
 * Everything of a `platform:github:repo:create` input that GitHub's and
 * git's rules decide, checked before any request: the repository URL's
 * owner and name, the branch, topics and team slugs. The action and the
 * preflight both call it, so both refuse the same values the same way.
 *
 * @public
 */
export function checkRepositoryInput(
  input: {
    repoUrl: string;
    defaultBranch?: string;
    topics?: string[];
    teams?: Array<{ team: string }>;
  },
  integrations: ScmIntegrationRegistry,
): { host: string; owner: string; repo: string } {
  const { host, owner, repo } = parseRepoUrl(input.repoUrl, integrations);
  if (!owner) {
    throw new InputError(`repoUrl ${input.repoUrl} names no owner`);
  }
  assertOwnerLogin(owner);
  assertRepositoryName(repo);
  if (input.defaultBranch !== undefined) {
    assertBranchName(input.defaultBranch);
  }
  (input.topics ?? []).forEach(assertTopic);
  (input.teams ?? []).forEach(t => assertTeamSlug(t.team));
  return { host, owner, repo };
}
