import { test, expect, APIRequestContext, Page } from '@playwright/test';
import fs from 'node:fs/promises';
import { Client } from 'pg';
import {
  KUBERNETES_API,
  KUBERNETES_TOKEN,
  fillTheGoldenPathForm,
  openTheNewEntityPage,
} from './goldenPath';
import { localPostgres } from './localPostgres';
import { takeScreenshot } from './screenshots';

/**
 * The golden path with "Needs a PostgreSQL database" ticked, against the
 * local targets and the PostgreSQL server that playwright.config.ts starts
 * as platform.databases.main.
 */

// Unique per run, so that a local-targets process that lives across test
// runs never holds a namespace of the same name.
const name = `orders-${Date.now().toString(36)}`;
const secretName = `${name}-database`;

/** The decoded values of a Secret on the loopback cluster. */
async function readSecret(
  request: APIRequestContext,
  namespace: string,
  secret: string,
): Promise<Record<string, string>> {
  const response = await request.get(
    `${KUBERNETES_API}/api/v1/namespaces/${namespace}/secrets/${secret}`,
    {
      headers: { authorization: `Bearer ${KUBERNETES_TOKEN}` },
      // The loopback Kubernetes API has a new self-signed certificate per start.
      ignoreHTTPSErrors: true,
    },
  );
  expect(response.status()).toBe(200);
  const { data } = (await response.json()) as { data: Record<string, string> };
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => [
      key,
      Buffer.from(value, 'base64').toString('utf8'),
    ]),
  );
}

/**
 * The run's whole log, as "Download logs" on its task page gives it: the
 * page of a completed run shows the log, but renders only the lines in view.
 */
async function downloadTheLog(page: Page): Promise<string> {
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download logs' }).click();
  return fs.readFile(await (await download).path(), 'utf8');
}

async function connect(options: {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}): Promise<Client> {
  const client = new Client(options);
  await client.connect();
  return client;
}

// A whole golden-path run, then the catalog's processing of two entities.
test.setTimeout(180_000);

test('a guest creates a microservice with a PostgreSQL database whose password stays in its Secret', async ({
  page,
  request,
}) => {
  await fillTheGoldenPathForm(page, {
    name,
    language: 'Node.js',
    exposePublic: false,
    database: true,
    reviewScreenshot: { name: 'create-microservice-database-review' },
  });

  await expect(
    page.getByText('Create the PostgreSQL database', { exact: true }),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: /^Open in catalog\b/ }),
  ).toBeVisible({ timeout: 120_000 });

  // Compared without the two values that hold the password, so that a
  // failure never prints it.
  const {
    PGPASSWORD: password,
    DATABASE_URL: url,
    ...connection
  } = await readSecret(request, name, secretName);
  expect(connection).toEqual({
    PGHOST: localPostgres.host,
    PGPORT: String(localPostgres.port),
    PGDATABASE: name,
    PGUSER: name,
    PGSSLMODE: 'disable',
  });
  // 192 random bits: anything shorter is not the generated password.
  expect(password.length).toBeGreaterThanOrEqual(32);
  expect(url.includes(password), 'DATABASE_URL holds the password').toBe(true);
  const showsPassword = (text: string) => text.includes(password);

  expect(
    showsPassword(await page.content()),
    'the task page shows the password',
  ).toBe(false);
  const log = await downloadTheLog(page);
  // First, so that a failure below never prints a log with the password.
  expect(showsPassword(log), "the task page's log shows the password").toBe(
    false,
  );
  expect(log).toContain(`Creating database ${name} owned by role ${name}`);
  expect(log).toContain(
    `Creating Secret ${secretName} in namespace ${name} on cluster local`,
  );
  expect(log).toContain(`Setting the password of role ${name}`);
  await takeScreenshot(page, {
    name: 'create-microservice-database-completed',
  });

  await openTheNewEntityPage(page);
  const databaseLink = page
    .getByTestId('platform-dependencies-card')
    .locator(`a[href="/catalog/default/resource/${secretName}"]`)
    .first();
  await expect(databaseLink).toBeVisible();
  expect(
    showsPassword(await page.content()),
    "the service's page shows the password",
  ).toBe(false);

  await databaseLink.click();
  // The Resource comes from the same location as the service, processed on
  // its own: its page may come before it does.
  const databaseCard = page.getByTestId('platform-database-card');
  await expect(async () => {
    await page.reload();
    await expect(databaseCard).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 90_000 });
  await expect(databaseCard.getByRole('term')).toHaveText([
    'Server',
    'Database',
    'Credentials in Secret',
  ]);
  await expect(databaseCard.getByRole('definition')).toHaveText([
    'main',
    name,
    `${name}/${secretName}`,
  ]);
  expect(
    showsPassword(await page.content()),
    "the database's page shows the password",
  ).toBe(false);
  await takeScreenshot(page, { name: 'create-microservice-database-resource' });

  const admin = await connect({
    host: localPostgres.host,
    port: localPostgres.port,
    user: localPostgres.adminUser,
    password: localPostgres.adminPassword,
    database: 'postgres',
  });
  try {
    const databases = await admin.query(
      'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
      [name],
    );
    expect(databases.rows).toEqual([{ owner: name }]);
    const roles = await admin.query(
      'SELECT rolcanlogin FROM pg_roles WHERE rolname = $1',
      [name],
    );
    expect(roles.rows).toEqual([{ rolcanlogin: true }]);
  } finally {
    await admin.end();
  }

  // What the service would do with its Secret: the password is the role's.
  const service = await connect({
    host: connection.PGHOST,
    port: Number(connection.PGPORT),
    user: connection.PGUSER,
    password,
    database: connection.PGDATABASE,
  });
  try {
    const session = await service.query(
      'SELECT current_user, current_database()',
    );
    expect(session.rows).toEqual([
      { current_user: name, current_database: name },
    ]);
  } finally {
    await service.end();
  }
});
