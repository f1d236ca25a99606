import { test, expect, APIRequestContext, Page } from '@playwright/test';
import {
  fillTheGoldenPathForm,
  KUBERNETES_API,
  KUBERNETES_TOKEN,
  signInAsGuest,
} from './goldenPath';
import { takeScreenshot } from './screenshots';

/**
 * The golden path in a real browser against the local targets that the start
 * command runs (loopback GitHub on :7070, Kubernetes on :7071, their control
 * API on :7072; see packages/local-targets/src/localTargets.ts).
 */
const GITHUB_API = 'http://127.0.0.1:7070';
const CONTROL_API = 'http://127.0.0.1:7072';
const GITHUB_TOKEN = 'local-targets-github-token';

// Unique per run, so that a local-targets process that lives across test
// runs never holds a repository of the same name.
const suffix = Date.now().toString(36);

/** The status a local target answers for a resource: 200 or 404. */
async function statusOf(
  request: APIRequestContext,
  url: string,
  token: string,
): Promise<number> {
  const response = await request.get(url, {
    headers: { authorization: `Bearer ${token}` },
    // The loopback Kubernetes API has a new self-signed certificate per start.
    ignoreHTTPSErrors: true,
  });
  return response.status();
}

const repoUrl = (name: string) => `${GITHUB_API}/repos/example-org/${name}`;
const namespaceUrl = (name: string) =>
  `${KUBERNETES_API}/api/v1/namespaces/${name}`;

// The tests after the first look at what it created, and the Runs page test
// at the failed run of the one before it.
test.describe.configure({ mode: 'serial' });

/** The service the first test creates, and when its run ended. */
const created = { name: `payments-${suffix}`, completedAt: 0 };
/** The service whose deployment the failed-run test makes fail. */
const failedName = `ledger-${suffix}`;

test('a guest creates a microservice on the Create page', async ({
  page,
  request,
}) => {
  const { name } = created;
  await fillTheGoldenPathForm(page, {
    name,
    language: 'Node.js',
    exposePublic: true,
    createPageScreenshot: {
      name: 'create-page',
      readmeImage: 'docs/golden-path/create-page.png',
    },
    reviewScreenshot: {
      name: 'create-microservice-review',
      readmeImage: 'docs/golden-path/create-form-review.png',
    },
  });

  for (const step of [
    'Render the service',
    'Check before anything is created',
    'Create the repository',
    'Create the namespace',
    'Deploy',
    'Register in the catalog',
  ]) {
    await expect(page.getByText(step, { exact: true })).toBeVisible();
  }
  // In local mode the repository is the loopback GitHub's page of it.
  await expect(
    page.getByRole('link', { name: /^Repository\b/ }),
  ).toHaveAttribute('href', `${GITHUB_API}/example-org/${name}`, {
    timeout: 120_000,
  });
  created.completedAt = Date.now();
  // Nobody can open the service's address from the browser: it is text
  // that says so, not a link.
  await expect(page.getByRole('link', { name: /^Service URL\b/ })).toHaveCount(
    0,
  );
  const address = page.getByTestId('text-output-box');
  await expect(
    address.getByRole('heading', { name: 'Service address' }),
  ).toBeVisible();
  await expect(address.locator('code')).toHaveText(
    `https://${name}.apps.example.com/`,
  );
  await expect(address).toContainText('nothing answers');
  await takeScreenshot(page, {
    name: 'create-microservice-completed',
    readmeImage: 'docs/golden-path/run-completed.png',
  });
  expect(await statusOf(request, repoUrl(name), GITHUB_TOKEN)).toBe(200);
  expect(await statusOf(request, namespaceUrl(name), KUBERNETES_TOKEN)).toBe(
    200,
  );
});

/** The catalog links of a search's results, in the order they are shown. */
async function searchResults(page: Page): Promise<string[]> {
  return page
    .locator('a[href^="/catalog/default/"]')
    .evaluateAll(links => links.map(link => link.getAttribute('href')!));
}

