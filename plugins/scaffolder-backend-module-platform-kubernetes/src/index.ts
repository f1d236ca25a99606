/**
 * The platform's Kubernetes actions for `@backstage/plugin-scaffolder-backend`,
 * and the Kubernetes rules the platform's preflight checks before a run
 * writes anything.
 *
 * @packageDocumentation
 */

export { scaffolderModulePlatformKubernetes as default } from './module';
export { createKubernetesApplyAction } from './actions/kubernetesApply';
export { exampleManifests } from './actions/kubernetesApply.examples';
export { createKubernetesNamespaceCreateAction } from './actions/kubernetesNamespaceCreate';
export { createKubernetesQuotaApplyAction } from './actions/kubernetesQuotaApply';
export { createKubernetesCompensators } from './kubernetes/compensators';
export { createQuotaChangeCompensator } from './kubernetes/quotaChange';
export {
  QUOTA_RESOURCES,
  resolveQuota,
  selectCluster,
} from './kubernetes/config';
export { assertDeploymentPolicy } from './kubernetes/deploymentPolicy';
export { explained } from './kubernetes/errors';
export { rollbackInput, toQuotaRequest } from './kubernetes/inputs';
export {
  APPLIED_KINDS,
  checkManifests,
  readManifestFiles,
} from './kubernetes/manifests';
export {
  assertAdoptable,
  assertMayWriteInto,
  namespaceResources,
  toNamespaceResource,
} from './kubernetes/namespaceResources';
export {
  ANNOTATION_CREATED_BY_TASK,
  ANNOTATION_OWNER_REF,
  LABEL_MANAGED_BY,
  LABEL_OWNER,
  LABEL_SERVICE,
  MANAGED_BY_PLATFORM,
  assertDns1123Label,
  isManagedByPlatform,
  ownerLabelValue,
} from './kubernetes/ownership';
export {
  readPlatformKubernetes,
  type KubernetesActionOptions,
  type PlatformKubernetes,
} from './kubernetes/platformKubernetes';
export type {
  KubernetesCluster,
  PlatformKubernetesSettings,
  QuotaRequest,
  QuotaResource,
} from './kubernetes/config';
export type {
  KubernetesClient,
  ObjectRef,
  WatchEvent,
} from './kubernetes/client';
export type {
  DeploymentPolicyOptions,
  DeploymentPolicySettings,
  PodSecurityLevel,
} from './kubernetes/deploymentPolicy';
export type { Zod } from './kubernetes/inputs';
export type { AppliedKind, Manifest } from './kubernetes/manifests';
