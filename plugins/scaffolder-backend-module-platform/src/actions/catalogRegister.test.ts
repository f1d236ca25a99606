import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { ScmIntegrations } from '@backstage/integration';
import { Knex } from 'knex';
import fs from 'node:fs/promises';
import path from 'node:path';
import yaml from 'yaml';
import { createSqliteDatabase } from '@internal/platform-test-utils';
import { actionContext } from '@internal/platform-test-utils';
import {
  component,
  FakeCatalog,
  registeredElsewhere,
} from '@internal/platform-test-utils';
import { createCatalogLocationCompensator } from '../catalog/catalogLocationCompensator';
import { DatabaseRollbackJournal } from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import { ResourceCompensatorRegistry } from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import { RollbackEngine } from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import { createCatalogRegisterAction } from './catalogRegister';

jest.setTimeout(20_000);

const URL = 'https://github.com/acme/payments/blob/main/catalog-info.yaml';
const OTHER =
  'https://github.com/acme/old-payments/blob/main/catalog-info.yaml';
const LOCATION_ENTITY = /^location:default\/generated-[0-9a-f]{40}$/;

describe('platform:catalog:register', () => {
  let db: Knex;
  let journal: DatabaseRollbackJournal;
  let catalog: FakeCatalog;
  let engine: RollbackEngine;
  const failedTasks = new Set<string>();
  const auth = mockServices.auth({ pluginId: 'scaffolder' });
  const integrations = ScmIntegrations.fromConfig(
    new ConfigReader({
      integrations: { github: [{ host: 'github.com', token: 'gh-token' }] },
    }),
  );

  beforeEach(async () => {
    db = createSqliteDatabase();
    await DatabaseRollbackJournal.runMigrations(db);
    journal = new DatabaseRollbackJournal(db);
    catalog = new FakeCatalog({
      entities: [
        registeredElsewhere(
          component('payments', 'group:default/team-payments'),
          OTHER,
        ),
      ],
    });
    catalog.files.set(URL, { entities: [component('payments-v2')] });
    engine = new RollbackEngine({
      journal,
      compensators: new ResourceCompensatorRegistry().register(
        createCatalogLocationCompensator({ catalog: catalog.service, auth }),
      ),
      logger: mockServices.logger.mock(),
      tasks: {
        getTask: async id => ({
          status: failedTasks.has(id) ? 'failed' : 'processing',
        }),
      },
      taskLog: { append: async () => {} },
      initialBackoffMs: 10,
      maxBackoffMs: 20,
      maxDurationPerResourceMs: 200,
    });
  });

  afterEach(async () => {
    await engine.stop();
    await db.destroy();
  });

  const action = () =>
    createCatalogRegisterAction({
      catalog: catalog.service,
      auth,
      integrations,
      journal,
      pollIntervalMs: 5,
    });

  type Input = {
    catalogInfoUrl?: string;
    repoContentsUrl?: string;
    catalogInfoPath?: string;
    timeoutSeconds?: number;
    rollback?: boolean;
  };

  function context(
    input: Input,
    options: {
      isDryRun?: boolean;
      taskId?: string;
      checkpoints?: Map<string, unknown>;
    } = {},
  ) {
    const ctx = actionContext(input, { ...options, stepId: 'register' });
    const { checkpoints } = options;
    if (checkpoints) {
      // As the scaffolder does for a retried task: a finished checkpoint
      // returns its recorded value instead of running again.
      ctx.checkpoint = (async ({ key, fn }) => {
        if (!checkpoints.has(key)) {
          checkpoints.set(key, await fn());
        }
        return checkpoints.get(key);
      }) as typeof ctx.checkpoint;
    }
    return ctx;
  }

  async function rollback(taskId: string) {
    failedTasks.add(taskId);
    await engine.tick();
  }

  const writes = () => catalog.addLocationCalls().filter(c => !c.dryRun);

  it('checks with a dry run, registers as the user, waits for processing and journals the location', async () => {
    const ctx = context({ catalogInfoUrl: URL });
    await action().handler(ctx);

    expect(catalog.addLocationCalls()).toEqual([
      {
        target: URL,
        dryRun: true,
        principal: expect.objectContaining({ type: 'user' }),
      },
      {
        target: URL,
        dryRun: false,
        principal: expect.objectContaining({ type: 'user' }),
      },
    ]);
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'component:default/payments-v2',
    );
    expect(ctx.output).toHaveBeenCalledWith('catalogInfoUrl', URL);

    const [entry] = await journal.listByTask(ctx.task.id);
    expect(entry).toMatchObject({
      kind: 'catalog:location',
      identity: URL,
      url: URL,
      state: 'created',
      stepId: 'register',
      data: {
        target: URL,
        locationId: 'location-1',
        entityRefs: [
          expect.stringMatching(LOCATION_ENTITY),
          'component:default/payments-v2',
        ],
        entityUids: {
          'component:default/payments-v2': catalog.entities.get(
            'component:default/payments-v2',
          )?.metadata.uid,
        },
      },
    });
  });

  it('resolves the catalog file from repoContentsUrl and catalogInfoPath with the integration', async () => {
    // As the stock action: GitHub's integration resolves a file below a
    // tree URL.
    const target =
      'https://github.com/acme/payments/tree/main/services/api/catalog-info.yaml';
    catalog.files.set(target, { entities: [component('payments-api')] });
    const ctx = context({
      repoContentsUrl: 'https://github.com/acme/payments/blob/main',
      catalogInfoPath: '/services/api/catalog-info.yaml',
    });
    await action().handler(ctx);

    expect(writes()).toEqual([expect.objectContaining({ target })]);
    expect(ctx.output).toHaveBeenCalledWith('catalogInfoUrl', target);
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'component:default/payments-api',
    );
  });

  it.each([
    [{}, 'Give exactly one of catalogInfoUrl and repoContentsUrl'],
    [
      {
        catalogInfoUrl: URL,
        repoContentsUrl: 'https://github.com/acme/payments/blob/main',
      },
      'Give exactly one of catalogInfoUrl and repoContentsUrl',
    ],
    [
      { catalogInfoUrl: URL, catalogInfoPath: '/catalog-info.yaml' },
      'catalogInfoPath /catalog-info.yaml needs repoContentsUrl',
    ],
    [
      { repoContentsUrl: 'https://gitlab.example.com/acme/payments' },
      'repoContentsUrl https://gitlab.example.com/acme/payments has no integration configured for its host',
    ],
    [
      { catalogInfoUrl: 'catalog-info.yaml' },
      'The catalog file URL catalog-info.yaml is not an absolute http or https URL',
    ],
  ])(
    'refuses %j before asking the catalog anything',
    async (input, message) => {
      const run = action().handler(context(input as Input));
      await expect(run).rejects.toThrow(InputError);
      await expect(run).rejects.toThrow(message);
      expect(catalog.service.addLocation).not.toHaveBeenCalled();
    },
  );

  it('fails with a ConflictError naming the owner and location of a taken name, before registering anything', async () => {
    catalog.files.set(URL, { entities: [component('payments')] });
    const ctx = context({ catalogInfoUrl: URL });

    const run = action().handler(ctx);
    await expect(run).rejects.toThrow(ConflictError);
    await expect(run).rejects.toThrow(
      `component:default/payments already exists in the catalog, owned by group:default/team-payments, from url:${OTHER}; choose another name`,
    );
    expect(writes()).toEqual([]);
    expect(catalog.locations.size).toBe(0);
    expect(await journal.listByTask(ctx.task.id)).toEqual([]);
  });

  it('counts a name taken by an entity the user may not see as taken, without telling its owner', async () => {
    catalog.files.set(URL, { entities: [component('payments')] });
    catalog.hiddenFromUser.add('component:default/payments');

    const run = action().handler(context({ catalogInfoUrl: URL }));
    await expect(run).rejects.toThrow(
      'component:default/payments already exists in the catalog, as an entity you are not allowed to see; choose another name',
    );
    await expect(run).rejects.not.toThrow('team-payments');
    expect(writes()).toEqual([]);
  });

  it('refuses a catalog file that someone else registered already', async () => {
    await catalog.service.addLocation({ type: 'url', target: URL });
    catalog.service.addLocation.mockClear();

    const run = action().handler(context({ catalogInfoUrl: URL }));
    await expect(run).rejects.toThrow(ConflictError);
    await expect(run).rejects.toThrow(
      `${URL} is already registered in the catalog, by someone other than this run`,
    );
    expect(writes()).toEqual([]);
  });

  it("fails with the catalog's own messages when its dry run rejects the file, before registering anything", async () => {
    catalog.files.set(URL, {
      entities: [component('payments-v2')],
      errors: [
        'component:default/payments-v2 has the lifecycle "prod", which is not one of the configured lifecycles: experimental, production',
        'spec.dependencies[0] of component:default/payments-v2 has the type "network"; allowed types are runtime, build, data',
      ],
    });
    const ctx = context({ catalogInfoUrl: URL });

    const run = action().handler(ctx);
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toThrow(
      `The catalog would reject ${URL}: component:default/payments-v2 has the lifecycle "prod", which is not one of the configured lifecycles: experimental, production; spec.dependencies[0] of component:default/payments-v2 has the type "network"; allowed types are runtime, build, data`,
    );
    expect(writes()).toEqual([]);
    expect(await journal.listByTask(ctx.task.id)).toEqual([]);
  });

  it('refuses when the catalog does not let the user register, with no journal entry', async () => {
    catalog.failNext(
      'addLocation',
      new NotAllowedError('You are not allowed to create locations'),
    );
    const ctx = context({ catalogInfoUrl: URL });

    const run = action().handler(ctx);
    await expect(run).rejects.toThrow(NotAllowedError);
    await expect(run).rejects.toThrow(
      `Could not check ${URL} with the catalog's dry run: You are not allowed to create locations`,
    );
    expect(writes()).toEqual([]);
    expect(await journal.listByTask(ctx.task.id)).toEqual([]);
  });

  it('only checks in a dry run, with the same outputs', async () => {
    const ctx = context({ catalogInfoUrl: URL }, { isDryRun: true });
    await action().handler(ctx);

    expect(catalog.addLocationCalls()).toEqual([
      expect.objectContaining({ dryRun: true }),
    ]);
    expect(catalog.locations.size).toBe(0);
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'component:default/payments-v2',
    );
    expect(ctx.output).toHaveBeenCalledWith('catalogInfoUrl', URL);
    expect(await journal.listByTask(ctx.task.id)).toEqual([]);
  });

  describe('in a scaffolder dry run, where earlier steps pushed nothing', () => {
    const repoContentsUrl = 'https://github.com/acme/payments/blob/main';
    const target =
      'https://github.com/acme/payments/tree/main/catalog-info.yaml';

    async function dryRunWith(catalogInfo: string | undefined) {
      const ctx = context({ repoContentsUrl }, { isDryRun: true });
      await fs.mkdir(ctx.workspacePath, { recursive: true });
      if (catalogInfo !== undefined) {
        await fs.writeFile(
          path.join(ctx.workspacePath, 'catalog-info.yaml'),
          catalogInfo,
        );
      }
      return ctx;
    }

    it("checks the workspace's catalog file with the catalog's processors, and registers nothing", async () => {
      const ctx = await dryRunWith(yaml.stringify(component('payments-v2')));
      await action().handler(ctx);

      expect(catalog.service.validateEntity).toHaveBeenCalledWith(
        component('payments-v2'),
        `url:${target}`,
        {
          credentials: expect.objectContaining({
            principal: expect.objectContaining({ type: 'user' }),
          }),
        },
      );
      expect(catalog.service.addLocation).not.toHaveBeenCalled();
      expect(ctx.output).toHaveBeenCalledWith(
        'entityRef',
        'component:default/payments-v2',
      );
      expect(ctx.output).toHaveBeenCalledWith('catalogInfoUrl', target);
      expect(await journal.listByTask(ctx.task.id)).toEqual([]);
    });

    it("fails with the processors' messages", async () => {
      catalog.validationErrors.set('component:default/payments-v2', [
        'component:default/payments-v2 has the lifecycle "prod", which is not one of the configured lifecycles: experimental, production',
      ]);
      const ctx = await dryRunWith(yaml.stringify(component('payments-v2')));

      const run = action().handler(ctx);
      await expect(run).rejects.toThrow(InputError);
      await expect(run).rejects.toThrow(
        `The catalog would reject catalog-info.yaml, which this run would register as ${target}: component:default/payments-v2 has the lifecycle "prod", which is not one of the configured lifecycles: experimental, production`,
      );
    });

    it('fails on a taken name', async () => {
      const ctx = await dryRunWith(yaml.stringify(component('payments')));
      await expect(action().handler(ctx)).rejects.toThrow(
        `component:default/payments already exists in the catalog, owned by group:default/team-payments, from url:${OTHER}; choose another name`,
      );
    });

    it('asks the catalog about the URL when the workspace has no such file', async () => {
      catalog.files.set(target, { entities: [component('payments-v2')] });
      const ctx = await dryRunWith(undefined);
      await action().handler(ctx);

      expect(catalog.addLocationCalls()).toEqual([
        expect.objectContaining({ target, dryRun: true }),
      ]);
      expect(ctx.output).toHaveBeenCalledWith(
        'entityRef',
        'component:default/payments-v2',
      );
    });
  });

  it('fails a dry run on a taken name too', async () => {
    catalog.files.set(URL, { entities: [component('payments')] });
    await expect(
      action().handler(context({ catalogInfoUrl: URL }, { isDryRun: true })),
    ).rejects.toThrow(ConflictError);
  });

  it('fails when the catalog kept an entity that another location registered meanwhile, and rollback unregisters the new location', async () => {
    catalog.processing = 'manual';
    const ctx = context({ catalogInfoUrl: URL });
    const run = action().handler(ctx);
    // Between the dry run and the processing, someone takes the name.
    while (catalog.locations.size === 0) {
      await new Promise(resolve => setTimeout(resolve, 1));
    }
    catalog.entities.set(
      'component:default/payments-v2',
      registeredElsewhere(
        component('payments-v2', 'group:default/team-b'),
        OTHER,
      ),
    );
    catalog.process(URL);

    await expect(run).rejects.toThrow(ConflictError);
    await expect(run).rejects.toThrow(
      `component:default/payments-v2 in the catalog is not the new entity but one that already existed, owned by group:default/team-b, from url:${OTHER}; the catalog ignored the one in ${URL}, so choose another name`,
    );

    await rollback(ctx.task.id);
    const [entry] = await journal.listByTask(ctx.task.id);
    expect(entry.state).toBe('rolled_back');
    expect(catalog.locations.size).toBe(0);
    expect(
      catalog.entities.get('component:default/payments-v2')?.spec?.owner,
    ).toBe('group:default/team-b');
  });

  it('fails with the processing errors the catalog reports on the entity', async () => {
    catalog.statusErrors.set('component:default/payments-v2', [
      'Annotation platform.internal/docs-url of component:default/payments-v2 is "docs", which is not an absolute http or https URL',
    ]);
    const ctx = context({ catalogInfoUrl: URL });

    const run = action().handler(ctx);
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toThrow(
      `The catalog could not process component:default/payments-v2 from ${URL}: Annotation platform.internal/docs-url of component:default/payments-v2 is "docs", which is not an absolute http or https URL`,
    );
    expect((await journal.listByTask(ctx.task.id))[0].state).toBe('created');
  });

  it('fails on timeout with the reason a fresh dry run gives when processing rejected the file', async () => {
    catalog.processing = 'manual';
    const ctx = context({ catalogInfoUrl: URL, timeoutSeconds: 1 });
    const run = action().handler(ctx);
    while (catalog.locations.size === 0) {
      await new Promise(resolve => setTimeout(resolve, 1));
    }
    // The file changed after the first dry run; processing rejects it.
    catalog.files.set(URL, {
      entities: [component('payments-v2')],
      errors: ['component:default/payments-v2 has no owner'],
    });

    await expect(run).rejects.toThrow(
      `The catalog could not process ${URL}: component:default/payments-v2 has no owner`,
    );
  });

  it('fails on timeout when the entities never appear', async () => {
    catalog.processing = 'manual';
    const ctx = context({ catalogInfoUrl: URL, timeoutSeconds: 1 });

    await expect(action().handler(ctx)).rejects.toThrow(
      new RegExp(
        `^The catalog did not finish processing location:default/generated-[0-9a-f]{40}, component:default/payments-v2 from ${URL} within 1 s$`,
      ),
    );
    expect((await journal.listByTask(ctx.task.id))[0].state).toBe('created');
  });

  it('stops waiting when the run is cancelled', async () => {
    catalog.processing = 'manual';
    const controller = new AbortController();
    const ctx = {
      ...context({ catalogInfoUrl: URL }),
      signal: controller.signal,
    };
    const run = action().handler(ctx);
    while (catalog.locations.size === 0) {
      await new Promise(resolve => setTimeout(resolve, 1));
    }
    controller.abort();

    await expect(run).rejects.toThrow(
      `Stopped waiting for the catalog to process ${URL}: the run was cancelled`,
    );
  });

  it('waits through a passing failure to read the catalog', async () => {
    catalog.processing = 'manual';
    const ctx = context({ catalogInfoUrl: URL });
    const run = action().handler(ctx);
    while (catalog.locations.size === 0) {
      await new Promise(resolve => setTimeout(resolve, 1));
    }
    catalog.failNext(
      'getEntityByRef',
      new ServiceUnavailableError('catalog restarting'),
    );
    await new Promise(resolve => setTimeout(resolve, 20));
    catalog.process(URL);

    await run;
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'component:default/payments-v2',
    );
  });

  it('ends in the same state when the step runs again in the same task', async () => {
    const checkpoints = new Map<string, unknown>();
    const ctx = context({ catalogInfoUrl: URL }, { checkpoints });
    await action().handler(ctx);
    await action().handler(ctx);

    expect(writes()).toHaveLength(1);
    expect(catalog.locations.size).toBe(1);
    const entries = await journal.listByTask(ctx.task.id);
    expect(entries.map(e => [e.state, e.data.locationId])).toEqual([
      ['created', 'location-1'],
    ]);
    expect(ctx.output).toHaveBeenLastCalledWith('catalogInfoUrl', URL);
  });

  it('adopts its own location when the step runs again after its checkpoint was lost', async () => {
    const ctx = context({ catalogInfoUrl: URL });
    await action().handler(ctx);
    await action().handler(ctx);

    expect(writes()).toHaveLength(1);
    expect(
      (await journal.listByTask(ctx.task.id)).map(e => e.data.locationId),
    ).toEqual(['location-1']);
  });

  it('registers again when a failed run is retried after its rollback', async () => {
    const checkpoints = new Map<string, unknown>();
    const ctx = context({ catalogInfoUrl: URL }, { checkpoints });
    await action().handler(ctx);
    await rollback(ctx.task.id);
    expect(catalog.locations.size).toBe(0);
    expect(catalog.entities.has('component:default/payments-v2')).toBe(false);

    failedTasks.delete(ctx.task.id);
    await action().handler(ctx);

    expect(writes()).toHaveLength(2);
    expect([...catalog.locations.keys()]).toEqual(['location-2']);
    const [entry] = await journal.listByTask(ctx.task.id);
    expect(entry).toMatchObject({
      state: 'created',
      data: { locationId: 'location-2', attempt: 1 },
    });
  });

  it('keeps the location when rollback is false', async () => {
    const ctx = context({ catalogInfoUrl: URL, rollback: false });
    await action().handler(ctx);
    await rollback(ctx.task.id);

    expect((await journal.listByTask(ctx.task.id))[0].state).toBe('kept');
    expect(catalog.locations.size).toBe(1);
  });

  it("leaves the intent pending after an unclear outcome, and rollback reports the location it cannot prove is the run's", async () => {
    // The catalog registers the location, but its answer is lost.
    catalog.failNextRegistration(
      Object.assign(new TypeError('fetch failed'), {
        cause: { code: 'ECONNRESET' },
      }),
      { afterEffect: true },
    );
    const ctx = context({ catalogInfoUrl: URL });

    await expect(action().handler(ctx)).rejects.toThrow(
      `Could not register ${URL} in the catalog: the catalog did not answer (ECONNRESET). It may be registered all the same; rollback checks`,
    );
    const [entry] = await journal.listByTask(ctx.task.id);
    expect(entry.state).toBe('pending');
    expect(entry.data.locationId).toBeUndefined();

    await rollback(ctx.task.id);
    const [after] = await journal.listByTask(ctx.task.id);
    expect(after.state).toBe('rollback_failed');
    expect(after.reason).toContain(
      `The run recorded no id for location url:${URL}, so it cannot prove that location location-1 is the one it registered; if it is the run's, unregister it by hand`,
    );
    expect(catalog.locations.size).toBe(1);
  });

  it('rolls back an unclear outcome that registered nothing as already gone', async () => {
    catalog.failNextRegistration(
      new ServiceUnavailableError('catalog restarting'),
    );
    const ctx = context({ catalogInfoUrl: URL });

    await expect(action().handler(ctx)).rejects.toThrow(
      `Could not register ${URL} in the catalog: catalog restarting. It may be registered all the same; rollback checks`,
    );
    await rollback(ctx.task.id);
    const [entry] = await journal.listByTask(ctx.task.id);
    expect([entry.state, entry.reason]).toEqual([
      'rolled_back',
      'it was already gone',
    ]);
  });

  it('discards the intent when the catalog refuses the registration', async () => {
    catalog.failNextRegistration(
      new ConflictError(`Location url:${URL} already exists`),
    );
    const ctx = context({ catalogInfoUrl: URL });

    const run = action().handler(ctx);
    await expect(run).rejects.toThrow(ConflictError);
    await expect(run).rejects.toThrow(
      `Could not register ${URL} in the catalog: Location url:${URL} already exists`,
    );
    expect(await journal.listByTask(ctx.task.id)).toEqual([]);
  });
});
