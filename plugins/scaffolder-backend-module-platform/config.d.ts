export interface Config {
  platform?: {
    /** How the scaffolder module undoes what failed or cancelled runs created. */
    rollback?: {
      /**
       * Seconds between looks at runs that created resources; a rollback
       * starts within one interval of the run's failure. Default 2.
       */
      pollIntervalSeconds?: number;
      /**
       * Seconds one resource's deletion is retried on 5xx, timeouts and
       * rate limits before it is reported as rollback_failed. Default 300.
       */
      maxDurationPerResourceSeconds?: number;
      /**
       * Seconds a backend instance holds a run it is rolling back, so that
       * replicas do not roll back the same run at once. Default 30.
       */
      leaseSeconds?: number;
    };
  };
}
