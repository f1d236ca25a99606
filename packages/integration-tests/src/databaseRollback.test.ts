import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import {
  capturingRootLoggerFactory,
  createSqliteDatabase,
  findPostgresBinDir,
  startTestDatabaseServer,
  testClusterConfig,
  TestDatabaseServer,
  testStepsModule,
  waitFor,
} from '@internal/platform-test-utils';
import { PlatformRun } from '@internal/plugin-platform-common';
import { exampleManifests } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import database from '@internal/plugin-scaffolder-backend-module-platform-database';
import { Knex } from 'knex';
import {
  LocalKubernetesApiServer,
  startKubernetesApiServer,
} from 'local-targets';
import { Client } from 'pg';
import request from 'supertest';
import { platformModules } from './__testUtils__/platformModules';

jest.setTimeout(120_000);

/**
 * `platform:database:create` through the real scaffolder backend, with the
 * rollback module and the real scheduler, against Debian's PostgreSQL and
 * the loopback Kubernetes API server: a run whose deployment fails after the
 * database was made leaves no database, role or Secret behind, a run that
 * succeeds keeps them, and the generated password is on no surface.
 */

const template: TemplateEntityV1beta3 = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'service-with-database', namespace: 'default' },
  spec: {
    type: 'service',
    parameters: [
      {
        properties: { name: { type: 'string' }, failLast: { type: 'boolean' } },
      },
    ],
    steps: [
      {
        id: 'namespace',
        action: 'platform:kubernetes:namespace:create',
        input: {
          name: '${{ parameters.name }}',
          service: '${{ parameters.name }}',
          owner: 'group:default/team-payments',
        },
      },
      {
        id: 'database',
        action: 'platform:database:create',
        input: {
          server: 'main',
          namespace: '${{ steps.namespace.output.namespace }}',
          name: '${{ parameters.name }}',
          owner: 'group:default/team-payments',
        },
      },
      {
        id: 'deploy',
        action: 'platform:kubernetes:apply',
        input: {
          namespace: '${{ steps.namespace.output.namespace }}',
          manifests: [exampleManifests.deployment, exampleManifests.service],
        },
      },
      // A step after every platform step, as catalog registration is in the
      // golden path: its failure too rolls the database back.
      {
        id: 'last',
        action: 'test:step',
        input: { fail: '${{ parameters.failLast or false }}' },
      },
    ],
    output: {
      database: '${{ steps.database.output.database }}',
      host: '${{ steps.database.output.host }}',
      secretName: '${{ steps.database.output.secretName }}',
    },
  },
};

const binDir = findPostgresBinDir();
const describeWithPostgres = binDir ? describe : describe.skip;

const FINAL = ['completed', 'failed', 'cancelled'];

