export { startGithubApiServer } from './server';
export type {
  GithubApiServerOptions,
  GithubRecordedRequest,
  GithubTokenGrant,
  LocalGithubApiServer,
} from './server';
export type { GithubFaultOptions } from './faults';
export type { GithubGitCommit, GithubGitIdentity, GithubRepo } from './store';
