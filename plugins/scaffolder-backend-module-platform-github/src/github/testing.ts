import { GithubRequestPolicy } from './client';

/**
 * For tests against the loopback GitHub server: a second of any wait lasts
 * a millisecond and writes are not paced, so a test never sleeps for real.
 */
export const FAST_GITHUB_POLICY: GithubRequestPolicy = {
  retryAfterBaseValue: 1,
  paceWrites: false,
};
