import { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import { JsonObject } from '@backstage/types';
import { PlatformRun } from '@internal/plugin-platform-common';
import {
  LocalGithubApiServer,
  LocalKubernetesApiServer,
  startKubernetesApiServer,
} from 'local-targets';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BackendProcess,
  startBackendProcess,
} from './__testUtils__/backendProcess';
import {
  githubIntegrationConfig,
  startTestGithub,
  UNPACED_GITHUB,
} from '@internal/platform-test-utils';
import { testClusterConfig } from '@internal/platform-test-utils';
import {
  findPostgresBinDir,
  startTestPostgres,
  TestPostgres,
} from '@internal/platform-test-utils';
import { waitFor } from '@internal/platform-test-utils';

// Every test starts two backend processes and waits out the scaffolder's
// stale-task handling.
jest.setTimeout(240_000);

/**
 * A backend killed with SIGKILL, in the middle of a run and in the middle of a
 * rollback: no shutdown hook runs, the scaffolder's heartbeat and the
 * engine's lease simply stop. A second backend on the same database must
 * finish the job, and must touch nothing the run did not create.
 */

const pgBinDir = findPostgresBinDir();

/** What one run of the template creates, oldest first. */
const RESOURCE_KINDS = [
  'github:repository',
  'kubernetes:namespace',
  'kubernetes:resourcequota',
  'kubernetes:limitrange',
];

function gatedTemplate(options: {
  recoverable: boolean;
}): TemplateEntityV1beta3 {
  return {
    apiVersion: 'scaffolder.backstage.io/v1beta3',
    kind: 'Template',
    metadata: { name: 'gated-service', namespace: 'default' },
    spec: {
      type: 'service',
      ...(options.recoverable && {
        EXPERIMENTAL_recovery: { EXPERIMENTAL_strategy: 'startOver' },
      }),
      parameters: [
        {
          properties: {
            name: { type: 'string' },
            gate: { type: 'string' },
            fail: { type: 'boolean' },
          },
        },
      ],
      steps: [
        {
          id: 'files',
          action: 'test:step',
          input: { writeFiles: true },
        },
        {
          id: 'repo',
          action: 'platform:github:repo:create',
          input: {
            repoUrl: 'github.test?owner=acme&repo=${{ parameters.name }}',
          },
        },
        {
          id: 'namespace',
          action: 'platform:kubernetes:namespace:create',
          input: {
            name: '${{ parameters.name }}',
            service: '${{ parameters.name }}',
            owner: 'group:default/payments-team',
          },
        },
        {
          id: 'gate',
          action: 'test:step',
          input: {
            gate: '${{ parameters.gate }}',
            fail: '${{ parameters.fail }}',
          },
        },
      ],
    },
  };
}

type Database = {
  name: string;
  start(dir: string): Promise<JsonObject>;
  stop(): Promise<void>;
};

function sqliteFiles(): Database {
  return {
    name: 'SQLite files',
    async start(dir) {
      return { client: 'better-sqlite3', connection: { directory: dir } };
    },
    async stop() {},
  };
}

function postgres(): Database {
  let pg: TestPostgres | undefined;
  return {
    name: 'PostgreSQL',
    async start() {
      pg = await startTestPostgres(pgBinDir!);
      return { client: 'pg', connection: pg.connection };
    },
    async stop() {
      await pg?.stop();
    },
  };
}

const databases = [sqliteFiles(), ...(pgBinDir ? [postgres()] : [])];

