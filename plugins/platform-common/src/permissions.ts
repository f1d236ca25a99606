import { createPermission } from '@backstage/plugin-permission-common';

/**
 * The resource type of a Kubernetes namespace the platform manages. Its
 * resource ref is `<cluster>/<namespace>`.
 *
 * @public
 */
export const RESOURCE_TYPE_PLATFORM_NAMESPACE = 'platform-namespace';

/**
 * The resource type of a platform run: a scaffolder task that used platform
 * actions. Its resource ref is the task id.
 *
 * @public
 */
export const RESOURCE_TYPE_PLATFORM_RUN = 'platform-run';

/**
 * Writing into a namespace that already exists: deploying into it, changing
 * its quota, adopting it. A namespace the same run created needs no check.
 *
 * @public
 */
export const namespaceWritePermission = createPermission({
  name: 'platform.namespace.write',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_PLATFORM_NAMESPACE,
});

/**
 * Reading a run and what became of each resource it created.
 *
 * @public
 */
export const runReadPermission = createPermission({
  name: 'platform.run.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_PLATFORM_RUN,
});

/**
 * Cancelling or retrying a run. A cancelled run is rolled back, so this
 * decides who may have a run's repository and namespace deleted.
 *
 * @public
 */
export const runManagePermission = createPermission({
  name: 'platform.run.manage',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_PLATFORM_RUN,
});

/**
 * Every permission the platform defines.
 *
 * @public
 */
export const platformPermissions = [
  namespaceWritePermission,
  runReadPermission,
  runManagePermission,
];
