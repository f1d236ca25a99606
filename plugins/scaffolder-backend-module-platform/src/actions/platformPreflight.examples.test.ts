import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { LocalGithubApiServer, startGithubApiServer } from 'local-targets';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import { exampleManifests } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { readPlatformDatabases } from '@internal/plugin-scaffolder-backend-module-platform-database';
import { PlatformPreflight } from '../preflight/PlatformPreflight';
import {
  actionContext,
  exampleStep,
  useTestCluster,
} from '@internal/platform-test-utils';
import { inMemoryPermissionsRegistry } from '@internal/platform-test-utils';
import { createPlatformPreflightAction } from './platformPreflight';
import { examples } from './platformPreflight.examples';

jest.setTimeout(30_000);

describe('platform:preflight examples', () => {
  const cluster = useTestCluster();
  let github: LocalGithubApiServer;

  beforeEach(async () => {
    // The examples name github.com, so the loopback server stands in for it.
    github = await startGithubApiServer({
      host: 'github.com',
      orgs: ['acme'],
      tokens: { t: { login: 'bot', scopes: ['repo'] } },
    });
  });

  afterEach(() => github.close());

  function preflightAction() {
    const integrations = ScmIntegrations.fromConfig(
      new ConfigReader({
        integrations: {
          github: [{ host: 'github.com', apiBaseUrl: github.url, token: 't' }],
        },
      }),
    );
    return createPlatformPreflightAction({
      preflight: new PlatformPreflight({
        integrations,
        credentialsProvider:
          DefaultGithubCredentialsProvider.fromIntegrations(integrations),
        kubernetes: cluster().kubernetes,
        // The examples create no database.
        databases: readPlatformDatabases(new ConfigReader({})),
        access: cluster().access,
        permissions: mockServices.permissions(),
        permissionsRegistry: inMemoryPermissionsRegistry(),
        catalog: catalogServiceMock(),
      }),
    });
  }

  it.each(examples.map(e => [e.description, e]))('%s', async (_, example) => {
    const action = preflightAction();
    const step = exampleStep(example);
    expect(step.action).toBe(action.id);
    // What fetch:template rendered before the preflight step.
    const withManifests = () => {
      const ctx = actionContext(step.input);
      fs.mkdirSync(path.join(ctx.workspacePath, 'kubernetes'), {
        recursive: true,
      });
      fs.writeFileSync(
        path.join(ctx.workspacePath, 'kubernetes', 'app.yaml'),
        `${yaml.stringify(exampleManifests.deployment)}---\n${yaml.stringify(
          exampleManifests.service,
        )}`,
      );
      return ctx;
    };
    const ctx = withManifests();
    await action.handler(ctx);
    expect(ctx.logger.info).toHaveBeenLastCalledWith(
      'Nothing stands in the way: every name is free and every step is permitted',
    );

    // The same run once the names are taken: every problem, at once.
    github.seedRepo('acme', 'payments');
    cluster().server.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'payments' },
    });
    await expect(action.handler(withManifests())).rejects.toThrow(
      /2 problems:\n- Repository acme\/payments already exists on github.com; choose another name\n- Namespace payments already exists on cluster local; choose another name, or set adopt: true to use a namespace this platform manages for service payments$/,
    );
    expect(cluster().server.requests.filter(r => r.write)).toEqual([]);
  });

  it('checks only the steps the run will take: one whose if is false is left out', async () => {
    github.seedRepo('acme', 'payments');
    const repoStep = {
      action: 'platform:github:repo:create',
      input: { repoUrl: 'github.com?owner=acme&repo=payments' },
    };
    const check = (step: typeof repoStep & { if: boolean }) =>
      preflightAction().handler(
        actionContext({
          entityRef: 'component:default/payments',
          steps: [step],
        }),
      );

    await expect(check({ ...repoStep, if: false })).resolves.toBeUndefined();
    await expect(check({ ...repoStep, if: true })).rejects.toThrow(
      'Repository acme/payments already exists on github.com',
    );
  });
});
