import { InvalidFaultError } from '../faults';
import { FaultOptions } from './faults';
import { LocalKubernetesApiServer, startKubernetesApiServer } from './server';
import { deployment, namespace, quota, service } from './testFixtures';
import { callKubernetesApi } from './testRequest';

describe('faults on the loopback cluster', () => {
  let server: LocalKubernetesApiServer;
  const call = (options: Parameters<typeof callKubernetesApi>[1]) =>
    callKubernetesApi(server, options);

  beforeEach(async () => {
    server = await startKubernetesApiServer({ token: 'loopback-token' });
  });

  afterEach(() => server.close());

  const requests = {
    'create Namespace': {
      method: 'POST',
      path: '/api/v1/namespaces',
      body: namespace('payments'),
    },
    'create ResourceQuota': {
      method: 'POST',
      path: '/api/v1/namespaces/default/resourcequotas',
      body: quota({ pods: '5' }),
    },
    'create Deployment': {
      method: 'POST',
      path: '/apis/apps/v1/namespaces/default/deployments',
      body: deployment('web'),
    },
    'dry-run create Deployment': {
      method: 'POST',
      path: '/apis/apps/v1/namespaces/default/deployments?dryRun=All',
      body: deployment('web'),
    },
    'apply Service': {
      method: 'PATCH',
      path: '/api/v1/namespaces/default/services/web?fieldManager=platform',
      contentType: 'application/apply-patch+yaml',
      body: service('web'),
    },
    'get Deployment': {
      method: 'GET',
      path: '/apis/apps/v1/namespaces/default/deployments/web',
    },
    'list Deployments': {
      method: 'GET',
      path: '/apis/apps/v1/namespaces/default/deployments',
    },
    'delete Deployment': {
      method: 'DELETE',
      path: '/apis/apps/v1/namespaces/default/deployments/web',
    },
  };
  type Named = keyof typeof requests;

  it.each<[FaultOptions, Named[]]>([
    [{ step: 'namespace' }, ['create Namespace']],
    [{ step: 'quota' }, ['create ResourceQuota']],
    [{ step: 'deploy' }, ['create Deployment', 'apply Service']],
    [{ step: 'deploy', kind: 'Service' }, ['apply Service']],
    [
      { kind: 'Deployment', verb: 'create' },
      ['create Deployment', 'dry-run create Deployment'],
    ],
    [
      { kind: 'Deployment', verb: 'create', writesOnly: true },
      ['create Deployment'],
    ],
    [{ kind: 'Deployment', verb: 'get' }, ['get Deployment']],
    [{ kind: 'Deployment', verb: 'list' }, ['list Deployments']],
    [{ verb: 'patch' }, ['apply Service']],
  ])('%j fails exactly %j', async (fault, failing) => {
    server.seed({
      ...deployment('web'),
      metadata: { name: 'web', namespace: 'default' },
    });
    const failed: Named[] = [];
    for (const name of Object.keys(requests) as Named[]) {
      server.armFault(1, { ...fault, status: 422 });
      if ((await call(requests[name])).status === 422) {
        failed.push(name);
      }
      server.clearFaults();
    }
    expect(failed).toEqual(failing);
  });

  it('lists armed faults with the uses they have left, and clears one or all', async () => {
    const deploy = server.armFault(2, { step: 'deploy', status: 422 });
    const quotaFault = server.armFault(1, { step: 'quota' });
    expect(deploy).toEqual({
      id: 'kubernetes-1',
      count: 2,
      remaining: 2,
      step: 'deploy',
      status: 422,
    });
    await call(requests['create Deployment']);
    expect(server.listFaults()).toEqual([
      { ...deploy, remaining: 1 },
      quotaFault,
    ]);

    expect(server.clearFaults(deploy.id)).toBe(true);
    expect(server.clearFaults(deploy.id)).toBe(false);
    expect(server.listFaults()).toEqual([quotaFault]);
    server.clearFaults();
    expect(server.listFaults()).toEqual([]);
  });

  it('slows a matching request down and then answers it as usual', async () => {
    server.armFault(1, { step: 'deploy', delayMs: 300 });
    const started = Date.now();
    const res = await call(requests['create Deployment']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(res.status).toBe(201);
    const again = Date.now();
    await call(requests['apply Service']);
    expect(Date.now() - again).toBeLessThan(290);
  });

  it('fails a matching request after its delay when a status is given', async () => {
    server.armFault(1, { step: 'deploy', delayMs: 200, status: 503 });
    const started = Date.now();
    const res = await call(requests['create Deployment']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(res.body).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    expect(server.get('deployments', 'default', 'web')).toBeUndefined();
  });

  it('drops a delayed request whose client gave up, so it changes nothing', async () => {
    server.armFault(1, { step: 'deploy', delayMs: 300 });
    await expect(
      call({
        ...requests['create Deployment'],
        signal: AbortSignal.timeout(50),
      }),
    ).rejects.toThrow();
    await new Promise(resolve => setTimeout(resolve, 400));
    expect(server.get('deployments', 'default', 'web')).toBeUndefined();
  });

  it.each<[unknown, RegExp]>([
    [{ steps: 'deploy' }, /no field "steps"; it takes step, kind, verb/],
    [{ step: 'build' }, /No step "build"; steps are repo, namespace/],
    [{ step: 'toString' }, /No step "toString"/],
    [{ step: 'repo' }, /Step repo writes to github, not kubernetes/],
    [{ kind: 'Deploymnet' }, /No kind Deploymnet on this cluster/],
    [{ verb: 'escalate' }, /No verb escalate; verbs are get, list, watch/],
    [{ step: 'deploy', kind: 'Namespace' }, /Step deploy writes no Namespace/],
    [{ step: 'deploy', verb: 'delete' }, /match only create, update, patch/],
    [{ status: 200 }, /status must be an HTTP error status/],
    [{ status: '422' }, /status must be a number/],
    [{ delayMs: -1 }, /delayMs must be a number of milliseconds/],
  ])('refuses %j', (options, message) => {
    expect(() => server.armFault(1, options as FaultOptions)).toThrow(
      InvalidFaultError,
    );
    expect(() => server.armFault(1, options as FaultOptions)).toThrow(message);
    expect(server.listFaults()).toEqual([]);
  });

  it.each([0, -1, 1.5])('refuses a count of %j', count => {
    expect(() => server.armFault(count, { step: 'deploy' })).toThrow(
      'count must be a positive integer',
    );
  });
});
