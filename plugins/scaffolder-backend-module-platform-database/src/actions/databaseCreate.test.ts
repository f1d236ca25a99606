import { Client, escapeLiteral } from 'pg';
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
    h.seedNamespace('payments');
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

  /** A new task's context for a database of `name` in namespace payments. */
  const contextFor = (
    name: string,
    options: { isDryRun?: boolean; user?: string } = {},
  ) =>
    h.context(
      {
        server: 'main',
        namespace: 'payments',
        name,
        owner: 'group:default/team-payments',
      },
      options,
    );

  const create = async (
    name: string,
    options: { isDryRun?: boolean; user?: string } = {},
  ) => {
    const ctx = contextFor(name, options);
    await h.createAction.handler(ctx as any);
    return ctx;
  };

  it('creates role, database and Secret whose credentials log in, and outputs no password', async () => {
    const name = uniqueName();
    const ctx = await create(name);

    const values = h.secretValues('payments', `${name}-database`)!;
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
    const journal = await h.cluster.journal.listByTask(ctx.task.id);
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
    const ctx = contextFor(name);
    await h.createAction.handler(ctx as any);
    const first = h.secretValues('payments', `${name}-database`)!;
    await h.createAction.handler(ctx as any);

    expect(h.secretValues('payments', `${name}-database`)).toEqual(first);
    expect(await h.cluster.journal.listByTask(ctx.task.id)).toHaveLength(3);
    const service = await testServer().connectAs(name, first.PGPASSWORD, name);
    await service.end();
  });

  it('rolls back what the run made when a later step fails, keeps what existed, and ends the sessions', async () => {
    const name = uniqueName();
    const ctx = await create(name);
    const values = h.secretValues('payments', `${name}-database`)!;
    const service = await testServer().connectAs(name, values.PGPASSWORD, name);
    const ended = new Promise(resolve => service.on('error', resolve));
    await su.query('CREATE ROLE bystander');

    await h.rollback(ctx.task.id);

    expect(await exists(name)).toEqual({ role: false, database: false });
    expect(
      h.cluster.server.get('secrets', 'payments', `${name}-database`),
    ).toBeUndefined();
    expect(
      h.cluster.server.get('namespaces', undefined, 'payments'),
    ).toBeDefined();
    expect(
      (await su.query("SELECT 1 FROM pg_roles WHERE rolname = 'bystander'"))
        .rowCount,
    ).toBe(1);
    await expect(ended).resolves.toBeDefined();
    expect(
      (await h.cluster.journal.listByTask(ctx.task.id)).map(e => e.state),
    ).toEqual(['rolled_back', 'rolled_back', 'rolled_back']);
    await service.end().catch(() => {});
    await su.query('DROP ROLE bystander');
  });

  it("keeps a database and role recreated under the same names by someone else, even stamped with the run's markers, and says so", async () => {
    const name = uniqueName();
    const ctx = await create(name);
    // The run's comments, nonce included, as anyone who can read the
    // catalogs could copy them onto objects of their own.
    const {
      rows: [markers],
    } = await su.query(
      `SELECT shobj_description((SELECT oid FROM pg_roles WHERE rolname = $1), 'pg_authid') AS role,
              shobj_description((SELECT oid FROM pg_database WHERE datname = $1), 'pg_database') AS database`,
      [name],
    );
    expect(markers.role).toBeTruthy();
    expect(markers.database).toBeTruthy();
    await su.query(`DROP DATABASE "${name}" WITH (FORCE)`);
    await su.query(`DROP ROLE "${name}"`);
    await su.query(`CREATE ROLE "${name}"`);
    await su.query(`CREATE DATABASE "${name}"`);
    await su.query(
      `COMMENT ON ROLE "${name}" IS ${escapeLiteral(markers.role)}`,
    );
    await su.query(
      `COMMENT ON DATABASE "${name}" IS ${escapeLiteral(markers.database)}`,
    );

    await h.rollback(ctx.task.id);

    expect(await exists(name)).toEqual({ role: true, database: true });
    const reasons = (await h.cluster.journal.listByTask(ctx.task.id)).map(e => [
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
      const ctx = contextFor(name);

      await expect(h.createAction.handler(ctx as any)).rejects.toMatchObject({
        name: 'ConflictError',
        message: expect.stringContaining(`${what} ${name} already exists`),
      });
      expect(await exists(name)).toEqual(before);
      expect(h.writes()).toEqual([]);
      expect(await h.cluster.journal.listByTask(ctx.task.id)).toEqual([]);
    },
  );

  it('refuses a Secret name that is taken, before any write', async () => {
    const name = uniqueName();
    h.cluster.server.seed({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-database`, namespace: 'payments' },
      stringData: { token: 'theirs' },
    });
    await expect(create(name)).rejects.toMatchObject({
      name: 'ConflictError',
      message: `Secret ${name}-database already exists in namespace payments on cluster local; choose another secretName`,
    });
    expect(await exists(name)).toEqual({ role: false, database: false });
    expect(h.writes()).toEqual([]);
  });

  it('says clearly when the server does not answer, and writes nothing', async () => {
    const down = await createHarness({ ...testServer().server, port: 1 });
    down.seedNamespace('payments');
    const ctx = down.context({
      server: 'main',
      namespace: 'payments',
      name: 'orders',
      owner: 'group:default/team-payments',
    });
    await expect(down.createAction.handler(ctx as any)).rejects.toThrow(
      /^Could not check names on server main \(127\.0\.0\.1:1\): the server could not be reached \(ECONNREFUSED\)/,
    );
    expect(down.writes()).toEqual([]);
    expect(await down.cluster.journal.listByTask(ctx.task.id)).toEqual([]);
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
    expect(h.writes()).toEqual([]);
  });

  it('dry run checks the server and the names and writes nothing', async () => {
    const name = uniqueName();
    const ctx = await create(name, { isDryRun: true });
    expect(await exists(name)).toEqual({ role: false, database: false });
    expect(h.writes()).toEqual([]);
    expect(await h.cluster.journal.listByTask(ctx.task.id)).toEqual([]);
    expect(ctx.output).toHaveBeenCalledWith('database', name);

    await su.query(`CREATE ROLE "${name}"`);
    await expect(create(name, { isDryRun: true })).rejects.toMatchObject({
      name: 'ConflictError',
    });
    await su.query(`DROP ROLE "${name}"`);
  });

  it('is rolled back after the connection is lost between the role and the database', async () => {
    const name = uniqueName();
    const ctx = contextFor(name);
    const recordIntent = h.cluster.journal.recordIntent.bind(h.cluster.journal);
    // The moment the database's intent is recorded, the role exists and the
    // database does not: every admin session is cut off, as by a failover.
    jest
      .spyOn(h.cluster.journal, 'recordIntent')
      .mockImplementation(async intent => {
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
  /**
   * Runs the step with the admin's session cut off around `CREATE DATABASE`
   * itself, as by a failover or a network partition: the client never hears
   * the answer, whether the server ran the statement (`committed`) or not.
   */
  async function createLosingConnection(committed: boolean) {
    const name = uniqueName();
    const ctx = contextFor(name);
    const query = Client.prototype.query as (...args: any[]) => any;
    const cutOff = (db: Client) =>
      su.query('SELECT pg_terminate_backend($1)', [
        (db as unknown as { processID: number }).processID,
      ]);
    jest
      .spyOn(Client.prototype, 'query')
      .mockImplementation(async function cut(this: Client, ...args: any[]) {
        if (
          typeof args[0] !== 'string' ||
          !args[0].startsWith('CREATE DATABASE')
        ) {
          return query.apply(this, args);
        }
        if (!committed) {
          await cutOff(this);
          return query.apply(this, args);
        }
        await query.apply(this, args);
        await cutOff(this);
        throw new Error('Connection terminated unexpectedly');
      });
    try {
      return {
        name,
        ctx,
        outcome: await h.createAction.handler(ctx as any).then(
          () => undefined,
          (e: Error) => e,
        ),
      };
    } finally {
      jest.restoreAllMocks();
    }
  }

  it("looks before it acts when the connection is lost after CREATE DATABASE ran: the database is the run's, and rollback drops it", async () => {
    const { name, ctx, outcome } = await createLosingConnection(true);

    expect(outcome).toBeUndefined();
    expect(await exists(name)).toEqual({ role: true, database: true });
    const { rows } = await su.query(
      'SELECT oid::int8 AS oid FROM pg_database WHERE datname = $1',
      [name],
    );
    const journal = await h.cluster.journal.listByTask(ctx.task.id);
    expect(journal.map(e => [e.kind, e.state, e.data.oid])).toEqual([
      ['postgres:role', 'created', expect.any(Number)],
      ['postgres:database', 'created', Number(rows[0].oid)],
      ['postgres:credentials-secret', 'created', undefined],
    ]);

    await h.rollback(ctx.task.id);
    expect(await exists(name)).toEqual({ role: false, database: false });
  });

  it('looks before it acts when the connection is lost before CREATE DATABASE ran: the step fails, and rollback drops the role', async () => {
    const { name, ctx, outcome } = await createLosingConnection(false);

    expect(outcome?.message).toContain(
      `Could not create database ${name} on server main`,
    );
    expect(await exists(name)).toEqual({ role: true, database: false });
    expect(
      (await h.cluster.journal.listByTask(ctx.task.id)).map(e => [
        e.kind,
        e.state,
      ]),
    ).toEqual([['postgres:role', 'created']]);

    await h.rollback(ctx.task.id);
    expect(await exists(name)).toEqual({ role: false, database: false });
  });

  it('reports a role that still owns objects in another database when rollback drops it, and drops the rest', async () => {
    const name = uniqueName();
    const ctx = await create(name);
    // The service's role made a table in another database of the server.
    await su.query(`CREATE TABLE "${name}_audit" (id int)`);
    await su.query(`ALTER TABLE "${name}_audit" OWNER TO "${name}"`);

    await h.rollback(ctx.task.id);

    expect(await exists(name)).toEqual({ role: true, database: false });
    expect(
      h.cluster.server.get('secrets', 'payments', `${name}-database`),
    ).toBeUndefined();
    const [role] = await h.cluster.journal.listByTask(ctx.task.id);
    expect([role.kind, role.state]).toEqual([
      'postgres:role',
      'rollback_failed',
    ]);
    expect(role.reason).toContain(
      `Could not drop role ${name} on server main: it still owns objects or holds privileges elsewhere`,
    );
    expect(role.reason).toContain(`owner of table ${name}_audit`);
    expect(h.rollbackLog.join('\n')).toContain(`owner of table ${name}_audit`);
    await su.query(`DROP TABLE "${name}_audit"`);
    await su.query(`DROP ROLE "${name}"`);
  });
});
