// Each test starts a loopback cluster (a TLS certificate, the journal's
// migrations): over Jest's default 5 s per hook on a loaded 2-core machine.
jest.setTimeout(30_000);
