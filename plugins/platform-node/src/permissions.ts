import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import {
  PlatformRun,
  RESOURCE_TYPE_PLATFORM_NAMESPACE,
  RESOURCE_TYPE_PLATFORM_RUN,
} from '@internal/plugin-platform-common';
import { z } from 'zod';

/**
 * A namespace the platform manages, as permission rules see it.
 *
 * @public
 */
export interface PlatformNamespaceResource {
  cluster: string;
  name: string;
  /** The owning entity ref the platform recorded on the namespace, if any. */
  ownerRef?: string;
}

/**
 * What a namespace's conditions become when namespaces are filtered in bulk:
 * the owners whose namespaces match.
 *
 * @public
 */
export type PlatformNamespaceQuery = { ownerRefs: string[] };

/**
 * What a run's conditions become when runs are read from the database: the
 * users whose runs match.
 *
 * @public
 */
export type PlatformRunQuery = { createdBy: string[] };

/**
 * The scaffolder plugin hosts the platform's actions and runs API, so it is
 * the plugin that evaluates conditions on these resources.
 */
const HOST_PLUGIN_ID = 'scaffolder';

/** @public */
export const platformNamespaceResourceRef = createPermissionResourceRef<
  PlatformNamespaceResource,
  PlatformNamespaceQuery
>().with({
  pluginId: HOST_PLUGIN_ID,
  resourceType: RESOURCE_TYPE_PLATFORM_NAMESPACE,
});

/** @public */
export const platformRunResourceRef = createPermissionResourceRef<
  PlatformRun,
  PlatformRunQuery
>().with({
  pluginId: HOST_PLUGIN_ID,
  resourceType: RESOURCE_TYPE_PLATFORM_RUN,
});

const isNamespaceOwner = createPermissionRule({
  name: 'IS_NAMESPACE_OWNER',
  description:
    'Allows namespaces whose recorded owner is one of the given entity refs',
  resourceRef: platformNamespaceResourceRef,
  paramsSchema: z.object({
    claims: z
      .array(z.string())
      .describe('Ownership entity refs of the user, such as their groups'),
  }),
  apply: (namespace, { claims }) =>
    namespace.ownerRef !== undefined &&
    claims
      .map(claim => claim.toLocaleLowerCase('en-US'))
      .includes(namespace.ownerRef.toLocaleLowerCase('en-US')),
  toQuery: ({ claims }) => ({ ownerRefs: claims }),
});

const isRunStartedBy = createPermissionRule({
  name: 'IS_RUN_STARTED_BY',
  description: 'Allows runs started by one of the given users',
  resourceRef: platformRunResourceRef,
  paramsSchema: z.object({
    users: z.array(z.string()).describe('User entity refs'),
  }),
  apply: (run, { users }) =>
    run.createdBy !== undefined && users.includes(run.createdBy),
  toQuery: ({ users }) => ({ createdBy: users }),
});

/** @public */
export const platformNamespaceRules = { isNamespaceOwner };

/** @public */
export const platformRunRules = { isRunStartedBy };

const namespaceExports = createConditionExports({
  resourceRef: platformNamespaceResourceRef,
  rules: platformNamespaceRules,
});

const runExports = createConditionExports({
  resourceRef: platformRunResourceRef,
  rules: platformRunRules,
});

/**
 * Conditions a permission policy can return for `platform.namespace.write`.
 *
 * @public
 */
export const platformNamespaceConditions = namespaceExports.conditions;

/** @public */
export const createPlatformNamespaceConditionalDecision =
  namespaceExports.createConditionalDecision;

/**
 * Conditions a permission policy can return for `platform.run.read` and
 * `platform.run.manage`.
 *
 * @public
 */
export const platformRunConditions = runExports.conditions;

/** @public */
export const createPlatformRunConditionalDecision =
  runExports.createConditionalDecision;
