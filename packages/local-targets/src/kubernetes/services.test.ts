import { LocalKubernetesApiServer, startKubernetesApiServer } from './server';
import { service } from './testFixtures';
import { callKubernetesApi } from './testRequest';

describe('Services on the loopback cluster', () => {
  let server: LocalKubernetesApiServer;
  const call = (options: Parameters<typeof callKubernetesApi>[1]) =>
    callKubernetesApi(server, options);
  const create = async (body: unknown) =>
    (
      await call({
        method: 'POST',
        path: '/api/v1/namespaces/default/services',
        body,
      })
    ).body;

  beforeEach(async () => {
    server = await startKubernetesApiServer({ token: 'loopback-token' });
  });

  afterEach(() => server.close());

  it('are of type ClusterIP with an address of their own when no type is given', async () => {
    const web = await create(service('web'));
    const api = await create(service('api'));
    expect(web.spec).toMatchObject({
      type: 'ClusterIP',
      clusterIP: expect.stringMatching(/^10\.(9[6-9]|10\d|11[01])\./),
    });
    expect(web.spec.clusterIPs).toEqual([web.spec.clusterIP]);
    expect(api.spec.clusterIP).not.toBe(web.spec.clusterIP);
  });

  it.each([
    [{ type: 'NodePort' }, 'NodePort', expect.any(String)],
    [{ clusterIP: 'None' }, 'ClusterIP', 'None'],
    [
      { type: 'ExternalName', externalName: 'db.example.com', ports: [] },
      'ExternalName',
      undefined,
    ],
  ])('keep what %j asks for', async (spec, type, clusterIP) => {
    const created = await create(service('web', spec));
    expect([created.spec.type, created.spec.clusterIP]).toEqual([
      type,
      clusterIP,
    ]);
  });

  it('keep their address through applies and updates that leave it out', async () => {
    const apply = (port: number) =>
      call({
        method: 'PATCH',
        path: '/api/v1/namespaces/default/services/web?fieldManager=platform',
        contentType: 'application/apply-patch+yaml',
        body: service('web', { ports: [{ port }] }),
      });
    const { clusterIP } = (await apply(80)).body.spec;
    expect((await apply(8080)).body.spec).toMatchObject({
      type: 'ClusterIP',
      clusterIP,
      ports: [{ port: 8080 }],
    });
    const replaced = await call({
      method: 'PUT',
      path: '/api/v1/namespaces/default/services/web',
      body: service('web'),
    });
    expect(replaced.body.spec.clusterIP).toBe(clusterIP);
  });
});
