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
    /**
     * Settings of the platform:kubernetes:* actions. Clusters and their
     * service account tokens come from the stock Kubernetes plugin's
     * kubernetes.clusterLocatorMethods (type config, authProvider
     * serviceAccount), so the entity page's Kubernetes tab reads the same
     * clusters.
     */
    kubernetes?: {
      /** Cluster used when a template names none; default the first configured. */
      defaultCluster?: string;
      /** The ResourceQuota of a new namespace, and how far a template may raise it. */
      quota?: {
        /** Default cpu 4, memory 8Gi, pods 20. */
        default?: { cpu?: string | number; memory?: string; pods?: number };
        /** Default: the default quota, so templates cannot raise it. */
        maximum?: { cpu?: string | number; memory?: string; pods?: number };
      };
      /** Container defaults of the namespace's LimitRange. */
      limitRange?: {
        /** Default cpu 100m, memory 128Mi. */
        defaultRequest?: { cpu?: string; memory?: string };
        /** Default cpu 500m, memory 512Mi. */
        default?: { cpu?: string; memory?: string };
      };
      /** How long platform:kubernetes:apply waits for a Deployment. Default 300. */
      rolloutTimeoutSeconds?: number;
      /** How long rollback waits for a namespace to finish terminating. Default 60. */
      namespaceDeletionTimeoutSeconds?: number;
    };
  };
}
