import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

const step = (input: Record<string, unknown>) =>
  yaml.stringify({
    steps: [
      {
        id: 'register',
        name: 'Register in the catalog',
        action: 'platform:catalog:register',
        input,
      },
    ],
  });

export const examples: TemplateExample[] = [
  {
    description:
      'Register the catalog-info.yaml at the root of the repository an earlier step created',
    example: step({
      repoContentsUrl: 'https://github.com/acme/payments/blob/main',
    }),
  },
  {
    description:
      'Register a catalog file elsewhere in the repository, waiting up to two minutes for the catalog to process it',
    example: step({
      repoContentsUrl: 'https://github.com/acme/ledger/blob/main',
      catalogInfoPath: '/services/ledger/catalog-info.yaml',
      timeoutSeconds: 120,
    }),
  },
  {
    description: 'Register a catalog file by its full URL',
    example: step({
      catalogInfoUrl:
        'https://github.com/acme/checkout/blob/main/catalog-info.yaml',
    }),
  },
  {
    description:
      'Keep the registration when the run fails later, to debug the entity',
    example: step({
      catalogInfoUrl:
        'https://github.com/acme/search/blob/main/catalog-info.yaml',
      rollback: false,
    }),
  },
];
