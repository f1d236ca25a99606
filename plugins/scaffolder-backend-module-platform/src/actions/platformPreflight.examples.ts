import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Check a new service before its repository, namespace and deployment are created: the steps are written once with YAML anchors and checked here with the same input',
    example: yaml.stringify({
      steps: [
        {
          id: 'preflight',
          name: 'Check before anything is created',
          action: 'platform:preflight',
          input: {
            entityRef: 'component:default/payments',
            steps: [
              {
                action: 'platform:github:repo:create',
                input: { repoUrl: 'github.com?owner=acme&repo=payments' },
              },
              {
                action: 'platform:kubernetes:namespace:create',
                input: {
                  name: 'payments',
                  service: 'payments',
                  owner: 'group:default/team-payments',
                },
              },
              {
                action: 'platform:kubernetes:apply',
                input: { namespace: 'payments', manifestPath: './kubernetes' },
              },
            ],
          },
        },
      ],
    }),
  },
];
