import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  createMockDirectory,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity, parseEntityRef } from '@backstage/catalog-model';
import { ScmIntegrations } from '@backstage/integration';
import catalogBackend from '@backstage/plugin-catalog-backend';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import catalogModulePlatform from '@internal/plugin-catalog-backend-module-platform';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import yaml from 'yaml';
import { testStepsModule } from '@internal/platform-test-utils';
import { waitFor } from '@internal/platform-test-utils';
import { createCatalogRegisterAction } from '@internal/plugin-scaffolder-backend-module-platform';
import { DatabaseRollbackJournal } from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import { ResourceCompensatorRegistry } from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import { RollbackEngine } from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import {
  ScaffolderApiTaskReader,
  ScaffolderTaskEventLog,
} from '@internal/plugin-scaffolder-backend-module-platform-rollback';
import { createCatalogLocationCompensator } from '@internal/plugin-scaffolder-backend-module-platform';

jest.setTimeout(120_000);

/**
 * `platform:catalog:register` through the real scaffolder against the real
 * catalog backend with the platform's catalog rules, registering catalog
 * files that a loopback HTTP server serves (the catalog reads them through
 * `backend.reading.allow`), and the real rollback engine with the
 * compensator unregistering what a failed run registered.
 */

let journal: DatabaseRollbackJournal | undefined;

/** Wires the action and its compensator as `module.ts` does, for this test. */
const catalogRegisterModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'test-catalog-register',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        config: coreServices.rootConfig,
        database: coreServices.database,
        discovery: coreServices.discovery,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
      },
      async init(deps) {
        const { catalog, auth, discovery, logger, lifecycle } = deps;
        journal = await DatabaseRollbackJournal.create(deps);
        deps.scaffolder.addActions(
          createCatalogRegisterAction({
            catalog,
            auth,
            integrations: ScmIntegrations.fromConfig(deps.config),
            journal,
            pollIntervalMs: 200,
          }),
        );
        const engine = new RollbackEngine({
          journal,
          compensators: new ResourceCompensatorRegistry().register(
            createCatalogLocationCompensator({ catalog, auth }),
          ),
          tasks: new ScaffolderApiTaskReader({ discovery, auth }),
          taskLog: new ScaffolderTaskEventLog({ db: journal.client, logger }),
          logger,
          pollIntervalMs: 200,
        });
        lifecycle.addStartupHook(() => engine.start());
        lifecycle.addShutdownHook(() => engine.stop());
      },
    });
  },
});

/**
 * The catalog refuses kinds no processor knows; in an app the scaffolder's
 * entity model module makes Template known.
 */
const templateKindModule = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'test-template-kind',
  register({ registerInit }) {
    registerInit({
      deps: { catalog: catalogProcessingExtensionPoint },
      async init({ catalog }) {
        catalog.addProcessor({
          getProcessorName: () => 'TestTemplateKindProcessor',
          validateEntityKind: async entity => entity.kind === 'Template',
        });
      },
    });
  },
});

const template = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'register-service' },
  spec: {
    type: 'service',
    owner: 'group:default/team-platform',
    parameters: [
      {
        properties: {
          url: { type: 'string' },
          failAfter: { type: 'boolean' },
          timeout: { type: 'number' },
        },
      },
    ],
    steps: [
      {
        id: 'register',
        action: 'platform:catalog:register',
        input: {
          catalogInfoUrl: '${{ parameters.url }}',
          timeoutSeconds: '${{ parameters.timeout or 30 }}',
        },
      },
      {
        id: 'after',
        action: 'test:step',
        input: { fail: '${{ parameters.failAfter == true }}' },
      },
    ],
    output: { entityRef: '${{ steps.register.output.entityRef }}' },
  },
};

function component(name: string, spec: Record<string, unknown> = {}): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name },
    spec: {
      type: 'service',
      lifecycle: 'experimental',
      owner: 'group:default/team-a',
      ...spec,
    },
  };
}

