import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { Knex } from 'knex';
import { createSqliteDatabase } from '@internal/platform-test-utils';
import { actionContext, exampleStep } from '@internal/platform-test-utils';
import { component, FakeCatalog } from '@internal/platform-test-utils';
import { DatabaseRollbackJournal } from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import { createCatalogRegisterAction } from './catalogRegister';
import { examples } from './catalogRegister.examples';

describe('platform:catalog:register examples', () => {
  let db: Knex;
  let journal: DatabaseRollbackJournal;

  beforeEach(async () => {
    db = createSqliteDatabase();
    await DatabaseRollbackJournal.runMigrations(db);
    journal = new DatabaseRollbackJournal(db);
  });

  afterEach(async () => {
    await db.destroy();
  });

  it.each(examples.map(e => [e.description, e]))('%s', async (_, example) => {
    const step = exampleStep(example);
    const integrations = ScmIntegrations.fromConfig(
      new ConfigReader({
        integrations: { github: [{ host: 'github.com', token: 't' }] },
      }),
    );
    const target: string =
      step.input.catalogInfoUrl ??
      integrations.resolveUrl({
        base: step.input.repoContentsUrl,
        url: step.input.catalogInfoPath ?? '/catalog-info.yaml',
      });
    const name = target.split('/')[4];
    const catalog = new FakeCatalog();
    catalog.files.set(target, { entities: [component(name)] });
    const action = createCatalogRegisterAction({
      catalog: catalog.service,
      auth: mockServices.auth({ pluginId: 'scaffolder' }),
      integrations,
      journal,
      pollIntervalMs: 5,
    });
    expect(step.action).toBe(action.id);

    const ctx = actionContext(step.input, { stepId: 'register' });
    await action.handler(ctx);

    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      `component:default/${name}`,
    );
    expect(ctx.output).toHaveBeenCalledWith('catalogInfoUrl', target);
    const [entry] = await journal.listByTask(ctx.task.id);
    expect(entry.state).toBe(
      step.input.rollback === false ? 'kept' : 'created',
    );
  });
});
