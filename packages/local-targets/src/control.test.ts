import { deployment, namespace } from './kubernetes/testFixtures';
import { callKubernetesApi } from './kubernetes/testRequest';
import { RunningLocalTargets, startLocalTargets } from './localTargets';

describe('the control API', () => {
  let targets: RunningLocalTargets;

  beforeAll(async () => {
    targets = await startLocalTargets({
      githubPort: 0,
      kubernetesPort: 0,
      controlPort: 0,
    });
  });

  afterEach(() => fetch(`${targets.controlUrl}/faults`, { method: 'DELETE' }));

  afterAll(() => targets?.close());

  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${targets.controlUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const listed = async (path = '/faults') =>
    (await control('GET', path)).body.faults;
  const kubernetes = (options: Parameters<typeof callKubernetesApi>[1]) =>
    callKubernetesApi(targets.kubernetes, options);
  const createDeployment = (ns: string, name: string) =>
    kubernetes({
      method: 'POST',
      path: `/apis/apps/v1/namespaces/${ns}/deployments`,
      body: deployment(name),
    });

  it('arms a fault for a step, lists it, and uses it up on that step’s write', async () => {
    const armed = await control('POST', '/kubernetes/faults', {
      step: 'deploy',
      status: 422,
    });
    expect(armed).toEqual({
      status: 201,
      body: {
        target: 'kubernetes',
        id: expect.stringMatching(/^kubernetes-\d+$/),
        count: 1,
        remaining: 1,
        step: 'deploy',
        status: 422,
      },
    });
    expect(await listed()).toEqual([armed.body]);

    // The namespace step and the preflight's dry run go through.
    expect(
      (
        await kubernetes({
          method: 'POST',
          path: '/api/v1/namespaces',
          body: namespace('ledger'),
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await kubernetes({
          method: 'POST',
          path: '/apis/apps/v1/namespaces/ledger/deployments?dryRun=All',
          body: deployment('ledger'),
        })
      ).status,
    ).toBe(201);
    const failed = await createDeployment('ledger', 'ledger');
    expect(failed.status).toBe(422);
    expect(failed.body).toMatchObject({ kind: 'Status', reason: 'Invalid' });
    expect(await listed()).toEqual([]);
    expect((await createDeployment('ledger', 'ledger')).status).toBe(201);
  });

  it('arms a fault on the target its step writes to when the path names none', async () => {
    const armed = await control('POST', '/faults', {
      step: 'repo',
      status: 422,
    });
    expect(armed.status).toBe(201);
    expect(armed.body).toMatchObject({ target: 'github', step: 'repo' });
    expect(await listed('/github/faults')).toEqual([armed.body]);
  });

  it('arms faults by kind and verb with a count, and shows the uses left', async () => {
    await control('POST', '/kubernetes/faults', {
      kind: 'Deployment',
      verb: 'create',
      status: 503,
      count: 2,
    });
    expect((await createDeployment('default', 'one')).status).toBe(503);
    expect(await listed()).toEqual([
      expect.objectContaining({ kind: 'Deployment', count: 2, remaining: 1 }),
    ]);
  });

  it('lists and clears the faults of one target or of both', async () => {
    const github = (
      await control('POST', '/github/faults', { step: 'repo', status: 422 })
    ).body;
    const cluster = (
      await control('POST', '/kubernetes/faults', { step: 'quota' })
    ).body;
    expect(await listed()).toEqual([github, cluster]);
    expect(await listed('/github/faults')).toEqual([github]);

    expect((await control('DELETE', `/faults/${cluster.id}`)).status).toBe(204);
    expect(await listed()).toEqual([github]);
    expect((await control('DELETE', `/faults/${cluster.id}`)).status).toBe(404);

    await control('POST', '/kubernetes/faults', { step: 'namespace' });
    expect((await control('DELETE', '/github/faults')).status).toBe(204);
    expect(await listed()).toEqual([
      expect.objectContaining({ target: 'kubernetes', step: 'namespace' }),
    ]);
    expect((await control('DELETE', '/faults')).status).toBe(204);
    expect(await listed()).toEqual([]);
  });

  it('holds the step’s request for the delay asked, so a run can be watched and cancelled', async () => {
    await control('POST', '/kubernetes/faults', {
      step: 'deploy',
      delayMs: 400,
    });
    const started = Date.now();
    const res = await createDeployment('default', 'slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(res.status).toBe(201);
  });

  it.each([
    ['/kubernetes/faults', { steps: 'deploy' }, 'has no field "steps"'],
    ['/github/faults', { step: 'deploy' }, 'Step deploy writes to kubernetes'],
    ['/kubernetes/faults', { count: 0 }, 'count must be a positive integer'],
    ['/kubernetes/faults', '{"step":', 'The body is not JSON'],
    ['/faults', { status: 422 }, 'Give a step (repo, namespace'],
    ['/faults', { step: 'constructor' }, 'Give a step'],
  ])('answers 400 to POST %s %j', async (path, body, message) => {
    const res = await control('POST', path, body);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(message);
    expect(await listed()).toEqual([]);
  });

  it('answers 404 for a target it does not have', async () => {
    const res = await control('GET', '/gitlab/faults');
    expect(res).toEqual({
      status: 404,
      body: { message: 'No target gitlab; targets are github, kubernetes' },
    });
  });
});
