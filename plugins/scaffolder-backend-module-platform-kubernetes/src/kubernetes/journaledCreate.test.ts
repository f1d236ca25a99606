import { ApiException } from '@kubernetes/client-node';
import { startTestCluster, TestCluster } from '@internal/platform-test-utils';
import { KubernetesClient } from './client';
import { journalIdentity, journaledCreate } from './journaledCreate';

describe('journaledCreate', () => {
  let cluster: TestCluster;

  beforeEach(async () => {
    cluster = await startTestCluster();
  });

  afterEach(async () => {
    await cluster.close();
  });

  const object = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'payments' },
  };

  function fakeClient(write: jest.Mock): KubernetesClient {
    return {
      cluster: 'local',
      create: write,
      apply: write,
      replace: write,
      read: jest.fn(async () => undefined),
      deleteExact: jest.fn(),
      list: jest.fn(async () => []),
      watch: jest.fn(),
    };
  }

  it.each([
    [422, 'Invalid', 'InputError'],
    [403, 'Forbidden', 'NotAllowedError'],
  ])(
    'never retries a %s and forgets the intent',
    async (code, reason, name) => {
      const write = jest.fn(async () => {
        throw new ApiException(
          code,
          'raw',
          JSON.stringify({ reason, message: 'no' }),
          {},
        );
      });
      const client = fakeClient(write);
      await expect(
        journaledCreate({
          journal: cluster.journal,
          client,
          taskId: 't1',
          stepId: 's1',
          object,
          write,
          onForeign: () => undefined,
          keep: false,
        }),
      ).rejects.toMatchObject({
        name,
        message: 'Could not create Namespace payments on cluster local: no',
      });
      expect(write).toHaveBeenCalledTimes(1);
      expect(client.read).not.toHaveBeenCalled();
      expect(await cluster.journal.listByTask('t1')).toEqual([]);
    },
  );

  it('keeps the intent pending when neither the write nor the read tells what happened', async () => {
    const write = jest.fn(async () => {
      throw new ApiException(503, 'raw', '{}', {});
    });
    const client = fakeClient(write);
    (client.read as jest.Mock).mockRejectedValue(
      new ApiException(503, 'raw', '{}', {}),
    );
    await expect(
      journaledCreate({
        journal: cluster.journal,
        client,
        taskId: 't2',
        stepId: 's1',
        object,
        write,
        onForeign: () => undefined,
        keep: false,
      }),
    ).rejects.toThrow('Could not create Namespace payments on cluster local');
    expect((await cluster.journal.listByTask('t2')).map(e => e.state)).toEqual([
      'pending',
    ]);
  });
});

describe('journalIdentity', () => {
  it.each([
    ['Namespace', undefined, 'local/namespaces/payments'],
    ['Deployment', 'payments', 'local/payments/deployments/payments'],
    ['Ingress', 'payments', 'local/payments/ingresses/payments'],
  ])('names a %s by its API resource path', (kind, namespace, identity) => {
    expect(
      journalIdentity({
        apiVersion: 'v1',
        kind,
        name: 'payments',
        namespace,
        cluster: 'local',
      }),
    ).toBe(identity);
  });
});
