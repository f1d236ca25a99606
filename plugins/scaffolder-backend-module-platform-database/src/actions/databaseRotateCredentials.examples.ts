import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Give the database role of service payments a new password and update its Secret',
    example: yaml.stringify({
      steps: [
        {
          id: 'rotate',
          name: 'Rotate database credentials',
          action: 'platform:database:rotate-credentials',
          input: { server: 'main', namespace: 'payments', name: 'payments' },
        },
      ],
    }),
  },
];
