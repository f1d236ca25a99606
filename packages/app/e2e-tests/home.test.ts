import { test, expect } from '@playwright/test';
import { signInAsGuest } from './goldenPath';
import { takeScreenshot } from './screenshots';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

test('the Home page loads nothing from outside this machine and throws no error', async ({
  page,
}) => {
  const leftLoopback: string[] = [];
  page.on('request', request => {
    const url = new URL(request.url());
    if (url.protocol.startsWith('http') && !LOOPBACK_HOSTS.has(url.hostname)) {
      leftLoopback.push(request.url());
    }
  });
  // What the development server shows as its error overlay: uncaught errors
  // and unhandled rejections, such as a failed fetch nobody catches.
  const uncaught: string[] = [];
  page.on('pageerror', error => uncaught.push(error.message));

  await signInAsGuest(page, '/home');

  await expect(page.getByText('World Clocks')).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(leftLoopback).toEqual([]);
  expect(uncaught).toEqual([]);

  await expect(
    page.getByText('Getting Started', { exact: true }),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Create a service' }),
  ).toHaveAttribute('href', '/create');

  await takeScreenshot(page, { name: 'home' });
});
