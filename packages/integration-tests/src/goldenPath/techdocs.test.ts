import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import yaml from 'yaml';
import { mockServices } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import {
  GeneratorRunOptions,
  TechdocsGenerator,
} from '@backstage/plugin-techdocs-node';
import {
  ANNOTATION_DOCS_URL,
  ANNOTATION_ON_CALL_URL,
} from '@internal/plugin-platform-common';
import filters from '@internal/plugin-scaffolder-backend-module-platform-filters';
import {
  DryRunBackend,
  readDirectoryContents,
  startDryRunBackend,
  writeDirectoryContents,
} from '@internal/platform-test-utils';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
const TEMPLATE_DIR = path.join(REPO_ROOT, 'examples/templates/microservice');
const template = yaml.parse(
  fs.readFileSync(path.join(TEMPLATE_DIR, 'template.yaml'), 'utf8'),
);

// The same parameters and skeletons, without the steps that ask GitHub, the
// cluster and the database server: what is tested here is what the service's
// repository contains, and the form's rules, which are checked before any step.
const renderOnlyTemplate = {
  ...template,
  spec: {
    ...template.spec,
    steps: template.spec.steps.filter(
      (step: { action: string }) => step.action === 'fetch:template',
    ),
    output: {},
  },
};

// The generator exactly as the backend configures it.
const techdocsConfig = mockServices.rootConfig({
  data: {
    techdocs: yaml.parse(
      fs.readFileSync(path.join(REPO_ROOT, 'app-config.yaml'), 'utf8'),
    ).techdocs,
  },
});

type Language = 'go' | 'python' | 'nodejs';

const ON_CALL = 'https://oncall.example.com/rotations/payments';

function formValues(language: Language, extra: JsonObject = {}) {
  return {
    service_name: `payments-${language}`,
    description: 'Takes payments.',
    language,
    owner: 'group:default/team-payments',
    lifecycle: 'experimental',
    expose_public: false,
    github_org: 'example-org',
    ...extra,
  };
}

const mkdocsAvailable = (() => {
  try {
    execFileSync('mkdocs', ['--version']);
    return true;
  } catch {
    return false;
  }
})();
if (!mkdocsAvailable) {
  // eslint-disable-next-line no-console
  console.warn(
    'Skipping the TechDocs builds of the golden path: no `mkdocs` on PATH (install Debian mkdocs and mkdocs-material; scripts/test.sh does).',
  );
}

// Starting the backend loads the config schema, which takes seconds on a busy machine.
jest.setTimeout(60_000);

