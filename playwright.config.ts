import { defineConfig } from '@playwright/test';
import { generateProjects } from '@backstage/e2e-test-utils/playwright';
import { chromiumLaunchOptions } from './packages/app/e2e-tests/chromium';
import { localPostgres } from './packages/app/e2e-tests/localPostgres';

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
      // platform.databases.main: a new PostgreSQL cluster for each run, in
      // .local/postgres-playwright, stopped and removed when Playwright
      // sends SIGTERM at the end.
      command: 'bash scripts/local-postgres.sh',
      port: localPostgres.port,
      // A server left from elsewhere would not have this run's password.
      reuseExistingServer: false,
      timeout: 60_000,
      gracefulShutdown: { signal: 'SIGTERM', timeout: 30_000 },
      stdout: 'pipe',
      env: {
        PLATFORM_LOCAL_DB_PORT: String(localPostgres.port),
        PLATFORM_LOCAL_DB_PASSWORD: localPostgres.adminPassword,
      },
    },
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
      env: {
        APP_CONFIG_app_baseUrl: backendUrl,
        APP_CONFIG_platform_databases_main_host: localPostgres.host,
        APP_CONFIG_platform_databases_main_port: String(localPostgres.port),
        APP_CONFIG_platform_databases_main_adminUser: localPostgres.adminUser,
        // As a JSON string, so that it stays a string whatever it looks like.
        APP_CONFIG_platform_databases_main_adminPassword: JSON.stringify(
          localPostgres.adminPassword,
        ),
        APP_CONFIG_platform_databases_main_tls_mode: 'disable',
      },
    },
  ],
  use: {
    baseURL: process.env.PLAYWRIGHT_URL ?? backendUrl,
    viewport: { width: 1600, height: 1000 },
    screenshot: 'only-on-failure',
    launchOptions: chromiumLaunchOptions,
  },
  outputDir: 'test-results/playwright-artifacts',
  projects: generateProjects().map(project => ({
    ...project,
    use: { ...project.use, channel: undefined },
  })),
});
