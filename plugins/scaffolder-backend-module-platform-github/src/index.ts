/**
 * The platform's GitHub actions for `@backstage/plugin-scaffolder-backend`.
 *
 * @packageDocumentation
 */

export { scaffolderModulePlatformGithub as default } from './module';
export {
  createGithubRepoCreateAction,
  type GithubRepoCreateActionOptions,
} from './actions/githubRepoCreate';
export {
  createGithubRepositoryCompensator,
  GITHUB_REPOSITORY_KIND,
} from './github/githubRepositoryCompensator';
export { scrubbedCredentialsProvider } from './github/scrubbedCredentialsProvider';
export {
  createGithubClient,
  describeGithubFailure,
  isGithubStatus,
  readGithubRequestPolicy,
  DEFAULT_GITHUB_REQUEST_POLICY,
  type GithubClientOptions,
  type GithubFailure,
  type GithubRequestPolicy,
} from './github/client';
export { assertOwnerLogin, checkRepositoryInput } from './github/inputs';
export {
  carriesNonce,
  isCreatedByEntry,
  runHomepage,
} from './github/ownership';
