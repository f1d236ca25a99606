import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

const step = (input: Record<string, unknown>) =>
  yaml.stringify({
    steps: [
      {
        id: 'deploy',
        name: 'Deploy',
        action: 'platform:kubernetes:apply',
        input,
      },
    ],
  });

const labels = { 'app.kubernetes.io/name': 'payments' };

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'payments' },
  spec: {
    replicas: 2,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: {
        // What the restricted Pod Security Standard, the platform's default
        // deployment policy, asks of every pod.
        securityContext: {
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        containers: [
          {
            name: 'payments',
            image: 'ghcr.io/example-org/payments:main',
            ports: [{ name: 'http', containerPort: 8080 }],
            securityContext: {
              allowPrivilegeEscalation: false,
              capabilities: { drop: ['ALL'] },
            },
          },
        ],
      },
    },
  },
};

const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'payments' },
  spec: {
    selector: labels,
    ports: [{ name: 'http', port: 80, targetPort: 'http' }],
  },
};

const ingress = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'payments' },
  spec: {
    tls: [{ hosts: ['payments.apps.example.com'] }],
    rules: [
      {
        host: 'payments.apps.example.com',
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: {
                service: { name: 'payments', port: { name: 'http' } },
              },
            },
          ],
        },
      },
    ],
  },
};

/**
 * The manifests the examples deploy, also written to files by the example test.
 *
 * @public
 */
export const exampleManifests = { deployment, service, ingress };

export const examples: TemplateExample[] = [
  {
    description:
      'Deploy the manifests that fetch:template rendered into ./kubernetes; the service URL is its in-cluster name',
    example: step({
      namespace: 'payments',
      manifestPath: './kubernetes',
    }),
  },
  {
    description:
      'Deploy a public service: its Ingress is applied and the URL is the Ingress host',
    example: step({
      namespace: 'payments',
      manifests: [deployment, service, ingress],
      public: true,
    }),
  },
  {
    description:
      'Wait at most two minutes for the Deployment, on a named cluster',
    example: step({
      namespace: 'payments',
      cluster: 'local',
      manifests: [deployment, service],
      timeoutSeconds: 120,
    }),
  },
];
