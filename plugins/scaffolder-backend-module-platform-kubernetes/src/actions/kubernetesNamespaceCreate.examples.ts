import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

const step = (input: Record<string, unknown>) =>
  yaml.stringify({
    steps: [
      {
        id: 'namespace',
        name: 'Create namespace',
        action: 'platform:kubernetes:namespace:create',
        input,
      },
    ],
  });

export const examples: TemplateExample[] = [
  {
    description:
      'Create a namespace for a service with the default quota and limit range',
    example: step({
      name: 'payments',
      service: 'payments',
      owner: 'group:default/payments-team',
    }),
  },
  {
    description:
      'Ask for more than the default quota, up to the configured maximum, on a named cluster',
    example: step({
      name: 'ledger',
      service: 'ledger',
      owner: 'group:default/finance',
      cluster: 'local',
      quota: { cpu: '8', memory: '16Gi', pods: 40 },
    }),
  },
  {
    description:
      'Adopt the namespace this platform already manages for the same service; rollback leaves it alone',
    example: step({
      name: 'checkout',
      service: 'checkout',
      owner: 'group:default/shop',
      adopt: true,
    }),
  },
  {
    description: 'Keep the namespace when the run fails, to debug it',
    example: step({
      name: 'search-debug',
      service: 'search',
      owner: 'group:default/search',
      rollback: false,
    }),
  },
];
