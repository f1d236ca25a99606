import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** A template whose one step creates a repository with `input`. */
const createRepositoryStep = (input: Record<string, unknown>) =>
  yaml.stringify({
    steps: [
      {
        id: 'repo',
        action: 'platform:github:repo:create',
        name: 'Create repository',
        input,
      },
    ],
  });

export const examples: TemplateExample[] = [
  {
    description:
      'Create a private repository in an organization from the whole workspace',
    example: createRepositoryStep({
      repoUrl: 'github.com?owner=acme&repo=payments',
      description: 'Takes payments',
    }),
  },
  {
    description:
      'Create a public repository from a sub-folder, with topics, team access and a custom default branch',
    example: createRepositoryStep({
      repoUrl: 'github.com?owner=acme&repo=payments-docs',
      visibility: 'public',
      defaultBranch: 'trunk',
      sourcePath: 'docs',
      topics: ['payments', 'docs'],
      teams: [
        { team: 'payments', permission: 'maintain' },
        { team: 'readers', permission: 'pull' },
      ],
      gitCommitMessage: 'Documentation skeleton',
    }),
  },
  {
    description:
      'Keep the repository when a later step fails, to debug the template',
    example: createRepositoryStep({
      repoUrl: 'github.com?owner=acme&repo=payments-debug',
      rollback: false,
    }),
  },
];
