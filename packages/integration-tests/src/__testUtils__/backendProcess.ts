import { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import { JsonObject } from '@backstage/types';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '@internal/platform-test-utils';

const ACCESS_TOKEN = 'backend-process-test-access-token';

export interface BackendProcess {
  /** Calls the backend with a service token, as another system would. */
  request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }>;
  /** SIGKILL: no shutdown hook runs, the process is simply gone. */
  kill(): Promise<void>;
  /** SIGTERM, the orderly shutdown. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise(resolve => child.once('exit', () => resolve()));
}

/**
 * Starts `backendProcessMain.ts` in a process of its own, through the same
 * TypeScript loader `backstage-cli package start` uses, and waits until it
 * reports ready. Its output goes to `<dir>/backend-<port>.log`.
 */
export async function startBackendProcess(options: {
  /** Scratch folder for the config, the templates and the log. */
  dir: string;
  /** `backend.database`, for example a SQLite folder shared by restarts. */
  database: JsonObject;
  /** The rest of app-config: integrations, kubernetes, platform, scaffolder. */
  config: JsonObject;
  templates: TemplateEntityV1beta3[];
}): Promise<BackendProcess> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const configFile = path.join(options.dir, `app-config-${port}.json`);
  const templatesFile = path.join(options.dir, `templates-${port}.json`);
  const logFile = path.join(options.dir, `backend-${port}.log`);
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      ...options.config,
      backend: {
        baseUrl,
        listen: { host: '127.0.0.1', port },
        database: options.database,
        auth: {
          externalAccess: [
            {
              type: 'static',
              options: { token: ACCESS_TOKEN, subject: 'backend-process-test' },
            },
          ],
        },
      },
    }),
  );
  fs.writeFileSync(templatesFile, JSON.stringify(options.templates));
  const log = fs.openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      '--enable-source-maps',
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      path.join(__dirname, 'backendProcessMain.ts'),
      '--config',
      configFile,
    ],
    {
      // The backend looks for the workspace root from its working directory.
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, PLATFORM_TEST_TEMPLATES: templatesFile },
      stdio: ['ignore', log, log],
    },
  );
  fs.closeSync(log);

  const request: BackendProcess['request'] = async (method, urlPath, body) => {
    const response = await fetch(`${baseUrl}${urlPath}`, {
      method,
      headers: {
        authorization: `Bearer ${ACCESS_TOKEN}`,
        'content-type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : text };
  };

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `The backend process exited before it was ready; see ${logFile}:\n${fs
          .readFileSync(logFile, 'utf8')
          .slice(-4000)}`,
      );
    }
    const ready = await fetch(`${baseUrl}/.backstage/health/v1/readiness`)
      .then(r => r.ok)
      .catch(() => false);
    if (ready) {
      break;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `The backend process was not ready in time; see ${logFile}`,
      );
    }
    await delay(200);
  }

  return {
    request,
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}