test("search finds a team's own services first, and the new service within a minute", async ({
  page,
}) => {
  // Lunr splits the name into "team" and "payments": team-checkout's
  // checkout matches both words too (it is owned by a team and depends on
  // payments).
  await signInAsGuest(page, '/search?query=team-payments');
  const own = [
    '/catalog/default/component/payments',
    '/catalog/default/api/payments-api',
    '/catalog/default/resource/orders-db',
    '/catalog/default/component/legacy-invoices',
  ];
  const otherTeams = [
    '/catalog/default/component/checkout',
    '/catalog/default/component/web-shop',
    '/catalog/default/component/recommendations',
    '/catalog/default/component/ci-toolkit',
    '/catalog/default/resource/orders-backups',
    '/catalog/default/system/shop',
  ];
  await expect(page.locator(`a[href="${own[0]}"]`)).toBeVisible();
  const results = await searchResults(page);
  const positions = (hrefs: string[]) =>
    hrefs.map(href => results.indexOf(href)).filter(index => index >= 0);
  expect(positions(own)).toHaveLength(own.length);
  expect(positions(otherTeams).length).toBeGreaterThan(0);
  expect(Math.max(...positions(own))).toBeLessThan(
    Math.min(...positions(otherTeams)),
  );
  await takeScreenshot(page, { name: 'search-team' });

  // The catalog collator runs every minute: the service is findable after
  // the next indexing run, a minute after its run ended at most, plus the
  // time that indexing run takes on a busy machine.
  const allowedMs = 70_000;
  const newService = `/catalog/default/component/${created.name}`;
  await expect(async () => {
    await page.goto(`/search?query=${created.name}`);
    await expect(page.locator(`a[href="${newService}"]`)).toBeVisible({
      timeout: 5_000,
    });
  }).toPass({
    timeout: Math.max(created.completedAt + allowedMs - Date.now(), 1_000),
  });
  expect(Date.now() - created.completedAt).toBeLessThan(allowedMs);
  await takeScreenshot(page, { name: 'search-new-service' });
});

test("the new service's entity page links to what the run pushed and shows its TechDocs", async ({
  page,
}) => {
  const { name } = created;
  const repositoryPage = `${GITHUB_API}/example-org/${name}`;
  await signInAsGuest(page, `/catalog/default/component/${name}`);
  await expect(
    page.getByTestId('platform-ownership-card').getByText('team-payments'),
  ).toBeVisible();
  await expect(
    page
      .getByTestId('platform-dependencies-card')
      .locator('a[href="/catalog/default/component/checkout"]')
      .first(),
  ).toBeVisible();
  await takeScreenshot(page, {
    name: 'create-microservice-entity',
    readmeImage: 'docs/golden-path/entity-page.png',
  });

  // The catalog's source location: the repository's tree on the loopback
  // GitHub, which lists the files the run pushed. The Ownership card's
  // Repository row shows the same page.
  const viewSource = page.getByRole('link', { name: /View Source/ });
  await expect(viewSource).toHaveAttribute(
    'href',
    `${repositoryPage}/tree/main/`,
  );
  await expect(
    page
      .getByTestId('platform-ownership-card')
      .getByRole('link', { name: `${repositoryPage}/tree/main/` }),
  ).toHaveAttribute('href', `${repositoryPage}/tree/main/`);
  const [repository] = await Promise.all([
    page.waitForEvent('popup'),
    viewSource.click(),
  ]);
  await expect(
    repository.getByRole('heading', { name: `example-org/${name}` }),
  ).toBeVisible();
  for (const file of ['catalog-info.yaml', 'docs/index.md', 'src/server.js']) {
    await expect(
      repository.getByRole('link', { name: file, exact: true }).first(),
    ).toBeVisible();
  }
  await takeScreenshot(repository, { name: 'create-microservice-repository' });
  await repository.close();

  // TechDocs reads the repository from the loopback GitHub and builds it
  // with mkdocs on the first visit.
  await page
    .getByRole('navigation', { name: 'Content navigation' })
    .getByRole('link', { name: 'TechDocs' })
    .click();
  // The built page, inside the reader's shadow root; the entity page's own
  // header is a level-1 heading with the same name outside it.
  const docs = page.getByTestId('techdocs-native-shadowroot');
  await expect(docs.getByRole('heading', { name, level: 1 })).toBeVisible({
    timeout: 120_000,
  });
  await expect(
    docs.getByText("created from the platform's microservice golden path"),
  ).toBeVisible();
  // The reader keeps the page transparent until all its stylesheets have
  // loaded: visible to Playwright, blank to a person.
  await expect
    .poll(() =>
      docs.evaluate(
        host =>
          getComputedStyle(host.shadowRoot!.querySelector('html')!).opacity,
      ),
    )
    .toBe('1');
  await takeScreenshot(page, { name: 'create-microservice-techdocs' });
});

