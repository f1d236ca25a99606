// The Node half of scripts/install-proof.sh: checks the packed tarballs, puts
// them into a stock app the way the packages' READMEs say, and checks the
// built frontend and the running backend. No dependencies beyond Node 22.
//
//   node install-proof.js check-tarballs PACK_DIR
//   node install-proof.js prepare-app APP_DIR PACK_DIR REPO_ROOT PORT
//   node install-proof.js check-frontend APP_DIR
//   node install-proof.js check-backend APP_DIR BASE_URL BACKEND_LOG
//     (the static token in the INSTALL_PROOF_TOKEN environment variable)
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const [command, ...args] = process.argv.slice(2);

const readJson = file => JSON.parse(fs.readFileSync(file, 'utf8'));
const writeJson = (file, value) =>
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

function fail(message) {
  throw new Error(message);
}

// ---------------------------------------------------------------------------
// Tarballs

function readTarball(file) {
  const listing = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map(entry => entry.replace(/^package\//, ''));
  const manifest = JSON.parse(
    execFileSync('tar', ['-xzOf', file, 'package/package.json'], {
      encoding: 'utf8',
    }),
  );
  return { file, listing, manifest };
}

function readTarballs(packDir) {
  const files = fs
    .readdirSync(packDir)
    .filter(name => name.endsWith('.tgz'))
    .map(name => path.join(packDir, name));
  if (files.length === 0) {
    fail(`No tarballs in ${packDir}`);
  }
  return files.map(readTarball);
}

function checkTarballs(packDir) {
  const tarballs = readTarballs(packDir);
  const packed = new Set(tarballs.map(t => t.manifest.name));
  const problems = [];
  for (const { file, listing, manifest } of tarballs) {
    const name = manifest.name;
    const ranges = {
      ...manifest.dependencies,
      ...manifest.peerDependencies,
      ...manifest.optionalDependencies,
    };
    for (const [dep, range] of Object.entries(ranges)) {
      if (/^(workspace|link|portal|file):/.test(range)) {
        problems.push(
          `${name}: dependency ${dep} has the local range ${range}`,
        );
      }
      if (dep.startsWith('@internal/') && !packed.has(dep)) {
        problems.push(`${name}: depends on ${dep}, which was not packed`);
      }
    }
    for (const field of ['main', 'types']) {
      const target = (manifest[field] ?? '').replace(/^\.\//, '');
      if (!target || !listing.includes(target)) {
        problems.push(
          `${name}: ${field} is ${manifest[field]}, not a file in the tarball`,
        );
      }
      if (target.startsWith('src/')) {
        problems.push(`${name}: ${field} still points at the sources`);
      }
    }
    if (manifest.configSchema && !listing.includes(manifest.configSchema)) {
      problems.push(
        `${name}: configSchema ${manifest.configSchema} is missing`,
      );
    }
    console.log(
      `  ${path.basename(file)}: ${listing.length} files, ${
        Object.keys(manifest.dependencies ?? {}).length
      } dependencies, role ${manifest.backstage?.role}`,
    );
  }
  if (problems.length > 0) {
    fail(`The tarballs are not installable:\n  ${problems.join('\n  ')}`);
  }
}

// ---------------------------------------------------------------------------
// The app

// Every `backend.add(import('…'))` in a ```ts block of a README, in order.
function backendAddsIn(readme) {
  const names = [];
  for (const block of readme.matchAll(/```tsx?\n([\s\S]*?)```/g)) {
    for (const m of block[1].matchAll(
      /backend\.add\(\s*import\(\s*'([^']+)'\s*\)\s*,?\s*\)/g,
    )) {
      names.push(m[1]);
    }
  }
  return names;
}

function prepareApp(appDir, packDir, repoRoot, port) {
  const tarballs = readTarballs(packDir);
  const localDir = path.join(appDir, 'platform-packages');
  fs.mkdirSync(localDir, { recursive: true });

  // The @internal packages exist nowhere but in these tarballs, so every
  // range on them, also between them, resolves to the tarball; the other
  // pins are the ones this repository's own install needs on this machine.
  const rootFile = path.join(appDir, 'package.json');
  const root = readJson(rootFile);
  root.resolutions = {
    ...root.resolutions,
    ...readJson(path.join(repoRoot, 'package.json')).resolutions,
  };
  const byRole = {};
  for (const { file, manifest } of tarballs) {
    const local = path.join(localDir, path.basename(file));
    fs.copyFileSync(file, local);
    root.resolutions[manifest.name] = `file:./${path.relative(appDir, local)}`;
    (byRole[manifest.backstage?.role] ??= []).push(manifest);
  }
  writeJson(rootFile, root);

  // What `yarn --cwd packages/<x> add <name>` would write with a registry.
  const addDependencies = (workspace, manifests) => {
    const file = path.join(appDir, 'packages', workspace, 'package.json');
    const pkg = readJson(file);
    for (const manifest of manifests) {
      pkg.dependencies[manifest.name] = `^${manifest.version}`;
      console.log(`  packages/${workspace}: ${manifest.name}`);
    }
    writeJson(file, pkg);
  };
  const backendModules = byRole['backend-plugin-module'] ?? [];
  const frontendPlugins = byRole['frontend-plugin'] ?? [];
  addDependencies('backend', backendModules);
  addDependencies('app', frontendPlugins);

  // The backend gets exactly the `backend.add` lines the READMEs show.
  const readmeAdds = new Map();
  for (const dir of fs.readdirSync(path.join(repoRoot, 'plugins'))) {
    const readme = path.join(repoRoot, 'plugins', dir, 'README.md');
    if (fs.existsSync(readme)) {
      const pkgName = readJson(
        path.join(repoRoot, 'plugins', dir, 'package.json'),
      ).name;
      readmeAdds.set(pkgName, backendAddsIn(fs.readFileSync(readme, 'utf8')));
    }
  }
  const missing = backendModules
    .map(m => m.name)
    .filter(name => !(readmeAdds.get(name) ?? []).includes(name));
  if (missing.length > 0) {
    fail(`These READMEs show no backend.add of their package: ${missing}`);
  }
  const indexFile = path.join(appDir, 'packages/backend/src/index.ts');
  let index = fs.readFileSync(indexFile, 'utf8');
  // The permission module's README: "Install it instead of the allow-all
  // policy module".
  const allowAll =
    /backend\.add\(\s*import\(\s*'@backstage\/plugin-permission-backend-module-allow-all-policy'\s*\)\s*,?\s*\);\n/;
  if (!allowAll.test(index)) {
    fail('The stock backend has no allow-all policy line to replace');
  }
  index = index.replace(allowAll, '');
  const added = [];
  for (const names of readmeAdds.values()) {
    for (const name of names) {
      if (!index.includes(`'${name}'`) && !added.includes(name)) {
        added.push(name);
      }
    }
  }
  const unknown = added.filter(
    name => !backendModules.some(m => m.name === name),
  );
  if (unknown.length > 0) {
    fail(`The READMEs add packages the stock backend lacks: ${unknown}`);
  }
  index = index.replace(
    /\nbackend\.start\(\);/,
    `\n// Added by scripts/install-proof.sh, as the platform READMEs show\n${added
      .map(name => `backend.add(import('${name}'));\n`)
      .join('')}\nbackend.start();`,
  );
  fs.writeFileSync(indexFile, index);
  for (const name of added) {
    console.log(`  backend.add(import('${name}'))`);
  }

  // The frontend plugin's README: the app discovers it (app.packages: all).
  if (
    !/^\s+packages:\s*all\s*$/m.test(
      fs.readFileSync(path.join(appDir, 'app-config.yaml'), 'utf8'),
    )
  ) {
    fail('The stock app-config.yaml no longer says app.packages: all');
  }

  writeProofCatalog(appDir);
  fs.writeFileSync(
    path.join(appDir, 'app-config.proof.yaml'),
    `# Written by scripts/install-proof.sh
app:
  baseUrl: http://127.0.0.1:${port}
backend:
  baseUrl: http://127.0.0.1:${port}
  listen:
    port: ${port}
    host: 127.0.0.1
  auth:
    externalAccess:
      - type: static
        options:
          token: \${INSTALL_PROOF_TOKEN}
          subject: install-proof
  database:
    client: better-sqlite3
    connection: ':memory:'
  cors:
    origin: http://127.0.0.1:${port}
catalog:
  processingInterval: { seconds: 5 }
  rules:
    - allow: [Component, System, API, Resource, Location, User, Group]
  locations:
    - type: file
      target: ${path.join(appDir, 'proof-catalog/service.yaml')}
    - type: file
      target: ${path.join(appDir, 'proof-catalog/banana.yaml')}
search:
  collators:
    catalog:
      schedule:
        frequency: { seconds: 5 }
        timeout: { minutes: 1 }
        initialDelay: { seconds: 1 }
platform:
  kubernetes:
    clusters: []
`,
  );
}

function serviceEntity(lifecycle) {
  return `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: proof-service
  annotations:
    platform.internal/on-call-url: https://oncall.example.com/proof-service
spec:
  type: service
  lifecycle: ${lifecycle}
  owner: group:default/team-proof
  dependencies:
    - target: resource:proof-db
      type: data
      critical: true
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: proof-db
spec:
  type: database
  lifecycle: production
  owner: group:default/team-proof
`;
}

function writeProofCatalog(appDir) {
  const dir = path.join(appDir, 'proof-catalog');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'service.yaml'), serviceEntity('production'));
  fs.writeFileSync(
    path.join(dir, 'banana.yaml'),
    `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: proof-banana
spec:
  type: service
  lifecycle: banana
  owner: group:default/team-proof
`,
  );
}

// ---------------------------------------------------------------------------
// Frontend bundle

// Text that only the platform's cards render.
const cardTexts = {
  'Dependencies card': 'Blast radius: ',
  'Ownership card': 'No on-call rotation declared.',
};

function checkFrontend(appDir) {
  const staticDir = path.join(appDir, 'packages/app/dist/static');
  const files = fs.readdirSync(staticDir).filter(f => f.endsWith('.js'));
  for (const [card, text] of Object.entries(cardTexts)) {
    const found = files.filter(f =>
      fs.readFileSync(path.join(staticDir, f), 'utf8').includes(text),
    );
    if (found.length === 0) {
      fail(`The app bundle has no ${card} ("${text}" is in no chunk)`);
    }
    console.log(`  ${card}: "${text}" in ${found.join(', ')}`);
  }
}

// ---------------------------------------------------------------------------
// Running backend

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function checkBackend(appDir, baseUrl, backendLog) {
  const token = process.env.INSTALL_PROOF_TOKEN;
  const request = async (method, urlPath, { body, bearer = token } = {}) => {
    const res = await fetch(`${baseUrl}${urlPath}`, {
      method,
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  };
  const get = async urlPath => {
    const res = await request('GET', urlPath);
    if (res.status !== 200) {
      fail(`GET ${urlPath} answered ${res.status}: ${res.text.slice(0, 300)}`);
    }
    return res.json;
  };
  // Polls until `probe` returns a value or throws its last error.
  const eventually = async (what, probe, timeoutMs = 90_000) => {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      try {
        const value = await probe();
        if (value !== undefined) return value;
        last = undefined;
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) {
        fail(
          `${what}: not within ${timeoutMs / 1000} s${
            last ? `: ${last.message}` : ''
          }`,
        );
      }
      await sleep(1000);
    }
  };

  let failures = 0;
  const check = async (name, fn) => {
    const start = Date.now();
    try {
      const detail = await fn();
      console.log(
        `  ok   ${name} (${Date.now() - start} ms)${
          detail ? `: ${detail}` : ''
        }`,
      );
    } catch (e) {
      failures += 1;
      console.log(`  FAIL ${name} (${Date.now() - start} ms): ${e.message}`);
    }
  };

  await check('scaffolder lists the platform actions', async () => {
    const expected = [
      'platform:github:repo:create',
      'platform:kubernetes:namespace:create',
      'platform:kubernetes:quota:apply',
      'platform:kubernetes:apply',
      'platform:preflight',
      'platform:catalog:register',
    ];
    const ids = (await get('/api/scaffolder/v2/actions')).map(a => a.id);
    const missing = expected.filter(id => !ids.includes(id));
    if (missing.length) fail(`missing ${missing.join(', ')}`);
    return ids.filter(id => id.startsWith('platform:')).join(', ');
  });

  await check('scaffolder lists the platform template filters', async () => {
    const { filters } = await get('/api/scaffolder/v2/templating-extensions');
    const missing = ['k8s_name', 'env_var'].filter(f => !(f in filters));
    if (missing.length) fail(`missing ${missing.join(', ')}`);
    return 'k8s_name, env_var';
  });

  await check('scaffolder serves the platform runs API', async () => {
    const { runs } = await get('/api/scaffolder/platform/runs');
    if (!Array.isArray(runs)) fail('no runs array');
    return `${runs.length} runs`;
  });

  const serviceRef =
    '/api/catalog/entities/by-name/component/default/proof-service';
  await check('catalog module normalizes a valid entity', async () => {
    const entity = await eventually(
      'proof-service in the catalog',
      async () => {
        const res = await request('GET', serviceRef);
        return res.status === 200 ? res.json : undefined;
      },
    );
    const deps = entity.spec.dependencies;
    const expected = [
      { target: 'resource:default/proof-db', type: 'data', critical: true },
    ];
    if (JSON.stringify(deps) !== JSON.stringify(expected)) {
      fail(`spec.dependencies is ${JSON.stringify(deps)}`);
    }
    if (
      !entity.relations.some(
        r =>
          r.type === 'dependsOn' && r.targetRef === 'resource:default/proof-db',
      )
    ) {
      fail('no dependsOn relation to resource:default/proof-db');
    }
    if (!(entity.metadata.links ?? []).some(l => l.type === 'on-call')) {
      fail('the on-call annotation did not become a link');
    }
    if ((entity.status?.items ?? []).length) {
      fail(`unexpected status items ${JSON.stringify(entity.status.items)}`);
    }
    return 'typed dependency in normal form, dependsOn relation, on-call link';
  });

  await check(
    'catalog module rejects a new entity with lifecycle banana',
    async () => {
      const wanted =
        'component:default/proof-banana has the lifecycle "banana"';
      const line = await eventually(
        'the processing error in the backend log',
        async () =>
          fs
            .readFileSync(backendLog, 'utf8')
            .split('\n')
            .find(l => l.includes(wanted)),
      );
      const res = await request(
        'GET',
        '/api/catalog/entities/by-name/component/default/proof-banana',
      );
      if (res.status !== 404)
        fail(`the entity was stored (HTTP ${res.status})`);
      return `not stored; logged: ${line
        .replace(/\x1b\[[0-9;]*m/g, '')
        .trim()
        .slice(0, 200)}`;
    },
  );

  await check(
    'an existing entity turned banana keeps its last good version with the error in its status',
    async () => {
      fs.writeFileSync(
        path.join(appDir, 'proof-catalog/service.yaml'),
        serviceEntity('banana'),
      );
      const refresh = await request('POST', '/api/catalog/refresh', {
        body: { entityRef: 'component:default/proof-service' },
      });
      if (refresh.status !== 200) fail(`refresh answered ${refresh.status}`);
      const entity = await eventually(
        'the processing error in status.items',
        async () => {
          const e = await get(serviceRef);
          return (e.status?.items ?? []).some(
            i =>
              i.type === 'backstage.io/catalog-processing' &&
              i.message.includes('"banana"'),
          )
            ? e
            : undefined;
        },
      );
      if (entity.spec.lifecycle !== 'production') {
        fail(`spec.lifecycle is ${entity.spec.lifecycle}`);
      }
      const item = entity.status.items.find(
        i => i.type === 'backstage.io/catalog-processing',
      );
      return `${item.level}: ${item.message.slice(0, 160)}`;
    },
  );

  await check(
    'search documents carry owners and typed dependencies',
    async () => {
      const doc = await eventually(
        'proof-service in the search index',
        async () => {
          const { results } = await get(
            '/api/search/query?term=proof-service&types%5B0%5D=software-catalog',
          );
          return results
            .map(r => r.document)
            .find(
              d =>
                d.location?.endsWith('/proof-service') &&
                d.text.includes('Depends on'),
            );
        },
      );
      if (
        !doc.text.includes('proof-db (data, critical)') ||
        !doc.text.includes('Owned by team-proof')
      ) {
        fail(`document text is ${doc.text}`);
      }
      return doc.text;
    },
  );

  await check(
    'the platform permission policy decides, not allow-all',
    async () => {
      const guest = await request('GET', '/api/auth/guest/refresh', {
        bearer: undefined,
      });
      const userToken = guest.json?.backstageIdentity?.token;
      if (!userToken)
        fail(
          `no guest token (HTTP ${guest.status}: ${guest.text.slice(0, 200)})`,
        );
      // A signed-in user may register locations (allow-all would allow it too),
      // but may manage only runs their team started: a run that does not exist
      // is denied, where allow-all would allow it.
      const res = await request('POST', '/api/permission/authorize', {
        bearer: userToken,
        body: {
          items: [
            {
              id: 'location',
              permission: {
                type: 'basic',
                name: 'catalog.location.create',
                attributes: { action: 'create' },
              },
            },
            {
              id: 'run',
              permission: {
                type: 'resource',
                name: 'platform.run.manage',
                attributes: { action: 'update' },
                resourceType: 'platform-run',
              },
              resourceRef: 'install-proof-no-such-task',
            },
          ],
        },
      });
      const results = Object.fromEntries(
        (res.json?.items ?? []).map(item => [item.id, item.result]),
      );
      if (
        res.status !== 200 ||
        results.location !== 'ALLOW' ||
        results.run !== 'DENY'
      ) {
        fail(`answered ${res.status} ${res.text.slice(0, 300)}`);
      }
      return 'guest: catalog.location.create ALLOW, platform.run.manage on an unknown run DENY';
    },
  );

  if (failures > 0) {
    fail(`${failures} backend check(s) failed`);
  }
}

// ---------------------------------------------------------------------------

async function main() {
  switch (command) {
    case 'check-tarballs':
      return checkTarballs(args[0]);
    case 'prepare-app':
      return prepareApp(args[0], args[1], args[2], args[3]);
    case 'check-frontend':
      return checkFrontend(args[0]);
    case 'check-backend':
      return checkBackend(args[0], args[1], args[2]);
    default:
      return fail(`Unknown command ${command}`);
  }
}

main().catch(e => {
  console.error(e.message);
  process.exitCode = 1;
});
