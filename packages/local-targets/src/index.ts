/**
 * Loopback HTTP servers that speak the parts of the GitHub REST API and the
 * Kubernetes API the platform uses, with the real status codes and error bodies.
 *
 * @packageDocumentation
 */
export { startKubernetesApiServer } from './kubernetes/server';
export * from './github';
export type {
  Delay,
  FaultOptions,
  KubernetesApiServerOptions,
  KubernetesApiServerSettings,
  LocalKubernetesApiServer,
  RecordedRequest,
} from './kubernetes/server';
export type { KubeObject } from './kubernetes/resources';