describe('platform:catalog:register against the real catalog', () => {
  const directory = createMockDirectory();
  /** What the loopback server answers, by path; a function for each read. */
  const files = new Map<string, string | (() => string)>();
  let fileServer: http.Server;
  let baseUrl: string;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  const auth = mockCredentials.user.header();

  beforeAll(async () => {
    fileServer = http.createServer((req, res) => {
      const body = files.get(req.url ?? '');
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/yaml' });
      res.end(typeof body === 'function' ? body() : body);
    });
    await new Promise<void>(resolve =>
      fileServer.listen(0, '127.0.0.1', resolve),
    );
    const { port } = fileServer.address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;

    directory.setContent({
      'template.yaml': yaml.stringify(template),
      // Another team's service, registered long before.
      'payments.yaml': yaml.stringify(
        component('payments', { owner: 'group:default/team-payments' }),
      ),
    });
    backend = await startTestBackend({
      features: [
        catalogBackend,
        catalogModulePlatform,
        templateKindModule,
        scaffolderPlugin,
        catalogRegisterModule,
        testStepsModule,
        mockServices.rootConfig.factory({
          data: {
            backend: { reading: { allow: [{ host: `127.0.0.1:${port}` }] } },
            catalog: {
              rules: [{ allow: ['Component', 'Location', 'Template'] }],
              locations: ['template.yaml', 'payments.yaml'].map(file => ({
                type: 'file',
                target: directory.resolve(file),
              })),
            },
          },
        }),
      ],
    });
    await waitFor(
      'the catalog to process the template and the payments service',
      async () =>
        (await getEntity('template/default/register-service')) &&
        getEntity('component/default/payments'),
      60_000,
    );
  }, 120_000);

  afterAll(async () => {
    await backend?.stop();
    await new Promise(resolve => fileServer?.close(resolve));
  });

  async function getEntity(ref: string): Promise<Entity | undefined> {
    const response = await request(backend.server)
      .get(`/api/catalog/entities/by-name/${ref}`)
      .set('Authorization', auth);
    return response.status === 200 ? response.body : undefined;
  }

  async function locationsFor(target: string) {
    const response = await request(backend.server)
      .get('/api/catalog/locations')
      .set('Authorization', auth);
    expect(response.status).toBe(200);
    return (response.body as Array<{ data: { id: string; target: string } }>)
      .map(l => l.data)
      .filter(l => l.target === target);
  }

  /** Serves a catalog file and returns its URL. */
  function serve(path: string, body: string | (() => string)): string {
    files.set(path, body);
    return `${baseUrl}${path}`;
  }

  async function run(values: Record<string, unknown>) {
    const created = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', auth)
      .send({ templateRef: 'template:default/register-service', values });
    expect(created.status).toBe(201);
    const taskId: string = created.body.id;
    const read = async (suffix = '') =>
      (
        await request(backend.server)
          .get(`/api/scaffolder/v2/tasks/${taskId}${suffix}`)
          .set('Authorization', auth)
      ).body;
    let task = await read();
    while (['open', 'processing'].includes(task.status)) {
      await new Promise(resolve => setTimeout(resolve, 100));
      task = await read();
    }
    const events: Array<{
      type: string;
      body: {
        message: string;
        output?: { entityRef?: string };
        error?: { name: string; message: string };
      };
    }> = await read('/events');
    const completion = events.find(e => e.type === 'completion')?.body;
    return {
      taskId,
      status: task.status as string,
      output: completion?.output,
      error: completion?.error,
      log: events.filter(e => e.type === 'log').map(e => e.body.message),
    };
  }

  /** The run's journal once rollback has settled every entry. */
  async function rolledBack(taskId: string) {
    return waitFor(`the rollback of ${taskId}`, async () => {
      const entries = await journal!.listByTask(taskId);
      return entries.length > 0 &&
        entries.every(e =>
          ['rolled_back', 'rollback_failed', 'kept'].includes(e.state),
        )
        ? entries
        : undefined;
    });
  }

  it('registers a new entity, and the run completes with its entityRef once the catalog has processed it', async () => {
    const url = serve(
      '/fresh/catalog-info.yaml',
      yaml.stringify(component('fresh-service')),
    );

    const result = await run({ url });

    expect(result.status).toBe('completed');
    expect(result.output?.entityRef).toBe('component:default/fresh-service');
    const entity = await getEntity('component/default/fresh-service');
    expect(entity?.metadata.annotations).toMatchObject({
      'backstage.io/managed-by-origin-location': `url:${url}`,
    });
    const [location] = await locationsFor(url);
    const [entry] = await journal!.listByTask(result.taskId);
    expect(entry).toMatchObject({
      kind: 'catalog:location',
      identity: url,
      state: 'created',
      data: {
        locationId: location.id,
        entityUids: expect.objectContaining({
          'component:default/fresh-service': entity?.metadata.uid,
        }),
      },
    });
  });

  it("fails with a ConflictError naming the other entity's owner and location, before adding any location", async () => {
    const url = serve(
      '/taken/catalog-info.yaml',
      yaml.stringify(component('payments')),
    );

    const result = await run({ url });

    expect(result.status).toBe('failed');
    expect(result.error).toEqual({
      name: 'ConflictError',
      message: `component:default/payments already exists in the catalog, owned by group:default/team-payments, from file:${directory.resolve(
        'payments.yaml',
      )}; choose another name`,
    });
    expect(await locationsFor(url)).toEqual([]);
    expect(await journal!.listByTask(result.taskId)).toEqual([]);
    const payments = await getEntity('component/default/payments');
    expect(payments?.spec?.owner).toBe('group:default/team-payments');
  });

  it("fails with the platform catalog module's message for an unknown lifecycle, before adding any location", async () => {
    const url = serve(
      '/invalid/catalog-info.yaml',
      yaml.stringify(component('invalid-lifecycle', { lifecycle: 'prod' })),
    );

    const result = await run({ url });

    expect(result.status).toBe('failed');
    expect(result.error?.name).toBe('InputError');
    expect(result.error?.message).toContain(
      `The catalog would reject ${url}: `,
    );
    expect(result.error?.message).toContain(
      'component:default/invalid-lifecycle has the lifecycle "prod", which is not one of the configured lifecycles: experimental, development, production, deprecated',
    );
    expect(await locationsFor(url)).toEqual([]);
  });

  it("fails with the catalog's message when processing rejects a file that changed after the check, and rollback removes the location", async () => {
    let reads = 0;
    const url = serve('/changed/catalog-info.yaml', () => {
      reads += 1;
      // The first read is the dry run's; then someone pushes a bad lifecycle.
      return yaml.stringify(
        component('changed-service', {
          lifecycle: reads === 1 ? 'experimental' : 'prod',
        }),
      );
    });

    const result = await run({ url, timeout: 5 });

    expect(result.status).toBe('failed');
    expect(result.error).toEqual({
      name: 'InputError',
      message: expect.stringContaining(
        `The catalog could not process ${url}: component:default/changed-service has the lifecycle "prod"`,
      ),
    });
    const [entry] = await rolledBack(result.taskId);
    expect([entry.state, entry.reason]).toEqual(['rolled_back', 'deleted']);
    expect(await locationsFor(url)).toEqual([]);
  });

  it('removes the location and its entity when a later step fails', async () => {
    const url = serve(
      '/rolled-back/catalog-info.yaml',
      yaml.stringify(component('rolled-back-service')),
    );

    const result = await run({ url, failAfter: true });

    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe('step failed on purpose');
    const [entry] = await rolledBack(result.taskId);
    expect([entry.state, entry.reason]).toEqual(['rolled_back', 'deleted']);
    expect(await locationsFor(url)).toEqual([]);
    // The catalog pruned the entities with their location.
    const refs = entry.data.entityRefs as string[];
    expect(refs).toEqual([
      expect.stringMatching(/^location:default\/generated-/),
      'component:default/rolled-back-service',
    ]);
    for (const ref of refs) {
      const { kind, namespace, name } = parseEntityRef(ref);
      expect(await getEntity(`${kind}/${namespace}/${name}`)).toBeUndefined();
    }
  });

  it("checks the workspace's catalog file with the catalog's processors in a scaffolder dry run, registering nothing", async () => {
    const skeleton = [
      'apiVersion: backstage.io/v1alpha1',
      'kind: Component',
      'metadata:',
      '  name: ${{ values.name }}',
      'spec:',
      '  type: service',
      '  lifecycle: ${{ values.lifecycle }}',
      '  owner: group:default/team-a',
      '',
    ].join('\n');
    const dryRun = (name: string, lifecycle: string) =>
      request(backend.server)
        .post('/api/scaffolder/v2/dry-run')
        .set('Authorization', auth)
        .send({
          template: {
            apiVersion: 'scaffolder.backstage.io/v1beta3',
            kind: 'Template',
            metadata: { name: 'dry-run-register' },
            spec: {
              type: 'service',
              steps: [
                {
                  id: 'render',
                  action: 'fetch:template',
                  input: {
                    url: './skeleton',
                    values: {
                      name: '${{ parameters.name }}',
                      lifecycle: '${{ parameters.lifecycle }}',
                    },
                  },
                },
                {
                  id: 'register',
                  action: 'platform:catalog:register',
                  input: {
                    repoContentsUrl:
                      'https://github.com/acme/${{ parameters.name }}/blob/main',
                  },
                },
              ],
              output: { entityRef: '${{ steps.register.output.entityRef }}' },
            },
          },
          values: { name, lifecycle },
          directoryContents: [
            {
              path: 'skeleton/catalog-info.yaml',
              base64Content: Buffer.from(skeleton).toString('base64'),
            },
          ],
        });
    const target = (name: string) =>
      `https://github.com/acme/${name}/tree/main/catalog-info.yaml`;

    const fresh = await dryRun('dry-service', 'experimental');
    expect(fresh.status).toBe(200);
    expect(fresh.body.output.entityRef).toBe('component:default/dry-service');
    expect(await locationsFor(target('dry-service'))).toEqual([]);

    const invalid = await dryRun('dry-service', 'prod');
    expect(invalid.body.error).toEqual({
      name: 'InputError',
      message: expect.stringContaining(
        `The catalog would reject catalog-info.yaml, which this run would register as ${target(
          'dry-service',
        )}: component:default/dry-service has the lifecycle "prod", which is not one of the configured lifecycles`,
      ),
    });

    const taken = await dryRun('payments', 'experimental');
    expect(taken.body.error).toMatchObject({
      name: 'ConflictError',
      message: expect.stringContaining(
        'component:default/payments already exists in the catalog, owned by group:default/team-payments',
      ),
    });
  });
});
