// Tests start the loopback servers (the Kubernetes one makes a TLS
// certificate): over Jest's default 5 s per hook on a loaded 2-core machine.
jest.setTimeout(30_000);