test('the Create page says a taken name is taken and keeps the user on the step', async ({
  page,
  request,
}) => {
  const name = `taken-${suffix}`;
  const repo = await request.post(`${GITHUB_API}/orgs/example-org/repos`, {
    headers: { authorization: `Bearer ${GITHUB_TOKEN}` },
    data: { name },
  });
  expect(repo.status()).toBe(201);
  const namespace = await request.post(`${KUBERNETES_API}/api/v1/namespaces`, {
    headers: { authorization: `Bearer ${KUBERNETES_TOKEN}` },
    data: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    ignoreHTTPSErrors: true,
  });
  expect(namespace.status()).toBe(201);

  await signInAsGuest(page, '/create');
  await expect(page.getByText('Microservice (golden path)')).toBeVisible();
  await page.goto('/create/templates/default/microservice');
  // Required fields first: the name is validated once the step's schema passes.
  await page.getByLabel('Owner').fill('Payments');
  await page
    .getByRole('option', { name: /Payments/ })
    .first()
    .click();
  const status = page.getByTestId('service-name-status');
  // A name another team's service holds in the catalog.
  await page.getByLabel('Service name').fill('checkout');
  await expect(status).toContainText(
    'Catalog: component:default/checkout is taken — component:default/checkout already exists in the catalog, owned by',
  );

  await page.getByLabel('Service name').fill(name);
  await expect(status).toContainText('Catalog: free');
  await expect(status).toContainText(
    `GitHub: example-org/${name} is taken — Repository example-org/${name} already exists on github.com; choose another name`,
  );
  await expect(status).toContainText(
    `namespace ${name} is taken — Namespace ${name} already exists on cluster local; choose another name`,
  );
  await takeScreenshot(page, { name: 'create-microservice-name-taken' });

  await page.getByRole('button', { name: 'Next' }).click();
  // The step's error list, which appears once the field's own validation has
  // answered; the status lines above were there before the click.
  await expect(
    page.getByText(`'Service name' GitHub: example-org/${name} is taken`),
  ).toBeVisible();
  await expect(page.getByLabel('Expose publicly')).toHaveCount(0);

  await page.getByLabel('Service name').fill(`free-${suffix}`);
  await expect(status).toContainText('GitHub: free');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByLabel('Expose publicly')).toBeVisible();
});

