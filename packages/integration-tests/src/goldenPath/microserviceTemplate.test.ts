import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import yaml from 'yaml';
import { Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import {
  mockCredentials,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogBackend from '@backstage/plugin-catalog-backend';
import catalogModulePlatform from '@internal/plugin-catalog-backend-module-platform';
import request from 'supertest';
import {
  LocalKubernetesApiServer,
  startKubernetesApiServer,
} from 'local-targets';
import {
  DryRunBackend,
  logMessages,
  readDirectoryContents,
  startDryRunBackend,
  writeDirectoryContents,
  TEST_CLUSTER_TOKEN,
  testClusterConfig,
} from '@internal/platform-test-utils';
import { platformModules } from '../__testUtils__/platformModules';

const run = promisify(execFile);

const TEMPLATE_DIR = path.resolve(
  __dirname,
  '../../../../examples/templates/microservice',
);
const template = yaml.parse(
  fs.readFileSync(path.join(TEMPLATE_DIR, 'template.yaml'), 'utf8'),
);

// The default namespace quota of the platform (issue: cpu 4, memory 8Gi,
// pods 20). A rollout must fit it with every surge pod at its limits.
const QUOTA = { cpuMillis: 4000, memoryMi: 8192, pods: 20 };

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'networking.k8s.io/v1/Ingress': Ingress,
};

type Language = 'go' | 'python' | 'nodejs';

interface Rendered {
  dir: string;
  files: string[];
  log: string[];
  output: Record<string, unknown>;
}

function cpuMillis(value: string): number {
  return value.endsWith('m')
    ? Number(value.slice(0, -1))
    : Number(value) * 1000;
}

function memoryMi(value: string): number {
  const units: Record<string, number> = { Mi: 1, Gi: 1024 };
  const [, amount, unit] = /^(\d+)(Mi|Gi)$/.exec(value) ?? [];
  if (!unit) {
    throw new Error(`Unexpected memory quantity ${value}`);
  }
  return Number(amount) * units[unit];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a generated service the way its container does and asks its health
 * endpoint, which is what the Kubernetes probes will do.
 */
async function probeHealth(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ status: number; body: unknown }> {
  const port = await freePort();
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, PORT: String(port) },
    stdio: 'ignore',
  });
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        return { status: response.status, body: await response.json() };
      } catch {
        await new Promise(resolve => setTimeout(resolve, 100));
      }
    }
    throw new Error(`${command} never answered on port ${port}`);
  } finally {
    child.kill('SIGTERM');
  }
}

/** What the Create page sends for a service of this language. */
function formValues(language: Language, exposePublic: boolean) {
  return {
    service_name: `payments-${language}`,
    description: `Takes payments: a "${language}" service.`,
    language,
    owner: 'group:default/team-payments',
    lifecycle: 'experimental',
    expose_public: exposePublic,
    github_org: 'example-org',
    dependencies: [
      {
        target: 'component:default/ledger-api',
        type: 'runtime',
        critical: true,
      },
      { target: 'resource:default/orders-db', type: 'data', critical: false },
    ],
  };
}

// Starting the backend loads the config schema, which takes seconds on a busy machine.
jest.setTimeout(60_000);

