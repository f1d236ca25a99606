'use strict';

const http = require('node:http');

const SERVICE_NAME = '${{ values.name }}';

function sendJson(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

/**
 * Where the PostgreSQL database the platform provisioned is, if any. The
 * platform sets DATABASE_URL from the database's Secret; only the host and
 * the database name come out, the credentials are never logged or served.
 */
function databaseFromUrl(url) {
  if (!url) {
    return undefined;
  }
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (
    !parsed ||
    !['postgres:', 'postgresql:'].includes(parsed.protocol) ||
    !parsed.hostname
  ) {
    // Not the URL itself: it carries the password.
    throw new Error('DATABASE_URL is not a postgres:// URL');
  }
  return { host: parsed.hostname, name: parsed.pathname.replace(/^\//, '') };
}

/** Kubernetes probes /healthz, so it answers without touching any dependency. */
function createServer(database) {
  return http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
    } else if (req.method === 'GET' && req.url === '/') {
      sendJson(res, 200, { service: SERVICE_NAME, message: 'hello', database });
    } else {
      sendJson(res, 404, { error: 'not found' });
    }
  });
}

module.exports = { createServer, databaseFromUrl, SERVICE_NAME };
