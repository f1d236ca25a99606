import { HumanDuration } from '@backstage/types';

export interface Config {
  platform?: {
    /** Settings of the platform:github:* actions. */
    github?: {
      /**
       * The largest first commit platform:github:repo:create pushes, in bytes
       * (the workspace files it would commit, added up). Default 52428800
       * (50 MiB).
       */
      maxFirstCommitBytes?: number;
      /**
       * The longest a GitHub call waits out a rate limit, as a
       * HumanDuration such as { minutes: 2 }. A primary limit that resets
       * later, or a secondary limit asking for more, fails the step at once
       * with a message that says when to try again. Default 2 minutes.
       */
      maxRateLimitWait?: HumanDuration | string;
      /**
       * How often a call is tried again after GitHub's secondary rate limit,
       * waiting retry-after (at least a minute when GitHub gives none),
       * twice as long each time. Default 2.
       */
      secondaryRateLimitRetries?: number;
      /**
       * Leave a second between writes with one token, as GitHub asks.
       * Default true.
       */
      paceWrites?: boolean;
    };
  };
}