describe('microservice golden path template', () => {
  let backend: DryRunBackend;
  let cluster: LocalKubernetesApiServer;
  const rendered = new Map<string, Rendered>();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'golden-path-'));

  async function render(language: Language, exposePublic: boolean) {
    const key = `${language}-${exposePublic}`;
    const existing = rendered.get(key);
    if (existing) {
      return existing;
    }
    const result = await backend.dryRun({
      template,
      values: formValues(language, exposePublic),
      directoryContents: readDirectoryContents(TEMPLATE_DIR),
    });
    const dir = path.join(workDir, key);
    writeDirectoryContents(dir, result.directoryContents);
    const entry = {
      dir,
      files: result.directoryContents.map(file => file.path).sort(),
      log: logMessages(result),
      output: result.output,
    };
    rendered.set(key, entry);
    return entry;
  }

  beforeAll(async () => {
    cluster = await startKubernetesApiServer({ token: TEST_CLUSTER_TOKEN });
    backend = await startDryRunBackend({
      config: testClusterConfig(cluster),
      features: platformModules,
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await cluster?.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it.each(['go', 'python', 'nodejs'] as const)(
    'renders a complete %s service',
    async language => {
      const { files, log, output } = await render(language, false);
      expect(files).toEqual(
        expect.arrayContaining([
          '.dockerignore',
          '.github/workflows/ci.yaml',
          'Dockerfile',
          'README.md',
          'catalog-info.yaml',
          'kubernetes/deployment.yaml',
          'kubernetes/service.yaml',
        ]),
      );
      expect(files).not.toContain('kubernetes/ingress.yaml');
      expect(files.some(file => file.includes('${{'))).toBe(false);
      expect(log).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^Dry run: would create private repository example-org/payments-${language} on github.com with ${files.length} file\\(s\\) on main, topics golden-path, ${language}, access for team-payments`,
          ),
        ),
      );
      expect(output.links).toEqual([
        {
          title: 'Repository',
          icon: 'github',
          url: `https://github.com/example-org/payments-${language}`,
        },
        // platform:catalog:register checks the rendered catalog file in its
        // dry run and links to the entity the run would register.
        {
          title: 'Open in catalog',
          icon: 'catalog',
          entityRef: `component:default/payments-${language}`,
        },
      ]);
      // An address nobody can open from a browser is text, not a link.
      expect(output.text).toEqual([
        {
          title: 'Service address',
          default: true,
          content: expect.stringContaining(
            `\`http://payments-${language}.payments-${language}.svc.cluster.local\`\n\nThe in-cluster DNS name of the service: it answers only from inside the cluster.`,
          ),
        },
      ]);
    },
    60_000,
  );

  it.each([
    ['service_name', 'Payments API'],
    ['service_name', '9lives'],
    ['service_name', 'x'.repeat(64)],
    ['language', 'rust'],
    ['lifecycle', 'someday'],
    ['github_org', 'example org'],
  ])(
    'refuses %s %j before any step runs',
    async (field, value) => {
      await expect(
        backend.dryRun({
          template,
          values: { ...formValues('go', false), [field]: value },
          directoryContents: readDirectoryContents(TEMPLATE_DIR),
        }),
      ).rejects.toThrow(/^Dry run answered 400/);
    },
    60_000,
  );

  it('adds an Ingress only when the service is public', async () => {
    const { dir, files, output } = await render('nodejs', true);
    expect(files).toContain('kubernetes/ingress.yaml');
    const ingress = yaml.parse(
      fs.readFileSync(path.join(dir, 'kubernetes/ingress.yaml'), 'utf8'),
    );
    expect(ingress.spec.rules[0].http.paths[0].backend.service.name).toBe(
      'payments-nodejs',
    );
    expect(output.links).not.toContainEqual(
      expect.objectContaining({ title: 'Service URL' }),
    );
    expect(output.text).toEqual([
      expect.objectContaining({
        content: expect.stringContaining(
          "`https://payments-nodejs.apps.example.com/`\n\nThe public host of the service's Ingress.",
        ),
      }),
    ]);
  }, 60_000);

  it('builds a nodejs service whose own test passes and whose health endpoint answers', async () => {
    const { dir } = await render('nodejs', false);
    await run(process.execPath, ['--test'], { cwd: dir });
    await expect(
      probeHealth(process.execPath, ['src/index.js'], dir),
    ).resolves.toEqual({ status: 200, body: { status: 'ok' } });
  }, 60_000);

  it('builds a python service that compiles, whose test passes and whose health endpoint answers', async () => {
    const { dir } = await render('python', false);
    await run(
      'python3',
      ['-m', 'py_compile', 'service.py', 'test_service.py'],
      {
        cwd: dir,
      },
    );
    await run('python3', ['-m', 'unittest', '-v'], { cwd: dir });
    await expect(probeHealth('python3', ['service.py'], dir)).resolves.toEqual({
      status: 200,
      body: { status: 'ok' },
    });
  }, 60_000);

  const goAvailable = (() => {
    try {
      execFileSync('go', ['version']);
      return true;
    } catch {
      return false;
    }
  })();
  if (!goAvailable) {
    // eslint-disable-next-line no-console
    console.warn(
      'Skipping the go build of the golden path: no `go` on PATH (install Debian golang-go).',
    );
  }
  // Debian's golang-go brings the toolchain; without it only this is skipped.
  (goAvailable ? describe : describe.skip)('with the go toolchain', () => {
    it('builds a go service whose test passes and whose health endpoint answers', async () => {
      const { dir } = await render('go', false);
      // Standard library only and no network: modules resolve locally.
      const env = { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off' };
      await run('go', ['build', '-o', 'service', '.'], { cwd: dir, env });
      await run('go', ['test', './...'], { cwd: dir, env });
      await expect(
        probeHealth(path.join(dir, 'service'), [], dir),
      ).resolves.toEqual({ status: 200, body: { status: 'ok' } });
    }, 150_000);
  });

  it.each([
    ['go', false],
    ['python', false],
    ['nodejs', true],
  ] as const)(
    'renders %s manifests (public: %s) that validate against the Kubernetes schemas and fit the quota',
    async (language, exposePublic) => {
      const { dir, files } = await render(language, exposePublic);
      const manifests = files
        .filter(file => file.startsWith('kubernetes/'))
        .flatMap(file =>
          yaml
            .parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))
            .map(doc => doc.toJS()),
        );
      for (const manifest of manifests) {
        const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
        expect(Model).toBeDefined();
        expect(() => new Model(manifest).validate()).not.toThrow();
        expect(manifest.metadata.namespace).toBe(`payments-${language}`);
      }

      const deployment = manifests.find(m => m.kind === 'Deployment');
      const { replicas } = deployment.spec;
      const maxPods =
        replicas + deployment.spec.strategy.rollingUpdate.maxSurge;
      const [container] = deployment.spec.template.spec.containers;
      expect(maxPods).toBeLessThanOrEqual(QUOTA.pods);
      expect(
        maxPods * cpuMillis(container.resources.limits.cpu),
      ).toBeLessThanOrEqual(QUOTA.cpuMillis);
      expect(
        maxPods * memoryMi(container.resources.limits.memory),
      ).toBeLessThanOrEqual(QUOTA.memoryMi);
      expect(container.readinessProbe.httpGet.path).toBe('/healthz');
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      // A runtime dependency on another component becomes its URL.
      expect(container.env).toContainEqual({
        name: 'LEDGER_API_URL',
        value: 'http://ledger-api.ledger-api.svc.cluster.local',
      });

      const service = manifests.find(m => m.kind === 'Service');
      expect(service.spec.selector).toEqual(
        deployment.spec.selector.matchLabels,
      );
      expect(deployment.spec.template.metadata.labels).toMatchObject(
        deployment.spec.selector.matchLabels,
      );
    },
    60_000,
  );

  it('keeps GitHub Actions expressions intact in the CI pipeline', async () => {
    const { dir } = await render('go', false);
    const ci = yaml.parse(
      fs.readFileSync(path.join(dir, '.github/workflows/ci.yaml'), 'utf8'),
    );
    const steps = ci.jobs.image.steps.map(
      (step: any) => step.name ?? step.uses,
    );
    expect(steps).toEqual(
      expect.arrayContaining([
        'Build image',
        'Scan image for vulnerabilities',
        'Push image',
      ]),
    );
    const scan = ci.jobs.image.steps.find(
      (step: any) => step.name === 'Scan image for vulnerabilities',
    );
    expect(scan.with['image-ref']).toBe('${{ env.IMAGE }}:${{ github.sha }}');
    expect(ci.env.IMAGE).toBe('ghcr.io/example-org/payments-go');
  }, 60_000);

  it('writes a catalog entry with owner, lifecycle and typed dependencies', async () => {
    const { dir } = await render('python', false);
    const entity = yaml.parse(
      fs.readFileSync(path.join(dir, 'catalog-info.yaml'), 'utf8'),
    );
    expect(entity.metadata.annotations).toMatchObject({
      'github.com/project-slug': 'example-org/payments-python',
      'backstage.io/kubernetes-id': 'payments-python',
      'backstage.io/kubernetes-namespace': 'payments-python',
    });
    // Where the repository lives is known only once it exists: the catalog's
    // source location says it, not a guess written before.
    expect(entity.metadata.annotations).not.toHaveProperty(
      'platform.internal/repository-url',
    );
    expect(entity.metadata.description).toBe(
      'Takes payments: a "python" service.',
    );
    expect(entity.spec).toEqual({
      type: 'service',
      lifecycle: 'experimental',
      owner: 'group:default/team-payments',
      dependencies: [
        {
          target: 'component:default/ledger-api',
          type: 'runtime',
          critical: true,
        },
        { target: 'resource:default/orders-db', type: 'data', critical: false },
      ],
    });
  }, 60_000);

  it('writes every value into the catalog entry as one scalar, so a value cannot add keys', async () => {
    const sneaky =
      'component:default/ledger-api\n    - target: component:default/x\nmetadata:\n  name: other';
    const values = formValues('go', false);
    const result = await backend.dryRun({
      template,
      values: {
        ...values,
        dependencies: [{ target: sneaky, type: 'runtime', critical: false }],
      },
      directoryContents: readDirectoryContents(TEMPLATE_DIR),
    });
    const file = result.directoryContents.find(
      f => f.path === 'catalog-info.yaml',
    )!;
    const entity = yaml.parse(
      Buffer.from(file.base64Content, 'base64').toString(),
    );
    expect(entity.metadata.name).toBe('payments-go');
    expect(entity.spec.dependencies).toEqual([
      { target: sneaky, type: 'runtime', critical: false },
    ]);
  }, 60_000);

  it("checks the rendered catalog file with the catalog's processors and registers nothing", async () => {
    const { log } = await render('go', false);
    const target =
      'https://github.com/example-org/payments-go/tree/main/catalog-info.yaml';
    expect(backend.catalog.service.validateEntity).toHaveBeenCalledWith(
      expect.objectContaining({
        kind: 'Component',
        metadata: expect.objectContaining({ name: 'payments-go' }),
      }),
      `url:${target}`,
      expect.anything(),
    );
    expect(log).toContainEqual(
      `Dry run: would register ${target}, adding component:default/payments-go`,
    );
    expect(
      backend.catalog.addLocationCalls().filter(call => !call.dryRun),
    ).toEqual([]);
    expect(backend.catalog.locations.size).toBe(0);
    expect(backend.catalog.service.removeLocationById).not.toHaveBeenCalled();
  }, 60_000);

  it('refuses in the dry run a service whose entity is already in the catalog', async () => {
    const other = await startDryRunBackend({
      config: testClusterConfig(cluster),
      features: platformModules,
      entities: [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: {
            name: 'payments-go',
            namespace: 'default',
            annotations: {
              'backstage.io/managed-by-location':
                'url:https://github.com/example-org/old-payments/blob/main/catalog-info.yaml',
              'backstage.io/managed-by-origin-location':
                'url:https://github.com/example-org/old-payments/blob/main/catalog-info.yaml',
            },
          },
          spec: {
            type: 'service',
            lifecycle: 'production',
            owner: 'group:default/team-ledger',
          },
        },
      ],
    });
    try {
      await expect(
        other.dryRun({
          template,
          values: formValues('go', false),
          directoryContents: readDirectoryContents(TEMPLATE_DIR),
        }),
      ).rejects.toThrow(/component:default\/payments-go already exists/);
    } finally {
      await other.stop();
    }
  }, 60_000);

  it('asks the cluster through its own dry run and writes nothing to it', async () => {
    for (const language of ['go', 'python', 'nodejs'] as const) {
      await render(language, language === 'nodejs');
    }
    expect(
      cluster.requests.some(
        r => r.method === 'POST' && r.query.dryRun === 'All',
      ),
    ).toBe(true);
    expect(cluster.requests.filter(r => r.write)).toEqual([]);
  }, 60_000);

  describe('in the catalog with the platform processors', () => {
    let catalog: Awaited<ReturnType<typeof startTestBackend>>;

    beforeAll(async () => {
      catalog = await startTestBackend({
        features: [catalogBackend, catalogModulePlatform],
      });
    });

    afterAll(async () => {
      await catalog?.stop();
    });

    // The catalog's own validation endpoint runs every processor, ours
    // included, on the entity as catalog:register will read it.
    async function validate(entity: unknown, language: Language) {
      const response = await request(catalog.server)
        .post('/api/catalog/validate-entity')
        .set('Authorization', mockCredentials.user.header())
        .send({
          entity,
          location: `url:https://github.com/example-org/payments-${language}/blob/main/catalog-info.yaml`,
        });
      return {
        status: response.status,
        errors: (response.body?.errors ?? []).map(
          (error: { message: string }) => error.message,
        ),
      };
    }

    it.each(['go', 'python', 'nodejs'] as const)(
      'accepts the %s service entry',
      async language => {
        const { dir } = await render(language, false);
        const entity = yaml.parse(
          fs.readFileSync(path.join(dir, 'catalog-info.yaml'), 'utf8'),
        );
        await expect(validate(entity, language)).resolves.toEqual({
          status: 200,
          errors: [],
        });
      },
      60_000,
    );

    it('rejects an entry whose dependency type the platform does not know', async () => {
      const { dir } = await render('go', false);
      const entity = yaml.parse(
        fs.readFileSync(path.join(dir, 'catalog-info.yaml'), 'utf8'),
      );
      entity.spec.dependencies[0].type = 'sometimes';
      const { status, errors } = await validate(entity, 'go');
      expect(status).toBe(400);
      expect(errors.join(' ')).toMatch(/sometimes/);
    }, 60_000);
  });
});
