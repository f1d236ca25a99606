import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

const step = (input: Record<string, unknown>) =>
  yaml.stringify({
    steps: [
      {
        id: 'database',
        name: 'Create database',
        action: 'platform:database:create',
        input,
      },
    ],
  });

export const examples: TemplateExample[] = [
  {
    description:
      "Create a database for a service on the server named main, with its credentials in the service's namespace",
    example: step({
      server: 'main',
      namespace: 'payments',
      name: 'payments',
      owner: 'group:default/payments-team',
    }),
  },
  {
    description:
      'Name the Secret and the cluster, and keep what was created if the run fails (for debugging)',
    example: step({
      server: 'main',
      namespace: 'ledger',
      name: 'ledger',
      owner: 'group:default/finance',
      secretName: 'ledger-postgres',
      cluster: 'local',
      rollback: false,
    }),
  },
];
