/**
 * Loopback HTTP servers that speak the parts of the GitHub REST API and the
 * Kubernetes API the platform uses, with the real status codes and error bodies.
 *
 * @packageDocumentation
 */
export {};
