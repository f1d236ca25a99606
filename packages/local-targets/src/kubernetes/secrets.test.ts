import { request as httpsRequest } from 'node:https';
import { LocalKubernetesApiServer, startKubernetesApiServer } from './server';
import { callKubernetesApi } from './testRequest';

const b64 = (text: string) => Buffer.from(text).toString('base64');

const secret = (
  name: string,
  fields: Record<string, unknown> = { data: { PGPASSWORD: b64('s3cret') } },
  labels: Record<string, string> = { app: name },
) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, labels },
  ...fields,
});

describe('Secrets on the loopback cluster', () => {
  let server: LocalKubernetesApiServer;
  const call = (options: Parameters<typeof callKubernetesApi>[1]) =>
    callKubernetesApi(server, options);
  const secrets = '/api/v1/namespaces/payments/secrets';
  const create = (body: unknown) =>
    call({ method: 'POST', path: secrets, body });

  beforeEach(async () => {
    server = await startKubernetesApiServer({ token: 'loopback-token' });
    server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'payments' },
    });
  });

  afterEach(() => server.close());

  it('are served in discovery as namespaced core v1 secrets', async () => {
    const { body } = await call({ method: 'GET', path: '/api/v1' });
    expect(
      body.resources.find((r: { name: string }) => r.name === 'secrets'),
    ).toEqual({
      name: 'secrets',
      singularName: 'secret',
      namespaced: true,
      kind: 'Secret',
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: [],
    });
  });

  it('are stored with a uid, a resourceVersion and type Opaque, and read back base64', async () => {
    const created = await create(secret('db'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: 'db',
        namespace: 'payments',
        uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        resourceVersion: expect.stringMatching(/^\d+$/),
      },
      data: { PGPASSWORD: b64('s3cret') },
    });
    const read = await call({ method: 'GET', path: `${secrets}/db` });
    expect(read.body.data).toEqual({ PGPASSWORD: b64('s3cret') });
    expect(read.body.metadata.uid).toBe(created.body.metadata.uid);
  });

  it('write stringData into data and never return it', async () => {
    const created = await create(
      secret('db', {
        data: { PGUSER: b64('payments') },
        stringData: { PGPASSWORD: 'plain', PGUSER: 'wins' },
      }),
    );
    expect(created.body.data).toEqual({
      PGUSER: b64('wins'),
      PGPASSWORD: b64('plain'),
    });
    expect(created.body.stringData).toBeUndefined();
    expect(server.get('secrets', 'payments', 'db')?.stringData).toBeUndefined();
  });

  it('refuse data that is not base64 with the 400 the API server sends', async () => {
    const refused = await create(secret('db', { data: { PGPASSWORD: 'ab!d' } }));
    expect(refused).toEqual({
      status: 400,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 2',
        reason: 'BadRequest',
        code: 400,
      },
    });
    const unpadded = await create(secret('db', { data: { A: 'YWJjZA' } }));
    expect(unpadded.body.message).toMatch(/illegal base64 data at input byte 4$/);
    expect(server.get('secrets', 'payments', 'db')).toBeUndefined();
  });

  it.each([
    [
      'a key that is no config key',
      secret('db', { data: { 'bad key': b64('x') } }),
      'data[bad key]',
      'FieldValueInvalid',
    ],
    [
      'a name that is no DNS subdomain',
      secret('Bad_Name'),
      'metadata.name',
      'FieldValueInvalid',
    ],
    [
      'a TLS Secret without its key',
      secret('tls', {
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': b64('cert') },
      }),
      'data[tls.key]',
      'FieldValueRequired',
    ],
    [
      'more than 1 MiB of data',
      secret('big', { data: { blob: b64('x'.repeat(1024 * 1024 + 1)) } }),
      'data',
      'FieldValueTooLong',
    ],
  ])('refuse %s with 422 Invalid and its cause', async (_, body, field, reason) => {
    const refused = await create(body);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      code: 422,
      details: {
        kind: 'Secret',
        causes: [expect.objectContaining({ field, reason })],
      },
    });
  });

  it('answer 404 for a missing Secret or namespace and 409 for a taken name', async () => {
    expect(await call({ method: 'GET', path: `${secrets}/nope` })).toEqual({
      status: 404,
      body: expect.objectContaining({
        reason: 'NotFound',
        message: 'secrets "nope" not found',
        details: { name: 'nope', kind: 'secrets' },
      }),
    });
    const elsewhere = await call({
      method: 'POST',
      path: '/api/v1/namespaces/absent/secrets',
      body: secret('db'),
    });
    expect([elsewhere.status, elsewhere.body.message]).toEqual([
      404,
      'namespaces "absent" not found',
    ]);
    await create(secret('db'));
    const again = await create(secret('db'));
    expect([again.status, again.body.reason, again.body.message]).toEqual([
      409,
      'AlreadyExists',
      'secrets "db" already exists',
    ]);
  });

  it('refuse an update from a stale resourceVersion, and a changed type', async () => {
    const created = (await create(secret('db'))).body;
    const update = (body: unknown) =>
      call({ method: 'PUT', path: `${secrets}/db`, body });
    const first = await update({
      ...created,
      data: { PGPASSWORD: b64('rotated') },
    });
    expect(first.status).toBe(200);
    expect(Number(first.body.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );

    const stale = await update({
      ...created,
      data: { PGPASSWORD: b64('lost update') },
    });
    expect([stale.status, stale.body.reason, stale.body.message]).toEqual([
      409,
      'Conflict',
      'Operation cannot be fulfilled on secrets "db": the object has been modified; please apply your changes to the latest version and try again',
    ]);
    const retyped = await update({
      ...first.body,
      type: 'kubernetes.io/basic-auth',
    });
    expect(retyped.status).toBe(422);
    expect(retyped.body.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "kubernetes.io/basic-auth": field is immutable',
        field: 'type',
      },
    ]);
    expect(server.get('secrets', 'payments', 'db')?.data).toEqual({
      PGPASSWORD: b64('rotated'),
    });
  });

  it('refuse any change to the data of an immutable Secret', async () => {
    const created = (
      await create(
        secret('db', { immutable: true, data: { PGPASSWORD: b64('x') } }),
      )
    ).body;
    const changed = await call({
      method: 'PUT',
      path: `${secrets}/db`,
      body: { ...created, data: { PGPASSWORD: b64('y') } },
    });
    expect([changed.status, changed.body.details.causes[0].field]).toEqual([
      422,
      'data',
    ]);
    const relabelled = await call({
      method: 'PATCH',
      path: `${secrets}/db`,
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { touched: 'yes' } } },
    });
    expect(relabelled.status).toBe(200);
  });

  it('are deleted only with a matching uid precondition', async () => {
    const created = (await create(secret('db'))).body;
    const remove = (uid: string) =>
      call({
        method: 'DELETE',
        path: `${secrets}/db`,
        body: { preconditions: { uid } },
      });
    const wrong = await remove('00000000-0000-0000-0000-000000000000');
    expect([wrong.status, wrong.body.reason]).toEqual([409, 'Conflict']);
    expect((await remove(created.metadata.uid)).status).toBe(200);
    expect(server.get('secrets', 'payments', 'db')).toBeUndefined();
  });

  it('are listed by label selector and by type', async () => {
    await create(secret('a', undefined, { team: 'payments' }));
    await create(secret('b', undefined, { team: 'checkout' }));
    await create(
      secret('c', {
        type: 'kubernetes.io/basic-auth',
        data: { username: b64('u') },
      }),
    );
    const names = async (query: string) =>
      (
        await call({ method: 'GET', path: `${secrets}?${query}` })
      ).body.items.map((s: { metadata: { name: string } }) => s.metadata.name);
    expect(await names('labelSelector=team%3Dpayments')).toEqual(['a']);
    expect(await names('labelSelector=team')).toEqual(['a', 'b']);
    expect(await names('fieldSelector=type%3Dkubernetes.io%2Fbasic-auth')).toEqual(
      ['c'],
    );
    const badField = await call({
      method: 'GET',
      path: `${secrets}?fieldSelector=data.x%3Dy`,
    });
    expect(badField.status).toBe(400);
  });

  it('are watched: a change since a resourceVersion is replayed', async () => {
    const from = (await call({ method: 'GET', path: secrets })).body.metadata
      .resourceVersion;
    const created = (await create(secret('db'))).body;
    await call({
      method: 'DELETE',
      path: `${secrets}/db`,
      body: { preconditions: { uid: created.metadata.uid } },
    });
    const lines = await new Promise<string[]>((resolve, reject) => {
      httpsRequest(
        `${server.url}${secrets}?watch=true&resourceVersion=${from}&timeoutSeconds=1`,
        {
          headers: { authorization: `Bearer ${server.token}` },
          ca: Buffer.from(server.caData, 'base64').toString(),
        },
        res => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', chunk => {
            text += chunk;
          });
          res.on('end', () => resolve(text.split('\n').filter(Boolean)));
        },
      )
        .on('error', reject)
        .end();
    });
    expect(
      lines.map(line => {
        const event = JSON.parse(line);
        return [event.type, event.object.kind, event.object.metadata.name];
      }),
    ).toEqual([
      ['ADDED', 'Secret', 'db'],
      ['DELETED', 'Secret', 'db'],
    ]);
  });

  it('fail as armed faults for kind Secret say, after the write when asked', async () => {
    server.failNext(1, { kind: 'Secret', verb: 'create', afterCommit: true });
    const failed = await create(secret('db'));
    expect([failed.status, failed.body.reason]).toEqual([
      503,
      'ServiceUnavailable',
    ]);
    expect(server.get('secrets', 'payments', 'db')).toBeDefined();
  });
});
