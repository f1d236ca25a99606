import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { JsonObject, JsonValue } from '@backstage/types';
import type { BackendFeature } from '@backstage/backend-plugin-api';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { FakeCatalog } from './fakeCatalog';

/** One file of a dry run, as the scaffolder's HTTP API sends it. */
export interface DryRunFile {
  path: string;
  base64Content: string;
  executable?: boolean;
}

/** What `POST /api/scaffolder/v2/dry-run` answers. */
export interface DryRunResult {
  log: Array<{ body: { message: string; stepId?: string; status?: string } }>;
  directoryContents: DryRunFile[];
  output: JsonObject;
  steps: Array<{ id: string; action: string }>;
}

export interface DryRunBackend {
  dryRun(options: {
    template: JsonValue;
    values: JsonObject;
    directoryContents?: DryRunFile[];
  }): Promise<DryRunResult>;
  /** The catalog the backend uses, for what a test puts in it or asks of it. */
  catalog: FakeCatalog;
  stop(): Promise<void>;
}

/**
 * What our module needs to start. Dry runs make no call to GitHub, and the
 * unreachable API address proves it.
 */
const MODULE_CONFIG: JsonObject = {
  app: { baseUrl: 'http://localhost:3000' },
  integrations: {
    github: [
      {
        host: 'github.com',
        apiBaseUrl: 'http://127.0.0.1:9',
        token: 'dry-run-test-token',
      },
    ],
  },
};

/**
 * Starts the real scaffolder backend with our module and answers dry runs
 * through its public HTTP endpoint, exactly as the template editor calls it.
 * The catalog is a `FakeCatalog` holding the given entities: the dry run
 * looks up the signed-in user, `platform:preflight` whether the entity's
 * name is free, and `platform:catalog:register` validates the workspace's
 * catalog file and looks for its location and entities, as they would in
 * the real catalog.
 */
export async function startDryRunBackend(options?: {
  config?: JsonObject;
  entities?: Entity[];
  features?: BackendFeature[];
}): Promise<DryRunBackend> {
  const catalog = new FakeCatalog({ entities: options?.entities ?? [] });
  const backend = await startTestBackend({
    features: [
      scaffolderPlugin,
      catalog.service.factory,
      mockServices.rootConfig.factory({
        data: { ...MODULE_CONFIG, ...options?.config },
      }),
      ...(options?.features ?? []),
    ],
  });
  return {
    async dryRun({ template, values, directoryContents = [] }) {
      const response = await request(backend.server)
        .post('/api/scaffolder/v2/dry-run')
        .send({ template, values, directoryContents });
      if (response.status !== 200) {
        throw new Error(
          `Dry run answered ${response.status}: ${JSON.stringify(
            response.body,
          )}`,
        );
      }
      return response.body as DryRunResult;
    },
    catalog,
    stop: () => backend.stop(),
  };
}

/** Every file under `dir`, in the form a dry run takes its template files. */
export function readDirectoryContents(dir: string): DryRunFile[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(entry => entry.isFile())
    .map(entry => {
      const absolute = path.join(entry.parentPath, entry.name);
      return {
        path: path.relative(dir, absolute),
        base64Content: fs.readFileSync(absolute).toString('base64'),
      };
    });
}

/** Writes a dry run's output files to `dir`, keeping executable bits. */
export function writeDirectoryContents(dir: string, files: DryRunFile[]) {
  for (const file of files) {
    const target = path.join(dir, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, Buffer.from(file.base64Content, 'base64'), {
      mode: file.executable ? 0o755 : 0o644,
    });
  }
}

/**
 * The dry run's log as plain text: actions' log lines arrive coloured and
 * prefixed with their level (`info: `), which a reader of the run never sees.
 */
export function logMessages(result: DryRunResult): string[] {
  return result.log.map(entry =>
    // eslint-disable-next-line no-control-regex
    entry.body.message.replace(/\u001b\[\d+m/g, '').replace(/^\w+: /, ''),
  );
}
