import {
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import {
  JournalEntry,
  ResourceCompensator,
  TransientCompensationError,
} from '@internal/plugin-platform-node';
import {
  createGithubClient,
  describeGithubFailure,
  GithubRequestPolicy,
  isGithubStatus,
} from './client';
import { isCreatedByEntry } from './ownership';

/**
 * The journal kind of a repository created by `platform:github:repo:create`.
 *
 * @public
 */
export const GITHUB_REPOSITORY_KIND = 'github:repository';

/** What the action journals about a repository; never a token. */
export interface GithubRepositoryFacts {
  host: string;
  owner: string;
  repo: string;
  /**
   * Random, journaled before the create and put in the homepage of the
   * repository the create makes (see `runHomepage`), to recognise it after
   * an unclear outcome.
   */
  nonce: string;
  /** GitHub's id of the repository, once the action saw it created. */
  repoId?: number;
}

function transientOrFinal(error: unknown, doing: string): Error {
  const failure = describeGithubFailure(error);
  const message = `Could not ${doing}: ${failure.message}`;
  return failure.transient
    ? new TransientCompensationError(message, {
        retryAfterMs: failure.retryAfterMs,
      })
    : new Error(message);
}

/**
 * Deletes a repository a run created. It deletes only the repository whose
 * GitHub id the journal recorded, or, for an intent whose outcome was never
 * seen, one whose homepage carries the entry's nonce; a repository with the
 * same name that someone else created, even one stamped with the run's task
 * URL, is left alone and counts as "ours is gone".
 *
 * Its calls go through the same client as the action's, with the same
 * policy, except that a rate limit is never waited out inside an attempt
 * (which the engine bounds in time): it ends the attempt as a
 * `TransientCompensationError` whose `retryAfterMs` says what GitHub asks,
 * and the engine waits that long, or reports the resource with the time to
 * try again when that is beyond its bound.
 *
 * @public
 */
export function createGithubRepositoryCompensator(
  options: {
    integrations: ScmIntegrationRegistry;
    credentialsProvider: GithubCredentialsProvider;
  } & GithubRequestPolicy,
): ResourceCompensator {
  return {
    kind: GITHUB_REPOSITORY_KIND,
    async compensate(entry: JournalEntry, { signal }) {
      const facts = entry.data as unknown as GithubRepositoryFacts;
      const { owner, repo } = facts;
      const client = await createGithubClient({
        ...options,
        ...facts,
        signal,
        maxRateLimitWaitSeconds: 0,
        secondaryRateLimitRetries: 0,
      });

      let found;
      try {
        found = (await client.repos.get({ owner, repo })).data;
      } catch (e) {
        if (isGithubStatus(e, 404)) {
          return 'already_gone';
        }
        throw transientOrFinal(e, `look up ${owner}/${repo}`);
      }
      if (facts.repoId === undefined && !facts.nonce) {
        // Journaled before runs recorded nonces: nothing can tell this
        // repository from one someone else made, so a person decides.
        throw new Error(
          `The run recorded no proof that it created ${owner}/${repo}; if it is the run's, delete it by hand`,
        );
      }
      if (!isCreatedByEntry(found, entry)) {
        return 'already_gone';
      }

      try {
        await client.repos.delete({ owner, repo });
        return 'deleted';
      } catch (e) {
        if (isGithubStatus(e, 404)) {
          return 'already_gone';
        }
        const failure = describeGithubFailure(e);
        if (failure.status === 403 && !failure.rateLimited) {
          const scopes = failure.tokenScopes;
          const missingScope = scopes && !scopes.includes('delete_repo');
          throw new Error(
            missingScope
              ? `GitHub refused to delete ${owner}/${repo}: the token lacks the delete_repo scope (it has: ${
                  scopes.join(', ') || 'no scopes'
                }). Delete the repository by hand or give the integration token the delete_repo scope.`
              : `GitHub refused to delete ${owner}/${repo}: ${failure.message}. The integration needs admin rights on the repository (delete_repo scope for a token, Administration write for a GitHub App).`,
          );
        }
        throw transientOrFinal(e, `delete ${owner}/${repo}`);
      }
    },
  };
}
