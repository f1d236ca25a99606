import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  PlatformPermissions,
  RollbackJournal,
} from '@internal/plugin-platform-node';
import { createKubernetesClient, KubernetesClient } from './client';
import {
  KubernetesCluster,
  PlatformKubernetesSettings,
  readClusters,
  readPlatformKubernetesSettings,
  selectCluster,
} from './config';

/**
 * What every Kubernetes action is built from: the writable clusters and the
 * platform's settings, read once from app-config in `module.ts`.
 *
 * @public
 */
export interface PlatformKubernetes {
  clusters: KubernetesCluster[];
  settings: PlatformKubernetesSettings;
  /** A client for the cluster a template names, or the default cluster. */
  clientFor(cluster: string | undefined): KubernetesClient;
  /**
   * For a dry run: undefined when no cluster is configured at all and the
   * template names none (the template editor on a portal without
   * clusters), so the dry run only logs what it would do.
   */
  dryRunClientFor(cluster: string | undefined): KubernetesClient | undefined;
}

/**
 * What every Kubernetes action is created with, injected from `module.ts`.
 *
 * @public
 */
export interface KubernetesActionOptions {
  kubernetes: PlatformKubernetes;
  journal: RollbackJournal;
  access: PlatformPermissions;
}

/**
 * The client a step works with: for a dry run, undefined when there is no
 * cluster to ask (see `dryRunClientFor`).
 */
export function clientForStep(options: {
  kubernetes: PlatformKubernetes;
  cluster: string | undefined;
  isDryRun?: boolean;
}): KubernetesClient | undefined {
  return options.isDryRun
    ? options.kubernetes.dryRunClientFor(options.cluster)
    : options.kubernetes.clientFor(options.cluster);
}

/** @public */
export function readPlatformKubernetes(config: Config): PlatformKubernetes {
  const clusters = readClusters(config);
  const settings = readPlatformKubernetesSettings(config);
  return {
    clusters,
    settings,
    clientFor(cluster) {
      return createKubernetesClient(selectCluster(clusters, settings, cluster));
    },
    dryRunClientFor(cluster) {
      if (cluster === undefined && clusters.length === 0) {
        return undefined;
      }
      return createKubernetesClient(selectCluster(clusters, settings, cluster));
    },
  };
}

/** What a dry run says in place of the cluster name when there is none. */
export const NO_CLUSTER = 'none configured';

/** Why a dry run could not ask the API server, when there is no cluster. */
export const NO_CLUSTER_CONFIGURED = 'no Kubernetes cluster is configured';

/**
 * Logs the objects a dry run would write, in full (they hold no secret), and
 * why the API server's own dry run was skipped, if it was.
 */
export function logDryRunObjects(options: {
  logger: LoggerService;
  verb: string;
  objects: Array<{ kind: string; metadata: { name: string } }>;
  skipped?: string;
}): void {
  if (options.skipped) {
    options.logger.info(
      `Dry run: ${options.skipped}, so the API server's own dry run was skipped`,
    );
  }
  for (const object of options.objects) {
    options.logger.info(
      `Dry run: would ${options.verb} ${object.kind} ${
        object.metadata.name
      }: ${JSON.stringify(object)}`,
    );
  }
}
