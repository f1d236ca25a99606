'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { createServer, databaseFromUrl } = require('../src/server');

const CANARY_URL =
  'postgres://svc:s3cret-canary@db.internal:5432/orders?sslmode=require';

const servers = [];

async function serve(database) {
  const server = createServer(database);
  servers.push(server);
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

let baseUrl;

before(async () => {
  baseUrl = await serve(undefined);
});

after(() =>
  Promise.all(
    servers.map(server => new Promise(resolve => server.close(resolve))),
  ),
);

test('GET /healthz answers ok', async () => {
  const response = await fetch(`${baseUrl}/healthz`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: 'ok' });
});

test('an unknown path is not found', async () => {
  const response = await fetch(`${baseUrl}/nope`);
  assert.equal(response.status, 404);
});

test('GET / names no database when the service has none', async () => {
  const response = await fetch(`${baseUrl}/`);
  assert.equal((await response.json()).database, undefined);
});

test('GET / names the database but not its credentials', async () => {
  const withDatabase = await serve(databaseFromUrl(CANARY_URL));
  const text = await (await fetch(`${withDatabase}/`)).text();
  assert.deepEqual(JSON.parse(text).database, {
    host: 'db.internal',
    name: 'orders',
  });
  assert.ok(!text.includes('s3cret-canary'));
});

test('a URL that is not postgres is refused without quoting it', () => {
  assert.throws(
    () => databaseFromUrl('mysql://svc:s3cret-canary@db.internal/orders'),
    error => !error.message.includes('s3cret-canary'),
  );
});