describeWithPostgres('a database through the real scaffolder backend', () => {
  let cluster: LocalKubernetesApiServer;
  let postgres: TestDatabaseServer;
  let superuser: Client;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  const backendLog: string[] = [];
  const auth = mockCredentials.user.header();

  beforeAll(async () => {
    postgres = await startTestDatabaseServer(binDir!);
    superuser = await postgres.superuser();
    cluster = await startKubernetesApiServer({
      token: 'database-rollback-token',
      deploymentAvailableAfterMs: 20,
      namespaceDeletionDelayMs: 50,
    });
    // The task broker polls after stop(); the database goes with the worker.
    knex = createSqliteDatabase();
    const clusterConfig = testClusterConfig(cluster);
    backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        ...platformModules,
        database,
        testStepsModule,
        catalogServiceMock.mock({ getEntityByRef: async () => template })
          .factory,
        mockServices.database.factory({ knex }),
        capturingRootLoggerFactory(backendLog),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://backstage.test' },
            ...clusterConfig,
            platform: {
              ...(clusterConfig.platform as object),
              rollback: { pollInterval: { milliseconds: 200 } },
              databases: {
                main: {
                  host: postgres.host,
                  port: postgres.port,
                  adminUser: postgres.adminUser,
                  adminPassword: postgres.adminPassword,
                  tls: { mode: 'disable' },
                },
              },
            },
          },
        }),
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await backend?.stop();
    await cluster?.close();
    await superuser?.end();
    await postgres?.stop();
  });

  afterEach(() => cluster.clearFaults());

  async function start(name: string, failLast = false): Promise<string> {
    const res = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', auth)
      .send({
        templateRef: 'template:default/service-with-database',
        values: { name, failLast },
      });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function getTask(taskId: string) {
    return (
      await request(backend.server)
        .get(`/api/scaffolder/v2/tasks/${taskId}`)
        .set('Authorization', auth)
    ).body;
  }

  async function getRun(taskId: string): Promise<PlatformRun | undefined> {
    const res = await request(backend.server)
      .get(`/api/scaffolder/platform/runs/${taskId}`)
      .set('Authorization', auth);
    return res.status === 200 ? res.body : undefined;
  }

  /**
   * The run once it has ended and, when it failed, every resource it made
   * has been rolled back or given up on.
   */
  function settled(taskId: string): Promise<PlatformRun> {
    return waitFor(`task ${taskId} to end and settle`, async () => {
      const run = await getRun(taskId);
      if (!run || !FINAL.includes(run.status)) {
        return undefined;
      }
      const final =
        run.status === 'completed'
          ? ['created', 'kept']
          : ['kept', 'rolled_back', 'rollback_failed'];
      return run.resources.every(r => final.includes(r.state))
        ? run
        : undefined;
    });
  }

  /** What the run's template declared as its output, from its completion event. */
  async function outputOf(taskId: string) {
    const events = await request(backend.server)
      .get(`/api/scaffolder/v2/tasks/${taskId}/events`)
      .set('Authorization', auth);
    return events.body.find((e: { type: string }) => e.type === 'completion')
      ?.body.output;
  }

  /** The password the run generated, read from its Secret on the cluster. */
  function passwordIn(namespace: string, name: string): string | undefined {
    const data = cluster.get('secrets', namespace, name)?.data as
      | Record<string, string>
      | undefined;
    return data && Buffer.from(data.PGPASSWORD, 'base64').toString('utf8');
  }

  async function serverHas(name: string) {
    const role = await superuser.query(
      'SELECT 1 FROM pg_roles WHERE rolname = $1',
      [name],
    );
    const db = await superuser.query(
      'SELECT 1 FROM pg_database WHERE datname = $1',
      [name],
    );
    return { role: role.rowCount === 1, database: db.rowCount === 1 };
  }

  /** Every surface a run shows: its log, state and output, the runs API, every table, the backend log. */
  async function surfaces(taskId: string): Promise<Record<string, string>> {
    const events = await request(backend.server)
      .get(`/api/scaffolder/v2/tasks/${taskId}/events`)
      .set('Authorization', auth);
    const tables: Array<{ name: string }> = await knex('sqlite_master')
      .where({ type: 'table' })
      .select('name');
    const rows: Record<string, unknown[]> = {};
    for (const { name } of tables) {
      rows[name] = await knex(name).select();
    }
    return {
      'task log events': JSON.stringify(events.body),
      'task state and output': JSON.stringify(await getTask(taskId)),
      'runs API': JSON.stringify((await getRun(taskId)) ?? {}),
      'database rows (tasks, checkpoints, journal)': JSON.stringify(rows),
      'backend log': backendLog.join('\n'),
    };
  }

  async function expectOnNoSurface(taskId: string, canaries: string[]) {
    const shown = await surfaces(taskId);
    // The surfaces are really there to be searched.
    expect(shown['task log events']).toContain('Creating role');
    expect(shown['database rows (tasks, checkpoints, journal)']).toContain(
      'postgres:credentials-secret',
    );
    for (const [surface, text] of Object.entries(shown)) {
      for (const canary of canaries) {
        expect({ surface, leaked: text.includes(canary) }).toEqual({
          surface,
          leaked: false,
        });
      }
    }
  }

  it('rolls back the database, the role and the Secret when the deployment fails, and shows the password nowhere', async () => {
    const name = 'orders';
    // The deployment's first write is held long enough to read the password
    // the database step wrote, then refused.
    cluster.failNext(1, { step: 'deploy', delayMs: 1500, status: 422 });
    const taskId = await start(name);
    const password = await waitFor('the credentials Secret', async () =>
      passwordIn(name, `${name}-database`),
    );
    expect(password).toHaveLength(32);

    const run = await settled(taskId);

    expect((await getTask(taskId)).status).toBe('failed');
    expect(await serverHas(name)).toEqual({ role: false, database: false });
    expect(cluster.get('secrets', name, `${name}-database`)).toBeUndefined();
    // The Secret was deleted by its own compensator, not only with its namespace.
    expect(
      cluster.requests.filter(
        r =>
          r.method === 'DELETE' &&
          r.path === `/api/v1/namespaces/${name}/secrets/${name}-database`,
      ),
    ).toEqual([expect.objectContaining({ status: 200 })]);
    const byKind = Object.fromEntries(
      run.resources.map(r => [r.kind, r.state]),
    );
    expect(byKind).toMatchObject({
      'postgres:role': 'rolled_back',
      'postgres:database': 'rolled_back',
      'postgres:credentials-secret': 'rolled_back',
      'kubernetes:namespace': 'rolled_back',
    });
    await expectOnNoSurface(taskId, [password, postgres.adminPassword]);
  });

  it('rolls back the database, the role and the Secret when a step after the deployment fails', async () => {
    const name = 'invoices';
    const taskId = await start(name, true);

    const run = await settled(taskId);

    expect((await getTask(taskId)).status).toBe('failed');
    expect(await serverHas(name)).toEqual({ role: false, database: false });
    expect(cluster.get('secrets', name, `${name}-database`)).toBeUndefined();
    expect(
      Object.fromEntries(run.resources.map(r => [r.kind, r.state])),
    ).toMatchObject({
      'postgres:role': 'rolled_back',
      'postgres:database': 'rolled_back',
      'postgres:credentials-secret': 'rolled_back',
      'kubernetes:namespace': 'rolled_back',
    });
  });

  it('keeps the database, the role and the Secret of a run that succeeds, and shows the password nowhere', async () => {
    const name = 'ledger';
    const taskId = await start(name);
    const run = await settled(taskId);

    const task = await getTask(taskId);
    expect(task.status).toBe('completed');
    expect(await outputOf(taskId)).toEqual({
      database: name,
      host: postgres.host,
      secretName: `${name}-database`,
    });
    expect(await serverHas(name)).toEqual({ role: true, database: true });
    const password = passwordIn(name, `${name}-database`)!;
    const service = await postgres.connectAs(name, password, name);
    const { rows } = await service.query('SELECT current_database() AS db');
    await service.end();
    expect(rows).toEqual([{ db: name }]);
    expect(
      run.resources
        .filter(r => r.kind.startsWith('postgres:'))
        .map(r => [r.kind, r.state]),
    ).toEqual([
      ['postgres:role', 'created'],
      ['postgres:database', 'created'],
      ['postgres:credentials-secret', 'created'],
    ]);
    await expectOnNoSurface(taskId, [password, postgres.adminPassword]);
  });
});
