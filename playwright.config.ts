import { defineConfig } from '@playwright/test';
import { generateProjects } from '@backstage/e2e-test-utils/playwright';

const backendUrl = 'http://localhost:7007';

/**
 * Browser tests run Debian's Chromium against the production frontend bundle
 * (`yarn workspace app build`) served by the backend, as a deployment would.
 */
export default defineConfig({
  timeout: 120_000,
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: [
    ['list'],
    ['json', { outputFile: 'test-results/playwright.json' }],
  ],
  webServer: [
    {
      // The LOCAL TARGETS of app-config.yaml: loopback GitHub and Kubernetes.
      // Its GitHub API answers 401 without a token, which counts as ready.
      command: 'yarn workspace local-targets start',
      url: 'http://127.0.0.1:7070/user',
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    {
      command: 'yarn workspace backend start',
      url: `${backendUrl}/.backstage/health/v1/readiness`,
      reuseExistingServer: !process.env.CI,
      timeout: 240_000,
      stdout: 'pipe',
      env: { APP_CONFIG_app_baseUrl: backendUrl },
    },
  ],
  use: {
    baseURL: process.env.PLAYWRIGHT_URL ?? backendUrl,
    viewport: { width: 1600, height: 1000 },
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // Headless Chromium as root on a closed network: no sandbox, and no
      // background services that would try to reach the internet.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  outputDir: 'test-results/playwright-artifacts',
  projects: generateProjects().map(project => ({
    ...project,
    use: { ...project.use, channel: undefined },
  })),
});
