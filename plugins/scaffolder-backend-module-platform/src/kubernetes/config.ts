import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { parseQuantity } from './quantity';

/**
 * A cluster the platform actions may write to. The token stays in this
 * object and in the client built from it; it is never journaled, logged or
 * sent to a template.
 */
export interface KubernetesCluster {
  name: string;
  url: string;
  serviceAccountToken: string;
  skipTLSVerify: boolean;
  caData?: string;
}

/** Resources a namespace's quota limits, by ResourceQuota `hard` key. */
export type QuotaRequest = Partial<Record<QuotaResource, string>>;
export const QUOTA_RESOURCES = ['cpu', 'memory', 'pods'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** `platform.kubernetes` in app-config, with defaults filled in. */
export interface PlatformKubernetesSettings {
  defaultCluster?: string;
  quota: {
    default: Record<QuotaResource, string>;
    maximum: Record<QuotaResource, string>;
  };
  limitRange: {
    defaultRequest: { cpu: string; memory: string };
    default: { cpu: string; memory: string };
  };
  rolloutTimeoutSeconds: number;
  namespaceDeletionTimeoutSeconds: number;
}

const DEFAULT_QUOTA = { cpu: '4', memory: '8Gi', pods: '20' };

/**
 * The clusters of the stock Kubernetes plugin's config locator
 * (`kubernetes.clusterLocatorMethods[type=config].clusters`), so the entity
 * page's Kubernetes tab reads the same clusters the actions write to. Only
 * clusters with a service account token can be written to.
 */
export function readClusters(config: Config): KubernetesCluster[] {
  const methods =
    config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
  return methods
    .filter(method => method.getString('type') === 'config')
    .flatMap(method => method.getOptionalConfigArray('clusters') ?? [])
    .flatMap(cluster => {
      const token = cluster.getOptionalString('serviceAccountToken');
      const authProvider = cluster.getOptionalString('authProvider');
      if (authProvider !== 'serviceAccount' || !token) {
        return [];
      }
      return [
        {
          name: cluster.getString('name'),
          url: cluster.getString('url'),
          serviceAccountToken: token,
          skipTLSVerify: cluster.getOptionalBoolean('skipTLSVerify') ?? false,
          caData: cluster.getOptionalString('caData'),
        },
      ];
    });
}

function readQuantities(
  config: Config | undefined,
  fallback: Record<QuotaResource, string>,
  key: string,
): Record<QuotaResource, string> {
  const result = { ...fallback };
  for (const resource of QUOTA_RESOURCES) {
    const value = config?.getOptional<string | number>(resource);
    if (value !== undefined) {
      parseQuantity(String(value), `${key}.${resource}`);
      result[resource] = String(value);
    }
  }
  return result;
}

export function readPlatformKubernetesSettings(
  config: Config,
): PlatformKubernetesSettings {
  const root = config.getOptionalConfig('platform.kubernetes');
  const quotaDefault = readQuantities(
    root?.getOptionalConfig('quota.default'),
    DEFAULT_QUOTA,
    'platform.kubernetes.quota.default',
  );
  const limitRange = root?.getOptionalConfig('limitRange');
  return {
    defaultCluster: root?.getOptionalString('defaultCluster'),
    quota: {
      default: quotaDefault,
      // Without a configured maximum a template may not go beyond the default.
      maximum: readQuantities(
        root?.getOptionalConfig('quota.maximum'),
        quotaDefault,
        'platform.kubernetes.quota.maximum',
      ),
    },
    limitRange: {
      defaultRequest: {
        cpu: limitRange?.getOptionalString('defaultRequest.cpu') ?? '100m',
        memory:
          limitRange?.getOptionalString('defaultRequest.memory') ?? '128Mi',
      },
      default: {
        cpu: limitRange?.getOptionalString('default.cpu') ?? '500m',
        memory: limitRange?.getOptionalString('default.memory') ?? '512Mi',
      },
    },
    rolloutTimeoutSeconds:
      root?.getOptionalNumber('rolloutTimeoutSeconds') ?? 300,
    namespaceDeletionTimeoutSeconds:
      root?.getOptionalNumber('namespaceDeletionTimeoutSeconds') ?? 60,
  };
}

/** The cluster a template names, or the default one. */
export function selectCluster(
  clusters: KubernetesCluster[],
  settings: PlatformKubernetesSettings,
  requested: string | undefined,
): KubernetesCluster {
  const name = requested ?? settings.defaultCluster ?? clusters[0]?.name;
  const cluster = clusters.find(c => c.name === name);
  if (!cluster) {
    throw new InputError(
      name
        ? `Cluster ${name} is not configured for platform actions; configure it under kubernetes.clusterLocatorMethods with authProvider serviceAccount and a serviceAccountToken (known: ${
            clusters.map(c => c.name).join(', ') || 'none'
          })`
        : 'No Kubernetes cluster is configured for platform actions under kubernetes.clusterLocatorMethods',
    );
  }
  return cluster;
}

/**
 * The quota a template asks for, over `base` (the configured defaults for a
 * new namespace), refused when any resource goes beyond the configured
 * maximum.
 */
export function resolveQuota(
  settings: PlatformKubernetesSettings,
  requested: QuotaRequest | undefined,
  base: Record<string, string> = settings.quota.default,
): Record<string, string> {
  const quota = { ...base };
  for (const resource of QUOTA_RESOURCES) {
    const value = requested?.[resource];
    if (value === undefined) {
      continue;
    }
    const amount = parseQuantity(String(value), `quota.${resource}`);
    const maximum = settings.quota.maximum[resource];
    if (amount > parseQuantity(maximum, `maximum ${resource}`)) {
      throw new InputError(
        `Quota ${resource}=${value} is more than the maximum of ${maximum} that platform.kubernetes.quota.maximum allows`,
      );
    }
    quota[resource] = String(value).trim();
  }
  return quota;
}
