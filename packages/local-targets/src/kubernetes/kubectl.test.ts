import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalKubernetesApiServer, startKubernetesApiServer } from './server';
import { deployment, namespace } from './testFixtures';
import { callKubernetesApi } from './testRequest';

const hasKubectl = spawnSync('kubectl', ['version', '--client']).status === 0;

/**
 * Debian's kubectl, a real Kubernetes client, reads back what was created:
 * it does discovery, TLS with our CA and bearer-token auth on its own terms.
 */
(hasKubectl ? describe : describe.skip)(
  'kubectl against the loopback server',
  () => {
    let server: LocalKubernetesApiServer;
    let dir: string;

    beforeAll(async () => {
      server = await startKubernetesApiServer({ token: 'kubectl-token' });
      dir = mkdtempSync(join(tmpdir(), 'kubectl-'));
      writeFileSync(join(dir, 'ca.pem'), Buffer.from(server.caData, 'base64'));
    });

    afterAll(async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });

    // The server runs in this process, so kubectl must run asynchronously.
    const kubectl = async (token: string, ...args: string[]) =>
      promisify(execFile)(
        'kubectl',
        [
          '--server',
          server.url,
          '--token',
          token,
          '--certificate-authority',
          join(dir, 'ca.pem'),
          ...args,
        ],
        { env: { ...process.env, KUBECONFIG: join(dir, 'none') } },
      );

    it('gets namespaces, quotas and limit ranges as JSON', async () => {
      await callKubernetesApi(server, {
        method: 'POST',
        path: '/api/v1/namespaces',
        body: {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'payments', labels: { team: 'payments-team' } },
        },
      });
      await callKubernetesApi(server, {
        method: 'POST',
        path: '/api/v1/namespaces/payments/resourcequotas',
        body: {
          apiVersion: 'v1',
          kind: 'ResourceQuota',
          metadata: { name: 'platform-quota' },
          spec: { hard: { cpu: '4', memory: '8Gi', pods: '20' } },
        },
      });
      await callKubernetesApi(server, {
        method: 'POST',
        path: '/api/v1/namespaces/payments/limitranges',
        body: {
          apiVersion: 'v1',
          kind: 'LimitRange',
          metadata: { name: 'platform-defaults' },
          spec: {
            limits: [
              {
                type: 'Container',
                default: { cpu: '500m' },
                defaultRequest: { cpu: '100m' },
              },
            ],
          },
        },
      });

      const { stdout } = await kubectl(
        'kubectl-token',
        'get',
        'ns,resourcequota,limitrange',
        '-n',
        'payments',
        '-o',
        'json',
      );
      const list = JSON.parse(stdout);
      const seen = list.items.map((i: any) => `${i.kind}/${i.metadata.name}`);
      expect(seen).toEqual(
        expect.arrayContaining([
          'Namespace/payments',
          'ResourceQuota/platform-quota',
          'LimitRange/platform-defaults',
        ]),
      );
      const quota = list.items.find((i: any) => i.kind === 'ResourceQuota');
      expect(quota.spec.hard).toEqual({ cpu: '4', memory: '8Gi', pods: '20' });
    });

    it('gets a server-side applied deployment by its short name', async () => {
      await callKubernetesApi(server, {
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/payments/deployments/web?fieldManager=platform',
        contentType: 'application/apply-patch+yaml',
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web' },
          spec: {
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'nginx' }] },
            },
          },
        },
      });
      const { stdout } = await kubectl(
        'kubectl-token',
        'get',
        'deploy',
        'web',
        '-n',
        'payments',
        '-o',
        'json',
      );
      expect(JSON.parse(stdout).metadata.name).toBe('web');

      // Its pod once it is available, found by label as the Kubernetes tab does.
      await new Promise(resolve => setTimeout(resolve, 100));
      const pods = await kubectl(
        'kubectl-token',
        'get',
        'pods',
        '-l',
        'app=web',
        '-n',
        'payments',
        '-o',
        'json',
      );
      expect(
        JSON.parse(pods.stdout).items.map((p: any) => p.status.phase),
      ).toEqual(['Running']);
    });

    it('follows a rollout to its end with kubectl rollout status, which watches', async () => {
      server.settings.deploymentAvailableAfterMs = 500;
      await callKubernetesApi(server, {
        method: 'POST',
        path: '/api/v1/namespaces',
        body: namespace('orders'),
      });
      await callKubernetesApi(server, {
        method: 'POST',
        path: '/apis/apps/v1/namespaces/orders/deployments',
        body: deployment('api'),
      });

      const { stdout } = await kubectl(
        'kubectl-token',
        'rollout',
        'status',
        'deployment/api',
        '-n',
        'orders',
        '--timeout=20s',
      );
      expect(stdout).toMatch(/deployment "api" successfully rolled out/);
      expect(
        server.requests.some(
          r =>
            r.path === '/apis/apps/v1/namespaces/orders/deployments' &&
            r.query.watch === 'true',
        ),
      ).toBe(true);
    });

    it('is refused without the right token', async () => {
      await expect(
        kubectl('wrong-token', 'get', 'ns', '-o', 'json'),
      ).rejects.toThrow(/You must be logged in to the server/);
    });
  },
);
