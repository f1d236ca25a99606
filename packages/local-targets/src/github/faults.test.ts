import { InvalidFaultError } from '../faults';
import { GithubFaultOptions } from './faults';
import { LocalGithubApiServer, startGithubApiServer } from './server';
import { callGithubApi } from './testRequest';

describe('faults on the loopback GitHub', () => {
  let server: LocalGithubApiServer;
  const call = (method: string, path: string, body?: object) =>
    callGithubApi(server, { method, path, body });

  beforeEach(async () => {
    server = await startGithubApiServer({
      tokens: { admin: { login: 'ada', scopes: ['repo', 'delete_repo'] } },
      orgs: ['acme'],
    });
  });

  afterEach(() => server.close());

  it('fails the writes of the repo step, never its reads or the rollback’s delete', async () => {
    server.seedRepo('acme', 'old');
    server.armFault(10, { step: 'repo', status: 422 });
    const statuses = [
      (await call('GET', '/user')).status,
      (await call('GET', '/repos/acme/old')).status,
      (await call('POST', '/orgs/acme/repos', { name: 'new' })).status,
      (await call('PUT', '/repos/acme/old/topics', { names: ['x'] })).status,
      (await call('PATCH', '/repos/acme/old', { description: 'd' })).status,
      (await call('DELETE', '/repos/acme/old')).status,
    ];
    expect(statuses).toEqual([200, 200, 422, 422, 422, 204]);
    expect(server.listFaults()).toEqual([
      expect.objectContaining({ step: 'repo', count: 10, remaining: 7 }),
    ]);
  });

  it('slows the repository create down and then creates it', async () => {
    server.armFault(1, { step: 'repo', delayMs: 300 });
    const started = Date.now();
    const res = await call('POST', '/orgs/acme/repos', { name: 'slow' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(res.status).toBe(201);
    expect(server.listFaults()).toEqual([]);
  });

  it('clears one fault by id', () => {
    const first = server.armFault(1, { path: '/user' });
    const second = server.armFault(1, { step: 'repo' });
    expect(server.clearFaults(first.id)).toBe(true);
    expect(server.listFaults()).toEqual([second]);
  });

  it.each<[unknown, RegExp]>([
    [{ kind: 'boom' }, /kind is one of status, rate-limit/],
    [{ step: 'deploy' }, /Step deploy writes to kubernetes, not github/],
    [{ verb: 'create' }, /A github fault has no field "verb"/],
  ])('refuses %j', (options, message) => {
    expect(() => server.armFault(1, options as GithubFaultOptions)).toThrow(
      InvalidFaultError,
    );
    expect(() => server.armFault(1, options as GithubFaultOptions)).toThrow(
      message,
    );
  });
});
