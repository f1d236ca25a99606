import { ConfigReader } from '@backstage/config';
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
