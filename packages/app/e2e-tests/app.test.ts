import { test, expect } from '@playwright/test';
import { signInAsGuest } from './goldenPath';
import { takeScreenshot } from './screenshots';

test('a guest signs in and finds the example services in the catalog', async ({
  page,
}) => {
  // The catalog is the landing page (app-config) and shows owned components
  // by default; ask for all of them.
  await signInAsGuest(page, '/?filters[kind]=component&filters[user]=all');

  const nav = page.getByRole('navigation', { name: 'sidebar nav' });
  await expect(
    nav.getByRole('link', { name: 'Catalog', exact: true }),
  ).toBeVisible();

  for (const service of ['payments', 'checkout', 'web-shop']) {
    await expect(
      page.locator(`a[href="/catalog/default/component/${service}"]`),
    ).toBeVisible();
  }

  await takeScreenshot(page, { name: 'catalog' });
});
