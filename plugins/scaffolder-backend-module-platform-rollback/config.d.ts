import { HumanDuration } from '@backstage/types';

export interface Config {
  platform?: {
    /** How the platform's rollback module undoes what failed or cancelled runs created. */
    rollback?: {
      /**
       * Time between looks at runs that created resources, on the backend's
       * scheduler, by one replica at a time; a rollback starts within about
       * one interval of the run's failure. Default 1 second.
       */
      pollInterval?: HumanDuration | string;
      /**
       * How long one resource's deletion is retried on 5xx, timeouts and
       * rate limits before it is reported as rollback_failed. Default 5
       * minutes.
       */
      maxDurationPerResource?: HumanDuration | string;
      /**
       * How long a backend instance holds a run it is rolling back, so that
       * replicas do not roll back the same run at once. Default 30 seconds.
       */
      lease?: HumanDuration | string;
    };
  };
}
