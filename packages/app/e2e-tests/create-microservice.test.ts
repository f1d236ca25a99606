import { test, expect, APIRequestContext } from '@playwright/test';
import {
  fillTheGoldenPathForm,
  KUBERNETES_API,
  KUBERNETES_TOKEN,
  openTheNewEntityPage,
} from './goldenPath';

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

test('a guest creates a microservice on the Create page and opens its entity page', async ({
  page,
  request,
}) => {
  const name = `payments-${suffix}`;
  await fillTheGoldenPathForm(page, {
    name,
    language: 'Node.js',
    exposePublic: true,
    reviewScreenshot: 'test-results/screenshots/create-microservice-review.png',
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
  // Anchored names: the run page may also render the parameters as a linked
  // text that contains "repository_url".
  // In local mode the repository is the loopback GitHub's page of it.
  const repositoryPage = `${GITHUB_API}/example-org/${name}`;
  await expect(
    page.getByRole('link', { name: /^Repository\b/ }),
  ).toHaveAttribute('href', repositoryPage, { timeout: 120_000 });
  await expect(
    page.getByRole('link', { name: /^Service URL\b/ }),
  ).toHaveAttribute('href', `https://${name}.apps.example.com/`);
  await page.screenshot({
    path: 'test-results/screenshots/create-microservice-completed.png',
    fullPage: true,
  });
  expect(await statusOf(request, repoUrl(name), GITHUB_TOKEN)).toBe(200);
  expect(await statusOf(request, namespaceUrl(name), KUBERNETES_TOKEN)).toBe(
    200,
  );

  // What the run pushed, where the Repository link leads.
  const repository = await page.context().newPage();
  await repository.goto(repositoryPage);
  await expect(
    repository.getByRole('heading', { name: `example-org/${name}` }),
  ).toBeVisible();
  await expect(
    repository.getByRole('link', { name: 'docs/index.md' }).first(),
  ).toBeVisible();
  await repository.close();

  await openTheNewEntityPage(page);
  await expect(
    page.getByTestId('platform-ownership-card').getByText('team-payments'),
  ).toBeVisible();
  await expect(
    page
      .getByTestId('platform-dependencies-card')
      .locator('a[href="/catalog/default/component/checkout"]')
      .first(),
  ).toBeVisible();
  await page.screenshot({
    path: 'test-results/screenshots/create-microservice-entity.png',
    fullPage: true,
  });

  // The catalog's source location: the repository's tree on the loopback
  // GitHub, not github.com.
  await expect(page.getByRole('link', { name: /View Source/ })).toHaveAttribute(
    'href',
    `${repositoryPage}/tree/main/`,
  );

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
  await page.screenshot({
    path: 'test-results/screenshots/create-microservice-techdocs.png',
    fullPage: true,
  });
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

  await page.goto('/create');
  await page.getByRole('button', { name: 'Enter' }).click();
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
  await page.screenshot({
    path: 'test-results/screenshots/create-microservice-name-taken.png',
    fullPage: true,
  });

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
  const name = `ledger-${suffix}`;
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
  await page.screenshot({
    path: 'test-results/screenshots/create-microservice-failed.png',
    fullPage: true,
  });

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
  await page.screenshot({
    path: 'test-results/screenshots/create-microservice-task-rolled-back.png',
    fullPage: true,
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
  await page.screenshot({
    path: 'test-results/screenshots/create-microservice-rolled-back.png',
    fullPage: true,
  });

  expect(await statusOf(request, repoUrl(name), GITHUB_TOKEN)).toBe(404);
  // Namespace deletion is asynchronous: Terminating first, then gone.
  await expect
    .poll(() => statusOf(request, namespaceUrl(name), KUBERNETES_TOKEN))
    .toBe(404);
});
