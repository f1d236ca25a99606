import { ConfigReader } from '@backstage/config';
import {
  readClusters,
  readPlatformKubernetesSettings,
  resolveQuota,
} from './config';

describe('readClusters', () => {
  it('reads the stock config locator clusters that have a service account token', () => {
    const clusters = readClusters(
      new ConfigReader({
        kubernetes: {
          clusterLocatorMethods: [
            { type: 'catalog' },
            {
              type: 'config',
              clusters: [
                {
                  name: 'prod',
                  url: 'https://prod:6443',
                  authProvider: 'serviceAccount',
                  serviceAccountToken: 't',
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
        },
      }),
    );
    expect(clusters).toEqual([
      {
        name: 'prod',
        url: 'https://prod:6443',
        serviceAccountToken: 't',
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
    ]);
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
