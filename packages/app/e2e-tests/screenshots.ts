import path from 'node:path';
import { Page } from '@playwright/test';

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** A picture of the page that a browser test keeps. */
export interface Screenshot {
  /** Its file name in test-results/screenshots, without `.png`. */
  name: string;
  /**
   * The README's image it also replaces, relative to the repository root,
   * when the tests run with UPDATE_SCREENSHOTS=1.
   */
  readmeImage?: string;
}

/**
 * Takes a full-page picture into test-results/screenshots, and retakes the
 * README's image with it only when asked to: a normal run must not change
 * committed files.
 */
export async function takeScreenshot(page: Page, screenshot: Screenshot) {
  await page.screenshot({
    path: path.join(
      REPO_ROOT,
      'test-results/screenshots',
      `${screenshot.name}.png`,
    ),
    fullPage: true,
  });
  if (screenshot.readmeImage && process.env.UPDATE_SCREENSHOTS === '1') {
    await page.screenshot({
      path: path.join(REPO_ROOT, screenshot.readmeImage),
      fullPage: true,
    });
  }
}
