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

/** Kubernetes probes /healthz, so it answers without touching any dependency. */
function createServer() {
  return http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
    } else if (req.method === 'GET' && req.url === '/') {
      sendJson(res, 200, { service: SERVICE_NAME, message: 'hello' });
    } else {
      sendJson(res, 404, { error: 'not found' });
    }
  });
}

module.exports = { createServer, SERVICE_NAME };