describe.each(databases)('a backend killed with SIGKILL, on $name', db => {
  let dir: string;
  let github: LocalGithubApiServer;
  let cluster: LocalKubernetesApiServer;
  let database: JsonObject;
  const backends: BackendProcess[] = [];

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-kill-'));
    github = await startTestGithub();
    github.seedRepo('acme', 'existing');
    cluster = await startKubernetesApiServer({
      token: 'kill-test-token',
      namespaceDeletionDelayMs: 50,
    });
    database = await db.start(dir);
  });

  afterEach(async () => {
    await Promise.all(backends.splice(0).map(b => b.kill()));
    await github.close();
    await cluster.close();
    await db.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function startBackend(options: {
    template: TemplateEntityV1beta3;
    scaffolder: JsonObject;
  }): Promise<BackendProcess> {
    const clusterConfig = testClusterConfig(cluster);
    const backend = await startBackendProcess({
      dir,
      database,
      templates: [options.template],
      config: {
        app: { baseUrl: 'http://127.0.0.1:3000' },
        ...githubIntegrationConfig(github),
        ...clusterConfig,
        platform: {
          ...(clusterConfig.platform as JsonObject),
          github: UNPACED_GITHUB,
          // A short lease, so the second backend need not wait long for the
          // killed one's to expire.
          rollback: { lease: { seconds: 2 } },
        },
        scaffolder: options.scaffolder,
      },
    });
    backends.push(backend);
    return backend;
  }

  async function kill(backend: BackendProcess) {
    backends.splice(backends.indexOf(backend), 1);
    await backend.kill();
  }

  async function run(
    backend: BackendProcess,
    values: JsonObject,
  ): Promise<string> {
    const res = await backend.request('POST', '/api/scaffolder/v2/tasks', {
      templateRef: 'template:default/gated-service',
      values,
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function getRun(
    backend: BackendProcess,
    taskId: string,
  ): Promise<PlatformRun | undefined> {
    const res = await backend.request(
      'GET',
      `/api/scaffolder/platform/runs/${taskId}`,
    );
    return res.status === 200 ? res.body : undefined;
  }

  async function taskStatus(backend: BackendProcess, taskId: string) {
    return (await backend.request('GET', `/api/scaffolder/v2/tasks/${taskId}`))
      .body.status as string;
  }

  /** The run once it has ended and rollback has nothing left to do. */
  function settled(backend: BackendProcess, taskId: string) {
    return waitFor(
      `run ${taskId} to settle`,
      async () => {
        const platformRun = await getRun(backend, taskId);
        const ended = ['completed', 'failed', 'cancelled'].includes(
          platformRun?.status ?? '',
        );
        const unsettled = platformRun?.resources.some(r =>
          ['pending', 'created', 'rolling_back'].includes(r.state),
        );
        return ended && (platformRun!.status === 'completed' || !unsettled)
          ? platformRun
          : undefined;
      },
      120_000,
    );
  }

  /** Starts a run and waits until it has created and journaled everything and waits at its gate. */
  async function runToGate(
    backend: BackendProcess,
    name: string,
    gate: string,
  ): Promise<string> {
    const taskId = await run(backend, { name, gate });
    // A backend process on a loaded 2-core machine can take its time to
    // claim the task and run three steps: 20 s was missed once in CI.
    await waitFor(
      'the run to reach its gate',
      async () => {
        const journaled =
          (await getRun(backend, taskId))?.resources.length ===
          RESOURCE_KINDS.length;
        return journaled &&
          github.getRepo('acme', name) &&
          cluster.get('namespaces', undefined, name)
          ? true
          : undefined;
      },
      60_000,
    );
    return taskId;
  }

  function expectExistingUntouched() {
    expect(github.getRepo('acme', 'existing')).toBeDefined();
    expect(
      github.requests.filter(
        r => r.path.startsWith('/repos/acme/existing') && r.method !== 'GET',
      ),
    ).toEqual([]);
  }

  it('rolls back a run killed mid-way once the scaffolder marks it stale', async () => {
    const template = gatedTemplate({ recoverable: false });
    // Live tasks beat every second; a task silent for 5 s is dead.
    const scaffolder = {
      taskTimeout: { seconds: 5 },
      taskTimeoutJanitorFrequency: { seconds: 1 },
    };
    const first = await startBackend({ template, scaffolder });
    const taskId = await runToGate(
      first,
      'svc-killed-run',
      path.join(dir, 'never-opened'),
    );
    await kill(first);

    const second = await startBackend({ template, scaffolder });
    const platformRun = await settled(second, taskId);
    expect(await taskStatus(second, taskId)).toBe('failed');
    expect(platformRun.resources.map(r => [r.kind, r.state])).toEqual(
      RESOURCE_KINDS.map(kind => [kind, 'rolled_back']),
    );
    expect(github.getRepo('acme', 'svc-killed-run')).toBeUndefined();
    expect(
      cluster.get('namespaces', undefined, 'svc-killed-run'),
    ).toBeUndefined();
    expectExistingUntouched();
  });

  it('finishes a rollback whose backend was killed in the middle of it', async () => {
    const template = gatedTemplate({ recoverable: false });
    const first = await startBackend({ template, scaffolder: {} });
    // GitHub refuses the repository's deletion for now, so the rollback is
    // under way, with the namespace already deleted, when the backend dies.
    github.failNext(1000, { method: 'DELETE', status: 503 });
    const taskId = await run(first, {
      name: 'svc-killed-rollback',
      gate: '',
      fail: true,
    });
    // Generous: on a loaded two-core machine, with other suites' backends
    // beside this one, the namespace's set-aside check can take a while.
    await waitFor(
      'the rollback to be under way',
      async () => {
        const states = (await getRun(first, taskId))?.resources.map(
          r => r.state,
        );
        return states?.join() ===
          'rolling_back,rolled_back,rolled_back,rolled_back'
          ? true
          : undefined;
      },
      60_000,
    );
    await kill(first);
    expect(github.getRepo('acme', 'svc-killed-rollback')).toBeDefined();

    github.clearFaults();
    const second = await startBackend({ template, scaffolder: {} });
    const platformRun = await settled(second, taskId);
    expect(platformRun.resources.map(r => r.state)).toEqual(
      RESOURCE_KINDS.map(() => 'rolled_back'),
    );
    expect(github.getRepo('acme', 'svc-killed-rollback')).toBeUndefined();
    // The namespace was deleted once, before the kill, and not again after.
    expect(
      cluster.requests.filter(
        r =>
          r.method === 'DELETE' &&
          r.path.endsWith('/namespaces/svc-killed-rollback'),
      ),
    ).toHaveLength(1);
    expectExistingUntouched();
  });

  it('replays a run killed mid-way that task recovery starts over, without duplicates or rollback', async () => {
    const template = gatedTemplate({ recoverable: true });
    const scaffolder = {
      taskRecovery: { enabled: true, staleTimeout: { seconds: 3 } },
    };
    const gate = path.join(dir, 'gate');
    const first = await startBackend({ template, scaffolder });
    const taskId = await runToGate(first, 'svc-recovered', gate);
    await kill(first);
    fs.writeFileSync(gate, '');

    const second = await startBackend({ template, scaffolder });
    const platformRun = await settled(second, taskId);
    expect(platformRun.status).toBe('completed');
    expect(platformRun.resources.map(r => [r.kind, r.state])).toEqual(
      RESOURCE_KINDS.map(kind => [kind, 'created']),
    );
    expect(
      github
        .listRepos()
        .map(r => r.name)
        .sort(),
    ).toEqual(['existing', 'svc-recovered']);
    expect(cluster.get('namespaces', undefined, 'svc-recovered')).toBeDefined();
    expect(github.requests.filter(r => r.method === 'DELETE')).toEqual([]);
    expectExistingUntouched();
  });
});