test('a failed deployment shows the failure and the rollback, and leaves nothing behind', async ({
  page,
  request,
}) => {
  const name = failedName;
  // The golden path's Deploy step: its first write is refused as invalid,
  // which nobody retries, as the README's fault example does it.
  const fault = await request.post(`${CONTROL_API}/faults`, {
    data: { step: 'deploy', status: 422, count: 1 },
  });
  expect(fault.status()).toBe(201);

  await fillTheGoldenPathForm(page, {
    name,
    language: 'Go',
    exposePublic: false,
  });

  await expect(
    page.getByText(/Could not create Deployment/).first(),
  ).toBeVisible({
    timeout: 120_000,
  });
  await takeScreenshot(page, { name: 'create-microservice-failed' });

  // The stock run page stops streaming the log when the run ends, before the
  // rollback starts; the platform's panel on that same page follows it.
  const taskId = page.url().split('/create/tasks/')[1];
  const resources = page.getByRole('table', {
    name: `Resources of task ${taskId}`,
  });
  await expect(
    page
      .getByTestId('platform-rollback')
      .getByText('This run failed: everything it created was removed.'),
  ).toBeVisible({ timeout: 60_000 });
  for (const kind of ['github:repository', 'kubernetes:namespace']) {
    await expect(
      resources.getByRole('row').filter({ hasText: kind }),
    ).toContainText('rolled back: deleted');
  }
  await takeScreenshot(page, {
    name: 'create-microservice-task-rolled-back',
    readmeImage: 'docs/golden-path/task-page-rollback.png',
  });

  // The Runs page keeps the same record once the task page is gone.
  await expect(async () => {
    await page.goto('/platform/runs');
    for (const kind of ['github:repository', 'kubernetes:namespace']) {
      await expect(
        resources.getByRole('row').filter({ hasText: kind }),
      ).toContainText('rolled back', { timeout: 2_000 });
    }
  }).toPass({ timeout: 60_000 });
  await takeScreenshot(page, { name: 'create-microservice-rolled-back' });

  expect(await statusOf(request, repoUrl(name), GITHUB_TOKEN)).toBe(404);
  // Namespace deletion is asynchronous: Terminating first, then gone.
  await expect
    .poll(() => statusOf(request, namespaceUrl(name), KUBERNETES_TOKEN))
    .toBe(404);
});

test('the Runs page filters by status, template and whose run, and keeps the filters in the URL', async ({
  page,
}) => {
  const completedRun = page
    .getByTestId('platform-run')
    .filter({ hasText: created.name });
  const failedRun = page
    .getByTestId('platform-run')
    .filter({ hasText: failedName });
  const select = (label: string) =>
    page.getByRole('button', { name: new RegExp(`^${label}\\b`) });
  const choose = async (label: string, option: string) => {
    await select(label).click();
    await page.getByRole('option', { name: option, exact: true }).click();
  };

  await signInAsGuest(page, '/platform/runs?status=failed');
  await expect(failedRun).toBeVisible();
  await expect(failedRun).toContainText(
    `${failedName} (Microservice (golden path))`,
  );
  await expect(completedRun).toHaveCount(0);

  await choose('Status', 'completed');
  await expect(page).toHaveURL(/[?&]status=completed\b/);
  await expect(completedRun).toBeVisible();
  await expect(failedRun).toHaveCount(0);

  await choose('Whose runs', 'Mine');
  await choose('Template', 'Microservice (golden path)');
  await expect(page).toHaveURL(/[?&]whose=mine\b/);
  await expect(page).toHaveURL(
    /[?&]template=template%3Adefault%2Fmicroservice\b/,
  );
  // The guest started both runs, so Mine keeps the completed one; that Mine
  // leaves out another user's run is tested with two users in the runs API's
  // tests (scaffolder-backend-module-platform-rollback, runsRouter.test.ts).
  await page.reload();
  await expect(select('Status')).toContainText('completed');
  await expect(select('Whose runs')).toContainText('Mine');
  await expect(select('Template')).toContainText('Microservice (golden path)');
  await expect(completedRun).toBeVisible();
  await expect(failedRun).toHaveCount(0);
  await takeScreenshot(page, { name: 'platform-runs-filtered' });

  // A template no run used: a link with it lists nothing.
  await page.goto(
    '/platform/runs?status=completed&template=template:default/other',
  );
  await expect(page.getByText('No run matches these filters.')).toBeVisible();
  await expect(completedRun).toHaveCount(0);

  await choose('Status', 'Any status');
  await choose('Template', 'Any template');
  await expect(page).toHaveURL(/\/platform\/runs$/);
  await expect(completedRun).toBeVisible();
  await expect(failedRun).toBeVisible();
});
