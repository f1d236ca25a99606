import { expect, Page } from '@playwright/test';
import { Screenshot, takeScreenshot } from './screenshots';

/**
 * The loopback Kubernetes API of the local targets that the browser tests
 * run, and the token app-config.yaml's `local` cluster uses (see
 * packages/local-targets/README.md).
 */
export const KUBERNETES_API = 'https://127.0.0.1:7071';
export const KUBERNETES_TOKEN = 'local-targets-kubernetes-token';

/** What a user enters on the microservice golden path's form. */
export interface GoldenPathFormOptions {
  name: string;
  /** As the Language field lists it: Go, Python or Node.js. */
  language: string;
  exposePublic: boolean;
  /** Ticks "Needs a PostgreSQL database". */
  database?: boolean;
  /** A picture of the Create page's template list, if wanted. */
  createPageScreenshot?: Screenshot;
  /** A picture of the review step, if wanted. */
  reviewScreenshot?: Screenshot;
}

/** Opens `path` and signs in as the guest user on the sign-in page it shows. */
export async function signInAsGuest(page: Page, path: string) {
  await page.goto(path);
  await page.getByRole('button', { name: 'Enter' }).click();
}

/**
 * Signs in as a guest, fills the golden path's form (owner Payments, a
 * critical runtime dependency on checkout) and presses Create, which leaves
 * the browser on the run's task page.
 */
export async function fillTheGoldenPathForm(
  page: Page,
  options: GoldenPathFormOptions,
) {
  await signInAsGuest(page, '/create');
  await expect(page.getByText('Microservice (golden path)')).toBeVisible();
  if (options.createPageScreenshot) {
    await takeScreenshot(page, options.createPageScreenshot);
  }
  await page.goto('/create/templates/default/microservice');

  await expect(page.getByLabel('GitHub organisation')).toHaveValue(
    'example-org',
  );
  await page.getByLabel('Service name').fill(options.name);
  // The field asks the catalog, GitHub and the cluster while the user types.
  await expect(page.getByTestId('service-name-status')).toContainText(
    'GitHub: free',
  );
  await page.getByLabel('Description').fill('Takes card payments.');
  await page.getByLabel('Language').click();
  await page.getByRole('option', { name: options.language }).click();
  // The picker lists groups by their title.
  await page.getByLabel('Owner').fill('Payments');
  await page
    .getByRole('option', { name: /Payments/ })
    .first()
    .click();
  await page.getByRole('button', { name: 'Next' }).click();

  if (options.exposePublic) {
    await page.getByLabel('Expose publicly').check();
  }
  if (options.database) {
    await page.getByLabel('Needs a PostgreSQL database').check();
  }
  await page.getByRole('button', { name: 'Add' }).click();
  await page.getByLabel('Depends on').fill('checkout');
  await page
    .getByRole('option', { name: /checkout/i })
    .first()
    .click();
  await page.getByLabel(/Critical/).check();
  await page.getByRole('button', { name: 'Review' }).click();
  if (options.reviewScreenshot) {
    await takeScreenshot(page, options.reviewScreenshot);
  }
  await page.getByRole('button', { name: 'Create' }).click();
}

/**
 * Follows a completed run's "Open in catalog" link and waits until the
 * entity page shows the entity itself.
 */
export async function openTheNewEntityPage(page: Page) {
  await page.getByRole('link', { name: /^Open in catalog\b/ }).click();
  // The catalog processes a registered location in the background: the page
  // may come before the entity does. The page header shows the name even
  // while the entity is not found, so wait for a card that only a found
  // entity has.
  const ownership = page.getByTestId('platform-ownership-card');
  await expect(async () => {
    await page.reload();
    await expect(ownership).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 90_000 });
}
