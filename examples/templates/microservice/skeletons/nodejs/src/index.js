'use strict';

const { createServer, databaseFromUrl, SERVICE_NAME } = require('./server');

const port = Number(process.env.PORT ?? 8080);
const database = databaseFromUrl(process.env.DATABASE_URL);
if (database) {
  console.log(`database ${database.name} on ${database.host}`);
}
const server = createServer(database);

// Kubernetes sends SIGTERM before it kills a pod: stop accepting connections
// and let the requests in flight finish.
process.on('SIGTERM', () => server.close(() => process.exit(0)));

server.listen(port, () => {
  console.log(`${SERVICE_NAME} listening on :${port}`);
});
