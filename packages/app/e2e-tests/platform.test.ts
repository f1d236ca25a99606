import { test, expect } from '@playwright/test';
import { signInAsGuest } from './goldenPath';
import { takeScreenshot } from './screenshots';

test('the checkout entity page shows its typed dependencies and ownership', async ({
  page,
}) => {
  await signInAsGuest(page, '/catalog/default/component/checkout');

  const dependencies = page.getByTestId('platform-dependencies-card');
  await expect(dependencies.getByText('Depends on')).toBeVisible();
  await expect(
    dependencies
      .locator('a[href="/catalog/default/component/payments"]')
      .first(),
  ).toBeVisible();
  // checkout is in production and depends critically on an experiment.
  await expect(
    dependencies.getByTestId('dependency-warning').filter({
      hasText: 'experimental',
    }),
  ).toBeVisible();
  // web-shop depends on checkout.
  await expect(dependencies.getByText('Depended on by')).toBeVisible();
  await expect(
    dependencies
      .locator('a[href="/catalog/default/component/web-shop"]')
      .first(),
  ).toBeVisible();

  const ownership = page.getByTestId('platform-ownership-card');
  await expect(
    ownership.locator('a[href="/catalog/default/group/team-checkout"]'),
  ).toBeVisible();
  await expect(
    ownership.locator(
      'a[href="https://oncall.example.com/rotations/checkout"]',
    ),
  ).toBeVisible();

  await takeScreenshot(page, {
    name: 'entity-checkout',
    readmeImage: 'docs/screenshots/entity-checkout.png',
  });
});

test('the Platform page lists services filterable by team and lifecycle', async ({
  page,
}) => {
  await signInAsGuest(page, '/');
  await page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name: 'Platform', exact: true })
    .click();

  const services = page.getByRole('link', {
    name: 'Recommendations',
    exact: true,
  });
  await expect(services).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Payments', exact: true }),
  ).toBeVisible();

  await page.getByRole('button', { name: /^Lifecycle / }).click();
  await page.getByRole('option', { name: 'experimental' }).click();
  // Other browser tests may have registered more services: assert what the
  // filter keeps and drops, not a count.
  await expect(
    page.getByRole('cell', { name: 'production', exact: true }),
  ).toHaveCount(0);
  await expect(services).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Payments', exact: true }),
  ).toHaveCount(0);

  await page.getByRole('button', { name: /^Lifecycle / }).click();
  await page.getByRole('option', { name: 'All lifecycles' }).click();
  await page.getByRole('button', { name: /^Team / }).click();
  await page.getByRole('option', { name: 'team-payments' }).click();
  await expect(
    page.getByRole('link', { name: 'Payments', exact: true }),
  ).toBeVisible();
  await expect(services).toHaveCount(0);

  await takeScreenshot(page, {
    name: 'platform-services',
    readmeImage: 'docs/screenshots/platform-services.png',
  });

  await page.getByRole('tab', { name: 'Runs' }).click();
  // Whether other browser tests ran platform actions first or not, the view
  // loads: with runs, or with the words that there are none.
  await expect(
    page
      .getByTestId('platform-run')
      .first()
      .or(page.getByText('No run has used a platform action yet.')),
  ).toBeVisible();
  await expect(page.getByText('Could not load the platform runs.')).toHaveCount(
    0,
  );
  await takeScreenshot(page, { name: 'platform-runs' });
});
