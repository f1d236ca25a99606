export { startGithubApiServer } from './server';
export type {
  GithubApiServerOptions,
  GithubFaultOptions,
  GithubGitCommit,
  GithubRecordedRequest,
  GithubRepo,
  GithubTokenGrant,
  LocalGithubApiServer,
} from './server';
