import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import {
  readClusters,
  readPlatformKubernetesSettings,
  resolveQuota,
} from './config';

describe('readClusters', () => {
  const stockClusters = {
    clusterLocatorMethods: [
      { type: 'catalog' },
      {
        type: 'config',
        clusters: [
          {
            name: 'prod',
            url: 'https://prod:6443',
            authProvider: 'serviceAccount',
            serviceAccountToken: 'tab-token',
            caData: 'Y2E=',
          },
          { name: 'gke', url: 'https://gke', authProvider: 'google' },
          {
            name: 'dev',
            url: 'https://dev:6443',
            authProvider: 'serviceAccount',
            serviceAccountToken: 'd',
            skipTLSVerify: true,
          },
        ],
      },
    ],
  };

  it('writes to no cluster of the Kubernetes tab that the platform does not list', () => {
    expect(
      readClusters(new ConfigReader({ kubernetes: stockClusters })),
    ).toEqual([]);
  });

  it('takes what a listed cluster does not set from the stock cluster of that name', () => {
    const clusters = readClusters(
      new ConfigReader({
        kubernetes: stockClusters,
        platform: {
          kubernetes: {
            clusters: [
              { name: 'prod', serviceAccountToken: 'platform-writer' },
              { name: 'dev' },
              {
                name: 'edge',
                url: 'https://edge:6443',
                serviceAccountToken: 'e',
              },
            ],
          },
        },
      }),
    );
    expect(clusters).toEqual([
      {
        name: 'prod',
        url: 'https://prod:6443',
        serviceAccountToken: 'platform-writer',
        skipTLSVerify: false,
        caData: 'Y2E=',
      },
      {
        name: 'dev',
        url: 'https://dev:6443',
        serviceAccountToken: 'd',
        skipTLSVerify: true,
        caData: undefined,
      },
      {
        name: 'edge',
        url: 'https://edge:6443',
        serviceAccountToken: 'e',
        skipTLSVerify: false,
        caData: undefined,
      },
    ]);
  });

  it.each([
    ['gke', 'a stock cluster without a service account token'],
    ['nowhere', 'a name the Kubernetes tab does not know'],
  ])('refuses to start with %s listed (%s) and no token of its own', name => {
    expect(() =>
      readClusters(
        new ConfigReader({
          kubernetes: stockClusters,
          platform: { kubernetes: { clusters: [{ name }] } },
        }),
      ),
    ).toThrow(
      `platform.kubernetes.clusters: cluster ${name} needs a url and a serviceAccountToken`,
    );
  });
});

describe('resolveQuota', () => {
  const settings = readPlatformKubernetesSettings(
    new ConfigReader({
      platform: {
        kubernetes: {
          quota: { maximum: { cpu: '8', memory: '16Gi', pods: 40 } },
        },
      },
    }),
  );

  it('starts from the default quota', () => {
    expect(resolveQuota(settings, undefined)).toEqual({
      cpu: '4',
      memory: '8Gi',
      pods: '20',
    });
  });

  it.each([
    [{ cpu: '7500m' }, { cpu: '7500m', memory: '8Gi', pods: '20' }],
    [{ memory: '16384Mi' }, { cpu: '4', memory: '16384Mi', pods: '20' }],
    [{ pods: '40' }, { cpu: '4', memory: '8Gi', pods: '40' }],
  ])('grants %j up to the maximum', (requested, expected) => {
    expect(resolveQuota(settings, requested)).toEqual(expected);
  });

  it.each([
    [{ cpu: '8001m' }, 'Quota cpu=8001m is more than the maximum of 8'],
    [{ memory: '17Gi' }, 'Quota memory=17Gi is more than the maximum of 16Gi'],
    [{ pods: '41' }, 'Quota pods=41 is more than the maximum of 40'],
    [{ cpu: '1e3' }, 'quota.cpu "1e3" is not a Kubernetes quantity'],
  ])('refuses %j', (requested, message) => {
    expect(() => resolveQuota(settings, requested)).toThrow(message);
  });

  it('without a configured maximum, allows no more than the default', () => {
    const strict = readPlatformKubernetesSettings(new ConfigReader({}));
    expect(() => resolveQuota(strict, { cpu: '5' })).toThrow(
      'more than the maximum of 4',
    );
  });
});

describe('readPlatformKubernetesSettings timeouts', () => {
  const settingsWith = (kubernetes: JsonObject) =>
    readPlatformKubernetesSettings(
      new ConfigReader({ platform: { kubernetes } }),
    );

  it('waits 5 minutes for a rollout and 1 minute for a namespace by default', () => {
    expect(settingsWith({})).toMatchObject({
      rolloutTimeoutMs: 300_000,
      namespaceDeletionTimeoutMs: 60_000,
    });
  });

  it.each([
    [{ minutes: 10 }, 600_000],
    ['90s', 90_000],
    ['PT2M', 120_000],
  ])('reads a duration given as %j', (duration, milliseconds) => {
    expect(
      settingsWith({
        rolloutTimeout: duration,
        namespaceDeletionTimeout: duration,
      }),
    ).toMatchObject({
      rolloutTimeoutMs: milliseconds,
      namespaceDeletionTimeoutMs: milliseconds,
    });
  });

  it.each([
    [
      { rolloutTimeoutSeconds: 300 },
      "platform.kubernetes.rolloutTimeoutSeconds is no longer read; give platform.kubernetes.rolloutTimeout as a duration, such as { seconds: 300 } or '300s'",
    ],
    [
      { namespaceDeletionTimeoutSeconds: 60 },
      'platform.kubernetes.namespaceDeletionTimeoutSeconds is no longer read',
    ],
    [{ rolloutTimeout: 300 }, 'rolloutTimeout'],
  ])(
    'refuses %j rather than quietly waiting the default',
    (kubernetes, message) => {
      expect(() => settingsWith(kubernetes)).toThrow(message);
    },
  );
});
