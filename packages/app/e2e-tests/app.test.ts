import { test, expect } from '@playwright/test';

test('a guest signs in and finds the example services in the catalog', async ({
  page,
}) => {
  // The catalog is the landing page (app-config) and shows owned components
  // by default; ask for all of them.
  await page.goto('/?filters[kind]=component&filters[user]=all');
  await page.getByRole('button', { name: 'Enter' }).click();

  const nav = page.getByRole('navigation', { name: 'sidebar nav' });
  await expect(
    nav.getByRole('link', { name: 'Catalog', exact: true }),
  ).toBeVisible();

  for (const service of ['payments', 'checkout', 'web-shop']) {
    await expect(
      page.locator(`a[href="/catalog/default/component/${service}"]`),
    ).toBeVisible();
  }

  await page.screenshot({
    path: 'test-results/screenshots/catalog.png',
    fullPage: true,
  });
});
