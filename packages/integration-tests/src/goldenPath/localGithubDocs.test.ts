import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import yaml from 'yaml';
import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ScmIntegrations } from '@backstage/integration';
import {
  GeneratorRunOptions,
  Preparers,
  TechdocsGenerator,
} from '@backstage/plugin-techdocs-node';
import filters from '@internal/plugin-scaffolder-backend-module-platform-filters';
import {
  DryRunBackend,
  DryRunFile,
  readDirectoryContents,
  startDryRunBackend,
} from '@internal/platform-test-utils';
import { LocalGithubApiServer, startGithubApiServer } from 'local-targets';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
const TEMPLATE_DIR = path.join(REPO_ROOT, 'examples/templates/microservice');
const appConfig = yaml.parse(
  fs.readFileSync(path.join(REPO_ROOT, 'app-config.yaml'), 'utf8'),
);
/** Local mode's GitHub integration: its host, token and the loopback API. */
const localIntegration = appConfig.integrations.github[0];

const mkdocsAvailable = (() => {
  try {
    execFileSync('mkdocs', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

// Starting the dry-run backend loads the config schema; mkdocs takes seconds.
jest.setTimeout(90_000);

/**
 * What a new service's TechDocs tab and source links need in local mode: the
 * golden path's repository, as the platform pushes it to the loopback
 * GitHub, read back through Backstage's own GitHub URL reader (what the
 * catalog and TechDocs use), prepared by the TechDocs preparer for
 * `dir:.` and built by the generator exactly as app-config.yaml configures
 * them.
 */
describe('a golden-path repository on the loopback GitHub, read as Backstage reads it', () => {
  let github: LocalGithubApiServer;
  let renderer: DryRunBackend;
  let files: DryRunFile[];
  const name = 'payments';
  const logger = mockServices.logger.mock();

  /**
   * Backstage's config for local mode, pointed at `server`: app-config's
   * integration, and any further web hosts of the same server.
   */
  function configFor(server = github, extraHosts: string[] = []) {
    return mockServices.rootConfig({
      data: {
        integrations: {
          github: [localIntegration.host, ...extraHosts].map(host => ({
            host,
            apiBaseUrl: server.url,
            token: localIntegration.token,
          })),
        },
        techdocs: appConfig.techdocs,
      },
    });
  }

  function startLocalGithub(options?: { htmlUrlsToOwnPages?: boolean }) {
    return startGithubApiServer({
      host: localIntegration.host,
      orgs: ['example-org'],
      tokens: {
        [localIntegration.token]: {
          login: 'local-developer',
          scopes: ['repo', 'delete_repo'],
        },
      },
      ...options,
    });
  }

  const api = async (
    server: LocalGithubApiServer,
    method: string,
    apiPath: string,
    body?: object,
  ) => {
    const res = await fetch(`${server.url}${apiPath}`, {
      method,
      headers: {
        authorization: `token ${localIntegration.token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  /** The repository and first commit as platform:github:repo:create makes them. */
  async function pushService(repo: string, server = github) {
    const created = await api(server, 'POST', '/orgs/example-org/repos', {
      name: repo,
      auto_init: true,
    });
    expect(created.status).toBe(201);
    const tree = await api(
      server,
      'POST',
      `/repos/example-org/${repo}/git/trees`,
      {
        tree: files.map(file => ({
          path: file.path,
          mode: file.executable ? '100755' : '100644',
          type: 'blob',
          content: Buffer.from(file.base64Content, 'base64').toString('utf-8'),
        })),
      },
    );
    const commit = await api(
      server,
      'POST',
      `/repos/example-org/${repo}/git/commits`,
      {
        message: `Create ${repo}`,
        tree: tree.body.sha,
        parents: [],
      },
    );
    await api(
      server,
      'PATCH',
      `/repos/example-org/${repo}/git/refs/heads/main`,
      {
        sha: commit.body.sha,
        force: true,
      },
    );
    return { htmlUrl: created.body.html_url as string, sha: commit.body.sha };
  }

  /**
   * The registered entity as the catalog keeps it: its file read from the
   * location, plus the location annotations the catalog adds.
   */
  function registeredEntity(
    integrations: ScmIntegrations,
    locationTarget: string,
    content: string,
  ): Entity {
    const entity: Entity = yaml.parse(content);
    const location = `url:${locationTarget}`;
    entity.metadata.annotations = {
      ...entity.metadata.annotations,
      'backstage.io/managed-by-location': location,
      'backstage.io/managed-by-origin-location': location,
      'backstage.io/source-location': `url:${integrations.resolveUrl({
        url: './',
        base: locationTarget,
      })}`,
    };
    return entity;
  }

  beforeAll(async () => {
    github = await startLocalGithub();
    renderer = await startDryRunBackend({ features: [filters] });
    const template = yaml.parse(
      fs.readFileSync(path.join(TEMPLATE_DIR, 'template.yaml'), 'utf8'),
    );
    // The template's rendering steps alone: what the repository holds.
    const result = await renderer.dryRun({
      template: {
        ...template,
        spec: {
          ...template.spec,
          steps: template.spec.steps.filter(
            (step: { action: string }) => step.action === 'fetch:template',
          ),
          output: {},
        },
      },
      values: {
        service_name: name,
        description: 'Takes payments.',
        language: 'go',
        owner: 'group:default/team-payments',
        lifecycle: 'experimental',
        expose_public: false,
        github_org: 'example-org',
      },
      directoryContents: readDirectoryContents(TEMPLATE_DIR),
    });
    files = result.directoryContents;
  });

  afterAll(async () => {
    await renderer?.stop();
    await github?.close();
  });

  it('reads the repository’s tree, and a file, through the GitHub URL reader', async () => {
    const { sha } = await pushService(name);
    const reader = UrlReaders.default({ config: configFor(), logger });
    const treeUrl = `https://${localIntegration.host}/example-org/${name}/tree/main/`;

    const tree = await reader.readTree(treeUrl);
    expect(tree.etag).toBe(sha);
    const read = Object.fromEntries(
      await Promise.all(
        (
          await tree.files()
        ).map(async file => [file.path, (await file.content()).toString()]),
      ),
    );
    expect(Object.keys(read).sort()).toEqual(files.map(f => f.path).sort());
    expect(read['mkdocs.yml']).toContain('site_name');
    expect(read['docs/index.md']).toContain(`# ${name}`);

    // TechDocs asks again with the sha it built from: nothing to rebuild.
    await expect(reader.readTree(treeUrl, { etag: sha })).rejects.toMatchObject(
      { name: 'NotModifiedError' },
    );

    // The catalog reads its location through `search`.
    const found = await reader.search(
      `https://${localIntegration.host}/example-org/${name}/blob/main/catalog-info.yaml`,
    );
    expect(found.files).toHaveLength(1);
    const catalogFile = yaml.parse((await found.files[0].content()).toString());
    expect(catalogFile.metadata.name).toBe(name);
  });

  it.each([
    ['a repository that does not exist', 'example-org/nothing/tree/main/'],
    ['a branch that does not exist', `example-org/${name}/tree/nope/`],
  ])('says Not Found for %s', async (_what, repoPath) => {
    const reader = UrlReaders.default({ config: configFor(), logger });
    await expect(
      reader.readTree(`https://${localIntegration.host}/${repoPath}`),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  /**
   * What the catalog registers for a run's repository and what the TechDocs
   * tab then prepares: the catalog file read from the location
   * platform:catalog:register makes of `html_url`, and the `dir:.` docs next
   * to it, in a temporary directory.
   */
  async function registerAndPrepare(
    config: ReturnType<typeof configFor>,
    htmlUrl: string,
  ) {
    const integrations = ScmIntegrations.fromConfig(config);
    const reader = UrlReaders.default({ config, logger });
    const locationTarget = integrations.resolveUrl({
      url: '/catalog-info.yaml',
      base: `${htmlUrl}/blob/main`,
    });
    const [catalogFile] = (await reader.search(locationTarget)).files;
    const entity = registeredEntity(
      integrations,
      locationTarget,
      (await catalogFile.content()).toString(),
    );
    const preparers = await Preparers.fromConfig(config, { logger, reader });
    const prepared = await preparers.get(entity).prepare(entity, { logger });
    return { entity, ...prepared };
  }

  (mkdocsAvailable ? describe : describe.skip)('built by TechDocs', () => {
    it('prepares the docs of dir:. from the registered location and builds the page the TechDocs tab shows', async () => {
      const { htmlUrl, sha } = await pushService('payments-docs');
      const config = configFor();
      const { entity, preparedDir, etag } = await registerAndPrepare(
        config,
        htmlUrl,
      );
      expect(entity.metadata.annotations!['backstage.io/techdocs-ref']).toBe(
        'dir:.',
      );
      expect(etag).toBe(sha);

      const outputDir = fs.mkdtempSync(path.join(preparedDir, '..', 'site-'));
      const logStream = new PassThrough();
      const log: string[] = [];
      logStream.on('data', chunk => log.push(String(chunk)));
      try {
        await TechdocsGenerator.fromConfig(config, { logger }).run({
          inputDir: preparedDir,
          outputDir,
          logger: logger as unknown as GeneratorRunOptions['logger'],
          logStream,
          etag,
        });
        const page = fs.readFileSync(
          path.join(outputDir, 'index.html'),
          'utf8',
        );
        expect(page).toMatch(new RegExp(`<h1[^>]*>${name}<`));
        // The reader keeps the page transparent until every stylesheet has
        // loaded, so one from the internet (Material's Google Fonts) blanks
        // the TechDocs tab on a machine without internet access.
        const stylesheets = [
          ...page.matchAll(/<link\b[^>]*rel="stylesheet"[^>]*>/g),
        ].map(([link]) => link.match(/href="([^"]*)"/)?.[1]);
        expect(stylesheets.length).toBeGreaterThan(0);
        expect(
          stylesheets.filter(href => /^[a-z]+:|^\/\//i.test(href ?? '')),
        ).toEqual([]);
      } catch (error) {
        throw new Error(`${error}\n${log.join('')}`);
      } finally {
        fs.rmSync(preparedDir, { recursive: true, force: true });
        fs.rmSync(outputDir, { recursive: true, force: true });
      }
    });
  });

  it('links the repository and its source to the loopback pages when html_url names them', async () => {
    const server = await startLocalGithub({ htmlUrlsToOwnPages: true });
    try {
      const { htmlUrl, sha } = await pushService(name, server);
      expect(htmlUrl).toBe(`${server.url}/example-org/${name}`);
      // What the catalog and TechDocs need to read those URLs: an integration
      // for the server's own host, beside app-config's github.com one.
      const { entity, preparedDir, etag } = await registerAndPrepare(
        configFor(server, [new URL(server.url).host]),
        htmlUrl,
      );
      fs.rmSync(preparedDir, { recursive: true, force: true });
      expect(etag).toBe(sha);

      const sourceLocation =
        entity.metadata.annotations!['backstage.io/source-location'];
      expect(sourceLocation).toBe(
        `url:${server.url}/example-org/${name}/tree/main/`,
      );
      for (const link of [htmlUrl, sourceLocation.replace(/^url:/, '')]) {
        const page = await fetch(link, { headers: { accept: 'text/html' } });
        expect(page.status).toBe(200);
        expect(await page.text()).toContain(
          `href="/example-org/${name}/blob/main/docs/index.md"`,
        );
      }
    } finally {
      await server.close();
    }
  });
});
