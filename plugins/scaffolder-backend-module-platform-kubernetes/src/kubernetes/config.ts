import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds, HumanDuration } from '@backstage/types';
import { InputError } from '@backstage/errors';
import {
  DEFAULT_DEPLOYMENT_POLICY,
  DeploymentPolicySettings,
  PodSecurityLevel,
} from './deploymentPolicy';
import { parseQuantity } from './quantity';

/**
 * A cluster the platform actions may write to. The token stays in this
 * object and in the client built from it; it is never journaled, logged or
 * sent to a template.
 *
 * @public
 */
export interface KubernetesCluster {
  name: string;
  url: string;
  serviceAccountToken: string;
  skipTLSVerify: boolean;
  caData?: string;
}

/**
 * Resources a namespace's quota limits, by ResourceQuota `hard` key.
 *
 * @public
 */
export type QuotaRequest = Partial<Record<QuotaResource, string>>;
/** @public */
export const QUOTA_RESOURCES = ['cpu', 'memory', 'pods'] as const;
/** @public */
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/**
 * `platform.kubernetes` in app-config, with defaults filled in.
 *
 * @public
 */
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
  /** How long platform:kubernetes:apply waits for a Deployment, in milliseconds. */
  rolloutTimeoutMs: number;
  /** How long rollback waits for a namespace to finish terminating, in milliseconds. */
  namespaceDeletionTimeoutMs: number;
  policy: DeploymentPolicySettings;
}

const DEFAULT_QUOTA = { cpu: '4', memory: '8Gi', pods: '20' };

/**
 * The clusters platform actions may write to: exactly those listed under
 * `platform.kubernetes.clusters`. The stock Kubernetes plugin reads every
 * cluster of `kubernetes.clusterLocatorMethods`, often with a token that can
 * write; listing a cluster for the platform is a separate, deliberate step.
 * A listed cluster takes what it does not set itself (url, CA, token) from
 * the stock cluster of the same name, so the entity page's Kubernetes tab
 * and the actions agree on what a cluster name means.
 */
export function readClusters(config: Config): KubernetesCluster[] {
  const stock = new Map(
    (config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [])
      .filter(method => method.getString('type') === 'config')
      .flatMap(method => method.getOptionalConfigArray('clusters') ?? [])
      .map(cluster => [cluster.getString('name'), cluster]),
  );
  const listed =
    config.getOptionalConfigArray('platform.kubernetes.clusters') ?? [];
  return listed.map(entry => {
    const name = entry.getString('name');
    const tab = stock.get(name);
    const tabToken =
      tab?.getOptionalString('authProvider') === 'serviceAccount'
        ? tab.getOptionalString('serviceAccountToken')
        : undefined;
    const url = entry.getOptionalString('url') ?? tab?.getOptionalString('url');
    const serviceAccountToken =
      entry.getOptionalString('serviceAccountToken') ?? tabToken;
    if (!url || !serviceAccountToken) {
      throw new Error(
        `platform.kubernetes.clusters: cluster ${name} needs a url and a serviceAccountToken, set there or on a kubernetes.clusterLocatorMethods cluster named ${name} with authProvider serviceAccount`,
      );
    }
    return {
      name,
      url,
      serviceAccountToken,
      skipTLSVerify:
        entry.getOptionalBoolean('skipTLSVerify') ??
        tab?.getOptionalBoolean('skipTLSVerify') ??
        false,
      caData:
        entry.getOptionalString('caData') ?? tab?.getOptionalString('caData'),
    };
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

/**
 * A duration key of `platform.kubernetes`, in milliseconds. Its former
 * name in seconds is refused rather than ignored, so an upgrade cannot
 * quietly fall back to the default.
 */
function readTimeout(
  root: Config | undefined,
  key: string,
  fallback: HumanDuration,
): number {
  const formerValue = root?.getOptional(`${key}Seconds`);
  if (formerValue !== undefined) {
    throw new InputError(
      `platform.kubernetes.${key}Seconds is no longer read; give platform.kubernetes.${key} as a duration, such as { seconds: ${formerValue} } or '${formerValue}s'`,
    );
  }
  return durationToMilliseconds(
    root?.has(key) ? readDurationFromConfig(root, { key }) : fallback,
  );
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
    rolloutTimeoutMs: readTimeout(root, 'rolloutTimeout', { minutes: 5 }),
    namespaceDeletionTimeoutMs: readTimeout(root, 'namespaceDeletionTimeout', {
      minutes: 1,
    }),
    policy: readDeploymentPolicy(root?.getOptionalConfig('policy')),
  };
}

const POD_SECURITY_LEVELS: PodSecurityLevel[] = [
  'restricted',
  'baseline',
  'privileged',
];

function readDeploymentPolicy(
  policy: Config | undefined,
): DeploymentPolicySettings {
  const defaults = DEFAULT_DEPLOYMENT_POLICY;
  const podSecurity =
    policy?.getOptionalString('podSecurity') ?? defaults.podSecurity;
  if (!POD_SECURITY_LEVELS.includes(podSecurity as PodSecurityLevel)) {
    throw new InputError(
      `platform.kubernetes.policy.podSecurity is ${podSecurity}; use one of ${POD_SECURITY_LEVELS.join(
        ', ',
      )}`,
    );
  }
  return {
    podSecurity: podSecurity as PodSecurityLevel,
    allowedServiceTypes:
      policy?.getOptionalStringArray('allowedServiceTypes') ??
      defaults.allowedServiceTypes,
    ingressDomain:
      policy?.getOptionalString('ingressDomain') ?? defaults.ingressDomain,
    allowedIngressAnnotations:
      policy?.getOptionalStringArray('allowedIngressAnnotations') ??
      defaults.allowedIngressAnnotations,
  };
}

/**
 * The cluster a template names, or the default one.
 *
 * @public
 */
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
        ? `Cluster ${name} is not listed for platform actions under platform.kubernetes.clusters (listed: ${
            clusters.map(c => c.name).join(', ') || 'none'
          })`
        : 'No Kubernetes cluster is listed for platform actions under platform.kubernetes.clusters',
    );
  }
  return cluster;
}

/**
 * The quota a template asks for, over `base` (the configured defaults for a
 * new namespace), refused when any resource goes beyond the configured
 * maximum.
 *
 * @public
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
