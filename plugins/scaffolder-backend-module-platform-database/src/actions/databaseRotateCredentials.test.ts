import { createHarness, Harness } from '../__testUtils__/harness';
import {
  describeWithPostgres,
  useTestServer,
} from '../__testUtils__/testServer';

jest.setTimeout(60_000);

let counter = 0;

describeWithPostgres(
  'platform:database:rotate-credentials on a real PostgreSQL',
  () => {
    const testServer = useTestServer();
    let h: Harness;
    let name: string;

    beforeEach(async () => {
      h = await createHarness(testServer().server);
      h.seedNamespace('payments');
      name = `rot${Date.now().toString(36)}${++counter}`;
      await h.createAction.handler(
        h.context({
          server: 'main',
          namespace: 'payments',
          name,
          owner: 'group:default/team-payments',
        }) as any,
      );
    });
    afterEach(() => h.close());

    const secret = () =>
      h.secretValues('payments', `${name}-database`)!;
    const logsIn = async (password: string) => {
      try {
        const c = await testServer().connectAs(name, password, name);
        await c.end();
        return true;
      } catch {
        return false;
      }
    };
    const rotate = async () => {
      const ctx = h.context({ server: 'main', namespace: 'payments', name });
      await h.rotateAction.handler(ctx as any);
      return ctx;
    };

    it('sets a new password that the Secret holds, and journals no password', async () => {
      const before = secret();
      const ctx = await rotate();
      const after = secret();

      expect(after.PGPASSWORD).not.toBe(before.PGPASSWORD);
      expect(after.DATABASE_URL).toContain(after.PGPASSWORD);
      expect(await logsIn(after.PGPASSWORD)).toBe(true);
      expect(await logsIn(before.PGPASSWORD)).toBe(false);
      const journal = JSON.stringify(await h.cluster.journal.listByTask(ctx.task.id));
      expect(journal).not.toContain(before.PGPASSWORD);
      expect(journal).not.toContain(after.PGPASSWORD);
      expect(
        h.secretValues('payments', `${name}-database-previous`),
      ).toEqual(before);
    });

    it('ends in the same state when the step runs again', async () => {
      const ctx = h.context({ server: 'main', namespace: 'payments', name });
      await h.rotateAction.handler(ctx as any);
      const first = secret();
      await h.rotateAction.handler(ctx as any);
      expect(secret()).toEqual(first);
      expect(await logsIn(first.PGPASSWORD)).toBe(true);
    });

    it('puts back the previous password and Secret when a later step fails', async () => {
      const before = secret();
      const ctx = await rotate();
      await h.rollback(ctx.task.id);

      expect(secret()).toEqual(before);
      expect(await logsIn(before.PGPASSWORD)).toBe(true);
      expect(
        h.cluster.server.get('secrets', 'payments', `${name}-database-previous`),
      ).toBeUndefined();
      const [entry] = await h.cluster.journal.listByTask(ctx.task.id);
      expect([entry.state, entry.reason]).toEqual([
        'rolled_back',
        'restored the values it had before the run',
      ]);
      expect(h.rollbackLog.join('\n')).not.toContain(before.PGPASSWORD);
    });

    it('leaves a Secret changed after the rotation in force, and says so', async () => {
      const ctx = await rotate();
      // Someone else's write after the rotation, as kubectl would make it.
      const changed = h.cluster.server.get(
        'secrets',
        'payments',
        `${name}-database`,
      )!;
      await h.cluster.kubernetes.clientFor('local').replace({
        ...changed,
        metadata: { ...changed.metadata, labels: { touched: 'yes' } },
      });
      const after = secret();
      await h.rollback(ctx.task.id);

      expect(secret()).toEqual(after);
      expect(await logsIn(after.PGPASSWORD)).toBe(true);
      const [entry] = await h.cluster.journal.listByTask(ctx.task.id);
      expect(entry.state).toBe('rollback_failed');
      expect(entry.reason).toContain(
        'was changed after this run rotated the credentials',
      );
    });

    it('refuses to guess when the copy of the previous credentials is gone, and leaves the rotation in force', async () => {
      const ctx = await rotate();
      const after = secret();
      const backup = h.cluster.server.get(
        'secrets',
        'payments',
        `${name}-database-previous`,
      )!;
      await h.cluster.kubernetes
        .clientFor('local')
        .deleteExact(backup as any, backup.metadata.uid!);

      await h.rollback(ctx.task.id);

      expect(secret()).toEqual(after);
      expect(await logsIn(after.PGPASSWORD)).toBe(true);
      const [entry] = await h.cluster.journal.listByTask(ctx.task.id);
      expect([entry.state, entry.reason]).toEqual([
        'rollback_failed',
        `Could not restore the credentials of role ${name} on server main (Secret ${name}-database in namespace payments on cluster local): the copy of the previous credentials, Secret ${name}-database-previous, is gone; rotate the credentials again so that the Secret and the role agree`,
      ]);
      expect(h.rollbackLog.join('\n')).not.toContain(after.PGPASSWORD);
    });

    it('has nothing to put back when the rotation failed before it copied the credentials', async () => {
      const before = secret();
      h.cluster.server.failNext(1, {
        kind: 'Secret',
        verb: 'create',
        status: 500,
      });
      const ctx = h.context({ server: 'main', namespace: 'payments', name });
      await expect(h.rotateAction.handler(ctx as any)).rejects.toThrow(
        `create Secret ${name}-database-previous`,
      );

      await h.rollback(ctx.task.id);

      expect(secret()).toEqual(before);
      expect(await logsIn(before.PGPASSWORD)).toBe(true);
      const [entry] = await h.cluster.journal.listByTask(ctx.task.id);
      expect(entry.state).toBe('rolled_back');
    });

    it('dry run writes nothing', async () => {
      const before = secret();
      const writes = h.writes().length;
      const ctx = h.context(
        { server: 'main', namespace: 'payments', name },
        { isDryRun: true },
      );
      await h.rotateAction.handler(ctx as any);
      expect(h.writes()).toHaveLength(writes);
      expect(secret()).toEqual(before);
      expect(await logsIn(before.PGPASSWORD)).toBe(true);
      expect(await h.cluster.journal.listByTask(ctx.task.id)).toEqual([]);
    });
  },
);
