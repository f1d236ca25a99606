import { HumanDuration } from '@backstage/types';

export interface Config {
  platform?: {
    /** Settings of the platform:kubernetes:* actions. */
    kubernetes?: {
      /**
       * The clusters platform actions may write to, and only these. A
       * cluster of the stock Kubernetes plugin's
       * kubernetes.clusterLocatorMethods (type config) is never written to
       * unless it is listed here. An entry that gives only a name takes the
       * url, CA and service account token of the stock cluster of that name;
       * give a serviceAccountToken here to write with another service
       * account than the one the Kubernetes tab reads with.
       */
      clusters?: Array<{
        /** The cluster's name, as templates and the Kubernetes tab call it. */
        name: string;
        /** The API server URL; default the stock cluster's. */
        url?: string;
        /**
         * The token of the service account platform actions write with;
         * default the stock cluster's.
         * @visibility secret
         */
        serviceAccountToken?: string;
        /** The API server's CA certificate, base64 PEM; default the stock cluster's. */
        caData?: string;
        /** Skip TLS verification (local clusters only); default the stock cluster's, else false. */
        skipTLSVerify?: boolean;
      }>;
      /** Cluster used when a template names none; default the first listed. */
      defaultCluster?: string;
      /**
       * What platform:kubernetes:apply deploys, checked before any write,
       * and the Pod Security Admission level of namespaces the platform
       * creates.
       */
      policy?: {
        /**
         * The Pod Security Standard every workload must meet, and the
         * pod-security.kubernetes.io labels of new namespaces. Default
         * restricted.
         */
        podSecurity?: 'restricted' | 'baseline' | 'privileged';
        /** Service types a manifest may use. Default [ClusterIP]. */
        allowedServiceTypes?: Array<
          'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName'
        >;
        /**
         * The domain public services get their host under: an Ingress may
         * only use SERVICE.ingressDomain. Without it, no Ingress is applied.
         */
        ingressDomain?: string;
        /**
         * Annotations an Ingress may carry, such as
         * cert-manager.io/cluster-issuer. Default none.
         */
        allowedIngressAnnotations?: string[];
      };
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
      /**
       * How long platform:kubernetes:apply waits for a Deployment to become
       * available, such as { minutes: 5 } or '5m'. Default 5 minutes.
       */
      rolloutTimeout?: HumanDuration | string;
      /**
       * How long rollback waits for a namespace to finish terminating, such
       * as { minutes: 1 } or '1m'. Default 1 minute.
       */
      namespaceDeletionTimeout?: HumanDuration | string;
    };
  };
}