describe('microservice golden path: docs and owner', () => {
  let backend: DryRunBackend;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'golden-path-docs-'));

  async function render(name: string, values: JsonObject) {
    const result = await backend.dryRun({
      template: renderOnlyTemplate,
      values,
      directoryContents: readDirectoryContents(TEMPLATE_DIR),
    });
    const dir = path.join(workDir, name);
    writeDirectoryContents(dir, result.directoryContents);
    return dir;
  }

  function readCatalogEntry(dir: string) {
    return yaml.parse(
      fs.readFileSync(path.join(dir, 'catalog-info.yaml'), 'utf8'),
    );
  }

  beforeAll(async () => {
    backend = await startDryRunBackend({ features: [filters] });
  });

  afterAll(async () => {
    await backend?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('points the TechDocs tab at the repository and writes the given on-call and docs URLs', async () => {
    const dir = await render(
      'annotations',
      formValues('go', {
        on_call_url: ON_CALL,
        docs_url: 'https://docs.example.com/payments',
      }),
    );
    expect(readCatalogEntry(dir).metadata.annotations).toMatchObject({
      'backstage.io/techdocs-ref': 'dir:.',
      [ANNOTATION_ON_CALL_URL]: ON_CALL,
      [ANNOTATION_DOCS_URL]: 'https://docs.example.com/payments',
    });
  });

  it('leaves out the on-call and docs annotations when none is given', async () => {
    const dir = await render('no-urls', formValues('go'));
    const { annotations } = readCatalogEntry(dir).metadata;
    expect(annotations['backstage.io/techdocs-ref']).toBe('dir:.');
    expect(annotations).not.toHaveProperty(ANNOTATION_ON_CALL_URL);
    expect(annotations).not.toHaveProperty(ANNOTATION_DOCS_URL);
  });

  it('refuses a production service without an on-call rotation before any step runs', async () => {
    await expect(
      render(
        'production-no-on-call',
        formValues('go', { lifecycle: 'production' }),
      ),
    ).rejects.toThrow(/^Dry run answered 400.*on_call_url/);
  });

  it('accepts a production service with an on-call rotation', async () => {
    const dir = await render(
      'production',
      formValues('go', { lifecycle: 'production', on_call_url: ON_CALL }),
    );
    expect(readCatalogEntry(dir).spec.lifecycle).toBe('production');
  });

  it.each([
    ['on_call_url', 'oncall.example.com/payments'],
    // Built from parts, as a literal script URL trips the linter.
    ['on_call_url', ['javascript', 'alert(1)'].join(':')],
    ['docs_url', 'docs at the wiki'],
  ])('refuses %s %j, which is not a web URL', async (field, value) => {
    await expect(
      render(`bad-${field}`, formValues('go', { [field]: value })),
    ).rejects.toThrow(/^Dry run answered 400/);
  });

  (mkdocsAvailable ? describe : describe.skip)('built by TechDocs', () => {
    async function build(name: string, values: JsonObject) {
      const inputDir = await render(name, values);
      const outputDir = path.join(workDir, `${name}-site`);
      fs.mkdirSync(outputDir);
      const logger = mockServices.logger.mock();
      const logStream = new PassThrough();
      const log: string[] = [];
      logStream.on('data', chunk => log.push(String(chunk)));
      try {
        await TechdocsGenerator.fromConfig(techdocsConfig, { logger }).run({
          inputDir,
          outputDir,
          // The generator only logs through it; LoggerService has the methods it calls.
          logger: logger as unknown as GeneratorRunOptions['logger'],
          logStream,
        });
      } catch (error) {
        throw new Error(`${error}\n${log.join('')}`);
      }
      const page = fs.readFileSync(path.join(outputDir, 'index.html'), 'utf8');
      // What a reader sees, without markup and entities.
      const text = page
        .replace(/<[^>]+>/g, ' ')
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&')
        .replace(/\s+/g, ' ');
      return { outputDir, page, text };
    }

    it.each([
      ['go', 'go test ./...', 'go run .'],
      ['python', 'python -m unittest -v', 'python service.py'],
      ['nodejs', 'node --test', 'node src/index.js'],
    ] as const)(
      'builds the %s service docs with how to test and run it, its owner and where it runs',
      async (language, testCommand, runCommand) => {
        const { outputDir, text } = await build(
          `docs-${language}`,
          formValues(language, { on_call_url: ON_CALL }),
        );
        expect(text).toContain(`payments-${language}`);
        expect(text).toContain('Takes payments.');
        expect(text).toContain(testCommand);
        expect(text).toContain(runCommand);
        expect(text).toContain('group:default/team-payments');
        expect(text).toContain(ON_CALL);
        expect(text).toContain(
          `http://payments-${language}.payments-${language}.svc.cluster.local`,
        );
        expect(text).not.toContain('Database');

        // The TechDocs search collator indexes this file, and the TechDocs
        // backend serves the site with this metadata.
        const searchIndex = JSON.parse(
          fs.readFileSync(
            path.join(outputDir, 'search/search_index.json'),
            'utf8',
          ),
        );
        expect(searchIndex.docs.length).toBeGreaterThan(0);
        expect(
          JSON.parse(
            fs.readFileSync(
              path.join(outputDir, 'techdocs_metadata.json'),
              'utf8',
            ),
          ).files,
        ).toContain('index.html');
      },
    );

    it('tells a service without on-call how to declare it and describes its database', async () => {
      const { text } = await build(
        'docs-database',
        formValues('python', { database: true }),
      );
      expect(text).toContain('On call: none declared yet');
      expect(text).toContain('platform.internal/on-call-url');
      expect(text).toContain('Database');
      expect(text).toContain('payments-python-database');
      expect(text).toContain('DATABASE_URL');
    });
  });
});
