/** Objects and waits the Kubernetes server's tests share. */

export const namespace = (name: string, labels?: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, ...(labels ? { labels } : {}) },
});

export const deployment = (
  name: string,
  options: { replicas?: number; resources?: boolean; image?: string } = {},
) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: options.replicas ?? 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [
          {
            name: 'app',
            image: options.image ?? 'nginx:1.27',
            ...(options.resources
              ? {
                  resources: {
                    requests: { cpu: '100m', memory: '64Mi' },
                    limits: { cpu: '200m', memory: '128Mi' },
                  },
                }
              : {}),
          },
        ],
      },
    },
  },
});

export const service = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, labels: { app: name } },
  spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
});

export const quota = (hard: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name: 'compute' },
  spec: { hard },
});

/** Polls until `check` gives a value, for state the cluster reaches later. */
export async function waitFor<T>(check: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = check();
    if (value) {
      return value;
    }
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  throw new Error('condition not reached');
}
