import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import type { BackendFeature } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { JsonObject } from '@backstage/types';
import {
  LocalGithubApiServer,
  LocalKubernetesApiServer,
  startGithubApiServer,
  startKubernetesApiServer,
} from 'local-targets';
import {
  createSqliteDatabase,
  FakeCatalog,
  readFromGithub,
  TEST_CLUSTER_TOKEN,
  testClusterConfig,
  UNPACED_GITHUB,
} from '@internal/platform-test-utils';
import { platformModules } from './platformModules';

export const TEMPLATE_PATH = path.resolve(
  __dirname,
  '../../../../examples/templates/microservice/template.yaml',
);

const GITHUB_TOKEN = 'golden-path-run-token';

/**
 * The golden-path template as the catalog holds it: fetch:template resolves
 * the skeletons relative to the location the template was read from.
 */
export function goldenPathTemplate(): JsonObject {
  const template = yaml.parse(fs.readFileSync(TEMPLATE_PATH, 'utf8'));
  template.metadata.namespace = 'default';
  template.metadata.annotations = {
    'backstage.io/managed-by-location': `file:${TEMPLATE_PATH}`,
  };
  return template;
}

export interface GoldenPathBackend {
  github: LocalGithubApiServer;
  cluster: LocalKubernetesApiServer;
  /**
   * An in-memory catalog with locations that reads a registered URL from the
   * loopback repository's contents, as the real one reads it from GitHub.
   */
  catalog: FakeCatalog;
  backend: Awaited<ReturnType<typeof startTestBackend>>;
  stop(): Promise<void>;
}

/**
 * The real scaffolder with every platform module and the golden-path
 * template, against the loopback GitHub and Kubernetes servers.
 */
export async function startGoldenPathBackend(
  options: { features?: BackendFeature[] } = {},
): Promise<GoldenPathBackend> {
  const github = await startGithubApiServer({
    host: 'github.com',
    orgs: ['example-org'],
    tokens: {
      [GITHUB_TOKEN]: {
        login: 'platform-bot',
        scopes: ['repo', 'delete_repo'],
      },
    },
  });
  const cluster = await startKubernetesApiServer({
    token: TEST_CLUSTER_TOKEN,
    deploymentAvailableAfterMs: 30,
    namespaceDeletionDelayMs: 30,
  });
  const clusterConfig = testClusterConfig(cluster);
  const catalog = new FakeCatalog({
    entities: [goldenPathTemplate() as any],
    readFile: readFromGithub(github),
  });
  const backend = await startTestBackend({
    features: [
      scaffolderPlugin,
      ...platformModules,
      // platformModules has the scheduler already; a second one would not start.
      ...(options.features ?? []).filter(f => f !== schedulerServiceFactory),
      catalog.service.factory,
      mockServices.database.factory({ knex: createSqliteDatabase() }),
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://backstage.test' },
          integrations: {
            github: [
              {
                host: 'github.com',
                apiBaseUrl: github.url,
                token: GITHUB_TOKEN,
              },
            ],
          },
          kubernetes: clusterConfig.kubernetes,
          platform: {
            ...(clusterConfig.platform as JsonObject),
            github: UNPACED_GITHUB,
            rollback: { pollInterval: { milliseconds: 200 } },
          },
        },
      }),
    ],
  });
  return {
    github,
    cluster,
    catalog,
    backend,
    async stop() {
      await backend.stop();
      await github.close();
      await cluster.close();
    },
  };
}
