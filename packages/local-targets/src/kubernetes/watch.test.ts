import { request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';
import { LocalKubernetesApiServer, startKubernetesApiServer } from './server';
import { callKubernetesApi } from './testRequest';
import { deployment, namespace } from './testFixtures';

interface OpenedWatch {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The next event; rejects when the stream ends first. */
  next(): Promise<any>;
  /** Resolves with the events still unread when the server ends the stream. */
  ended: Promise<any[]>;
  close(): void;
}

/** A watch as a client holds one: a stream read line by line as it comes. */
function openWatch(
  server: LocalKubernetesApiServer,
  path: string,
): Promise<OpenedWatch> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${server.url}${path}`,
      {
        headers: { authorization: `Bearer ${server.token}` },
        ca: Buffer.from(server.caData, 'base64').toString(),
      },
      res => {
        const unread: any[] = [];
        const waiting: Array<{
          resolve: (event: any) => void;
          reject: (e: Error) => void;
        }> = [];
        let isEnded = false;
        const lines = createInterface(res);
        // Closing the watch from this side aborts the response; that ends it.
        lines.on('error', () => {});
        lines.on('line', line => {
          const event = JSON.parse(line);
          const reader = waiting.shift();
          if (reader) {
            reader.resolve(event);
          } else {
            unread.push(event);
          }
        });
        const ended = new Promise<any[]>(done =>
          lines.on('close', () => {
            isEnded = true;
            for (const reader of waiting.splice(0)) {
              reader.reject(new Error('the stream ended'));
            }
            done(unread);
          }),
        );
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          next: () => {
            if (unread.length > 0) {
              return Promise.resolve(unread.shift());
            }
            if (isEnded) {
              return Promise.reject(new Error('the stream ended'));
            }
            return new Promise((onEvent, onEnd) =>
              waiting.push({ resolve: onEvent, reject: onEnd }),
            );
          },
          ended,
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the watch API of the loopback Kubernetes server', () => {
  let server: LocalKubernetesApiServer;
  const watches: OpenedWatch[] = [];
  const watch = async (path: string) => {
    const opened = await openWatch(server, path);
    watches.push(opened);
    return opened;
  };
  const create = (path: string, body: unknown) =>
    callKubernetesApi(server, { method: 'POST', path, body });
  const deployments = '/apis/apps/v1/namespaces/payments/deployments';

  beforeEach(async () => {
    server = await startKubernetesApiServer({
      token: 'watch-token',
      deploymentAvailableAfterMs: 'never',
    });
    await create('/api/v1/namespaces', namespace('payments'));
  });

  afterEach(async () => {
    for (const opened of watches.splice(0)) {
      opened.close();
    }
    await server.close();
  });

  /** Makes the Deployment available now, as its controller would. */
  const becomeAvailable = async (name: string) => {
    server.settings.deploymentAvailableAfterMs = 0;
    await callKubernetesApi(server, {
      method: 'PATCH',
      path: `${deployments}/${name}`,
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 2 } },
    });
  };

  it('streams the Deployment as it is, then the change that makes it available', async () => {
    const created = await create(deployments, deployment('web'));
    await create(deployments, deployment('other'));

    const stream = await watch(
      `${deployments}?watch=true&fieldSelector=metadata.name%3Dweb`,
    );
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^application\/json/);
    expect(stream.headers['transfer-encoding']).toBe('chunked');
    const added = await stream.next();
    expect(added).toMatchObject({
      type: 'ADDED',
      object: {
        kind: 'Deployment',
        metadata: {
          name: 'web',
          resourceVersion: created.body.metadata.resourceVersion,
        },
      },
    });
    expect(added.object.status.availableReplicas).toBeUndefined();

    await becomeAvailable('web');
    const patched = await stream.next();
    expect(patched.type).toBe('MODIFIED');
    expect(patched.object.spec.replicas).toBe(2);
    const available = await stream.next();
    expect(available).toMatchObject({
      type: 'MODIFIED',
      object: { metadata: { name: 'web' }, status: { availableReplicas: 2 } },
    });
    expect(Number(available.object.metadata.resourceVersion)).toBeGreaterThan(
      Number(patched.object.metadata.resourceVersion),
    );
  });

  it('replays the changes since a resourceVersion, and only those', async () => {
    const created = await create(deployments, deployment('web'));
    await becomeAvailable('web');
    await new Promise(resolve => setTimeout(resolve, 20));

    const stream = await watch(
      `${deployments}?watch=1&resourceVersion=${created.body.metadata.resourceVersion}&allowWatchBookmarks=true`,
    );
    expect((await stream.next()).object.spec.replicas).toBe(2);
    expect((await stream.next()).object.status.availableReplicas).toBe(2);
  });

  it('sends DELETED with the resourceVersion of the deletion', async () => {
    const created = await create(deployments, deployment('web'));
    const stream = await watch(
      `${deployments}?watch=true&resourceVersion=${created.body.metadata.resourceVersion}`,
    );
    await callKubernetesApi(server, {
      method: 'DELETE',
      path: `${deployments}/web`,
    });
    const deleted = await stream.next();
    expect(deleted).toMatchObject({
      type: 'DELETED',
      object: { metadata: { name: 'web', uid: created.body.metadata.uid } },
    });
    expect(Number(deleted.object.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.body.metadata.resourceVersion),
    );
  });

  it('streams only the namespace and labels asked for', async () => {
    const labelled = (name: string) => ({
      ...deployment(name),
      metadata: { name, labels: { app: name } },
    });
    await create('/api/v1/namespaces', namespace('orders'));
    const stream = await watch(
      `${deployments}?watch=true&labelSelector=app%3Dweb`,
    );
    await create(
      '/apis/apps/v1/namespaces/orders/deployments',
      labelled('web'),
    );
    await create(deployments, labelled('other'));
    await create(deployments, labelled('web'));
    expect(await stream.next()).toMatchObject({
      type: 'ADDED',
      object: { metadata: { name: 'web', namespace: 'payments' } },
    });
  });

  it('answers a watch from a compacted resourceVersion with a 410 Expired ERROR event and ends it', async () => {
    const created = await create(deployments, deployment('web'));
    await becomeAvailable('web');
    server.compactHistory();

    const stream = await watch(
      `${deployments}?watch=true&resourceVersion=${created.body.metadata.resourceVersion}`,
    );
    expect(stream.status).toBe(200);
    expect(await stream.ended).toEqual([
      {
        type: 'ERROR',
        object: expect.objectContaining({
          kind: 'Status',
          status: 'Failure',
          reason: 'Expired',
          code: 410,
          message: expect.stringMatching(
            /^too old resource version: \d+ \(\d+\)$/,
          ),
        }),
      },
    ]);
  });

  it('ends the stream after timeoutSeconds, and when the server restarts its watches', async () => {
    const timed = await watch(`${deployments}?watch=true&timeoutSeconds=1`);
    const open = await watch(`${deployments}?watch=true`);
    await expect(timed.ended).resolves.toEqual([]);
    expect(server.openWatches()).toBe(1);
    server.endWatches();
    await expect(open.ended).resolves.toEqual([]);
    expect(
      server.requests.filter(r => r.query.watch === 'true').map(r => r.status),
    ).toEqual([200, 200]);
  });

  it.each([
    [
      'a field it cannot select by',
      `${deployments}?watch=true&fieldSelector=spec.replicas%3D1`,
      400,
      'BadRequest',
      /field label not supported: spec\.replicas$/,
    ],
    [
      'a resourceVersion that is no number',
      `${deployments}?watch=true&resourceVersion=latest`,
      400,
      'BadRequest',
      /resourceVersion: Invalid value: "latest"/,
    ],
    [
      'pods, which it derives on every read',
      '/api/v1/namespaces/payments/pods?watch=true',
      405,
      'MethodNotAllowed',
      /serves no watch of them/,
    ],
  ])(
    'refuses a watch of %s with a Status',
    async (_what, path, code, reason, message) => {
      const res = await callKubernetesApi(server, { method: 'GET', path });
      expect(res.status).toBe(code);
      expect(res.body).toMatchObject({ kind: 'Status', code, reason });
      expect(res.body.message).toMatch(message);
    },
  );

  it('selects by field in a list as well', async () => {
    await create(deployments, deployment('web'));
    await create(deployments, deployment('other'));
    const res = await callKubernetesApi(server, {
      method: 'GET',
      path: `${deployments}?fieldSelector=metadata.name%3Dweb`,
    });
    expect(res.body.items.map((d: any) => d.metadata.name)).toEqual(['web']);
  });

  it('fails an armed watch fault with its status, and leaves other reads alone', async () => {
    await create(deployments, deployment('web'));
    server.armFault(1, { verb: 'watch', status: 503 });
    const read = await callKubernetesApi(server, {
      method: 'GET',
      path: `${deployments}/web`,
    });
    expect(read.status).toBe(200);
    const refused = await callKubernetesApi(server, {
      method: 'GET',
      path: `${deployments}?watch=true`,
    });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ kind: 'Status', code: 503 });
  });
});
