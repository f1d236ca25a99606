import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

const step = (input: Record<string, unknown>) =>
  yaml.stringify({
    steps: [
      {
        id: 'quota',
        name: 'Change quota',
        action: 'platform:kubernetes:quota:apply',
        input,
      },
    ],
  });

export const examples: TemplateExample[] = [
  {
    description:
      'Raise the CPU and memory of a platform namespace; pods keep their current limit',
    example: step({
      namespace: 'payments',
      quota: { cpu: '8', memory: '16Gi' },
    }),
  },
  {
    description: 'Lower the number of pods on a named cluster',
    example: step({
      namespace: 'payments',
      cluster: 'local',
      quota: { pods: 10 },
    }),
  },
];
