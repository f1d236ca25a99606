import { Client } from 'pg';
import { Harness, createHarness } from '../__testUtils__/harness';
import {
  describeWithPostgres,
  useTestServer,
} from '../__testUtils__/testServer';

jest.setTimeout(60_000);

let counter = 0;
const uniqueName = () => `svc${Date.now().toString(36)}${++counter}`;

describeWithPostgres('platform:database:create on a real PostgreSQL', () => {
  const testServer = useTestServer();
  let h: Harness;
  let su: Client;

  beforeEach(async () => {
    h = await createHarness(testServer().server);
    h.cluster.seedNamespace('payments');
    su = await testServer().superuser();
  });
  afterEach(async () => {
    await su.end();
    await h.close();
  });

  const exists = async (name: string) => {
    const role = await su.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [
      name,
    ]);
    const db = await su.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      name,
    ]);
    return { role: role.rowCount === 1, database: db.rowCount === 1 };
  };

  const create = async (
    name: string,
    options: { isDryRun?: boolean; user?: string } = {},
  ) => {
    const ctx = h.context(
      {
        server: 'main',
        namespace: 'payments',
        name,
        owner: 'group:default/team-payments',
      },
      options,
    );
    await h.createAction.handler(ctx as any);
    return ctx;
  };

  it('creates role, database and Secret whose credentials log in, and outputs no password', async () => {
    const name = uniqueName();
    const ctx = await create(name);

    const values = h.cluster.secretValues('payments', `${name}-database`)!;
    expect(values).toMatchObject({
      PGHOST: testServer().server.host,
      PGPORT: String(testServer().server.port),
      PGDATABASE: name,
      PGUSER: name,
      PGSSLMODE: 'disable',
    });
    expect(values.PGPASSWORD).toHaveLength(32);
    expect(values.DATABASE_URL).toBe(
      `postgresql://${name}:${values.PGPASSWORD}@${values.PGHOST}:${values.PGPORT}/${name}?sslmode=disable`,
    );
    const service = await testServer().connectAs(name, values.PGPASSWORD, name);
    const { rows } = await service.query(
      'SELECT current_user, current_database()',
    );
    await service.end();
    expect(rows[0]).toEqual({ current_user: name, current_database: name });

    const outputs = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
    expect(outputs).toEqual({
      secretName: `${name}-database`,
      server: 'main',
      host: testServer().server.host,
      port: testServer().server.port,
      database: name,
    });
    const journal = await h.journal.listByTask(ctx.task.id);
    expect(journal.map(e => [e.kind, e.identity, e.state])).toEqual([
      ['postgres:role', `main/roles/${name}`, 'created'],
      ['postgres:database', `main/databases/${name}`, 'created'],
      [
        'postgres:credentials-secret',
        `local/payments/secrets/${name}-database`,
        'created',
      ],
    ]);
    expect(journal[0].data.oid).toEqual(expect.any(Number));
    expect(journal[1].data.oid).toEqual(expect.any(Number));
    const everything = JSON.stringify({
      outputs,
      journal,
      log: (ctx.logger.info as jest.Mock).mock.calls,
    });
    expect(everything).not.toContain(values.PGPASSWORD);
    expect(everything).not.toContain(testServer().server.adminPassword);
    expect(h.scrubber.scrub(`echo ${values.PGPASSWORD}`)).toBe('echo ***');
  });

  it('ends in the same state when the step runs again', async () => {
    const name = uniqueName();
    const ctx = h.context({
      server: 'main',
      namespace: 'payments',
      name,
      owner: 'group:default/team-payments',
    });
    await h.createAction.handler(ctx as any);
    const first = h.cluster.secretValues('payments', `${name}-database`)!;
    await h.createAction.handler(ctx as any);

    expect(h.cluster.secretValues('payments', `${name}-database`)).toEqual(
      first,
    );
    expect(await h.journal.listByTask(ctx.task.id)).toHaveLength(3);
    const service = await testServer().connectAs(name, first.PGPASSWORD, name);
    await service.end();
  });

  it('rolls back what the run made when a later step fails, keeps what existed, and ends the sessions', async () => {
    const name = uniqueName();
    const ctx = await create(name);
    const values = h.cluster.secretValues('payments', `${name}-database`)!;
    const service = await testServer().connectAs(name, values.PGPASSWORD, name);
    const ended = new Promise(resolve => service.on('error', resolve));
    await su.query('CREATE ROLE bystander');

    await h.rollback(ctx.task.id);

    expect(await exists(name)).toEqual({ role: false, database: false });
    expect(
      h.cluster.get('Secret', 'payments', `${name}-database`),
    ).toBeUndefined();
    expect(h.cluster.get('Namespace', undefined, 'payments')).toBeDefined();
    expect(
      (await su.query("SELECT 1 FROM pg_roles WHERE rolname = 'bystander'"))
        .rowCount,
    ).toBe(1);
    await expect(ended).resolves.toBeDefined();
    expect((await h.journal.listByTask(ctx.task.id)).map(e => e.state)).toEqual(
      ['rolled_back', 'rolled_back', 'rolled_back'],
    );
    await service.end().catch(() => {});
    await su.query('DROP ROLE bystander');
  });

  it('keeps a database and role recreated under the same names by someone else, and says so', async () => {
    const name = uniqueName();
    const ctx = await create(name);
    await su.query(`DROP DATABASE "${name}" WITH (FORCE)`);
    await su.query(`DROP ROLE "${name}"`);
    await su.query(`CREATE ROLE "${name}"`);
    await su.query(`CREATE DATABASE "${name}"`);

    await h.rollback(ctx.task.id);

    expect(await exists(name)).toEqual({ role: true, database: true });
    const reasons = (await h.journal.listByTask(ctx.task.id)).map(e => [
      e.kind,
      e.state,
      e.reason,
    ]);
    expect(reasons).toEqual([
      [
        'postgres:role',
        'rollback_failed',
        expect.stringContaining(`Kept role ${name}`),
      ],
      [
        'postgres:database',
        'rollback_failed',
        expect.stringContaining(`Kept database ${name}`),
      ],
      ['postgres:credentials-secret', 'rolled_back', 'deleted'],
    ]);
    await su.query(`DROP DATABASE "${name}"`);
    await su.query(`DROP ROLE "${name}"`);
  });

  it.each([
    ['role', (name: string) => `CREATE ROLE "${name}"`, `Role`],
    ['database', (name: string) => `CREATE DATABASE "${name}"`, `Database`],
  ])(
    'refuses a %s that already exists with a ConflictError and writes nothing',
    async (_, sql, what) => {
      const name = uniqueName();
      await su.query(sql(name));
      const before = await exists(name);
      const ctx = h.context({
        server: 'main',
        namespace: 'payments',
        name,
        owner: 'group:default/team-payments',
      });

      await expect(h.createAction.handler(ctx as any)).rejects.toMatchObject({
        name: 'ConflictError',
        message: expect.stringContaining(`${what} ${name} already exists`),
      });
      expect(await exists(name)).toEqual(before);
      expect(h.cluster.writes).toEqual([]);
      expect(await h.journal.listByTask(ctx.task.id)).toEqual([]);
    },
  );

  it('refuses a Secret name that is taken, before any write', async () => {
    const name = uniqueName();
    h.cluster.store({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-database`, namespace: 'payments' },
    });
    await expect(create(name)).rejects.toMatchObject({ name: 'ConflictError' });
    expect(await exists(name)).toEqual({ role: false, database: false });
  });

  it('says clearly when the server does not answer, and writes nothing', async () => {
    const down = await createHarness({ ...testServer().server, port: 1 });
    down.cluster.seedNamespace('payments');
    const ctx = down.context({
      server: 'main',
      namespace: 'payments',
      name: 'orders',
      owner: 'group:default/team-payments',
    });
    await expect(down.createAction.handler(ctx as any)).rejects.toThrow(
      /^Could not check names on server main \(127\.0\.0\.1:1\): the server could not be reached \(ECONNREFUSED\)/,
    );
    expect(down.cluster.writes).toEqual([]);
    expect(await down.journal.listByTask(ctx.task.id)).toEqual([]);
    await down.close();
  });

  it('refuses a user of another team before any write', async () => {
    const name = uniqueName();
    await expect(create(name, { user: 'grace' })).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: expect.stringContaining(
        'user:default/grace may not create a database Secret in namespace payments',
      ),
    });
    expect(await exists(name)).toEqual({ role: false, database: false });
    expect(h.cluster.writes).toEqual([]);
  });

  it('dry run checks the server and the names and writes nothing', async () => {
    const name = uniqueName();
    const ctx = await create(name, { isDryRun: true });
    expect(await exists(name)).toEqual({ role: false, database: false });
    expect(h.cluster.writes).toEqual([]);
    expect(await h.journal.listByTask(ctx.task.id)).toEqual([]);
    expect(ctx.output).toHaveBeenCalledWith('database', name);

    await su.query(`CREATE ROLE "${name}"`);
    await expect(create(name, { isDryRun: true })).rejects.toMatchObject({
      name: 'ConflictError',
    });
    await su.query(`DROP ROLE "${name}"`);
  });

  it('is rolled back after the connection is lost between the role and the database', async () => {
    const name = uniqueName();
    const ctx = h.context({
      server: 'main',
      namespace: 'payments',
      name,
      owner: 'group:default/team-payments',
    });
    const recordIntent = h.journal.recordIntent.bind(h.journal);
    // The moment the database's intent is recorded, the role exists and the
    // database does not: every admin session is cut off, as by a failover.
    jest.spyOn(h.journal, 'recordIntent').mockImplementation(async intent => {
      const entry = await recordIntent(intent);
      if (intent.kind === 'postgres:database') {
        await su.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'platform_admin'",
        );
        await su.query(`ALTER ROLE platform_admin NOLOGIN`);
      }
      return entry;
    });

    await expect(h.createAction.handler(ctx as any)).rejects.toThrow(
      `Could not create database ${name} on server main`,
    );
    expect(await exists(name)).toEqual({ role: true, database: false });
    await su.query(`ALTER ROLE platform_admin LOGIN`);

    await h.rollback(ctx.task.id);
    expect(await exists(name)).toEqual({ role: false, database: false });
  });
});
