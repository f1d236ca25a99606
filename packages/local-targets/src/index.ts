/**
 * Loopback HTTP servers that speak the parts of the GitHub REST API and the
 * Kubernetes API the platform uses, with the real status codes and error bodies.
 *
 * @packageDocumentation
 */
export { startKubernetesApiServer } from './kubernetes/server';
export * from './github';
export type {
  KubernetesApiServerOptions,
  LocalKubernetesApiServer,
  RecordedRequest,
} from './kubernetes/server';
export type { Delay, KubernetesApiServerSettings } from './kubernetes/cluster';
export type { FaultOptions } from './kubernetes/faults';
export type { KubernetesVerb } from './kubernetes/objects';
export type { KubeObject } from './kubernetes/resources';
export { FAULT_STEPS, InvalidFaultError } from './faults';
export type { ArmedFault, FaultStep, FaultTarget } from './faults';
