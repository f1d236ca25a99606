import { Config } from '@backstage/config';
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
 */
export interface PlatformKubernetes {
  clusters: KubernetesCluster[];
  settings: PlatformKubernetesSettings;
  /** A client for the cluster a template names, or the default cluster. */
  clientFor(cluster: string | undefined): KubernetesClient;
}

export function readPlatformKubernetes(config: Config): PlatformKubernetes {
  const clusters = readClusters(config);
  const settings = readPlatformKubernetesSettings(config);
  return {
    clusters,
    settings,
    clientFor(cluster) {
      return createKubernetesClient(selectCluster(clusters, settings, cluster));
    },
  };
}

/** Zod descriptions shared by the actions' `cluster` inputs. */
export const CLUSTER_DESCRIPTION =
  'Name of the cluster, as configured under kubernetes.clusterLocatorMethods in app-config; defaults to platform.kubernetes.defaultCluster or the first configured cluster';
