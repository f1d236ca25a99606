import {
  BackstageCredentials,
  PermissionsRegistryService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  PermissionCriteria,
} from '@backstage/plugin-permission-common';
import {
  createConditionAuthorizer,
  createConditionTransformer,
} from '@backstage/plugin-permission-node';
import {
  namespaceWritePermission,
  PlatformRun,
  runManagePermission,
  runReadPermission,
} from '@internal/plugin-platform-common';
import {
  PlatformNamespaceResource,
  platformNamespaceResourceRef,
  platformNamespaceRules,
  PlatformRunQuery,
  platformRunResourceRef,
  platformRunRules,
} from './permissions';

/**
 * Which runs a user may read: all, or those matching the criteria.
 *
 * @public
 */
export type RunFilter = 'all' | PermissionCriteria<PlatformRunQuery>;

/**
 * Registers the namespace resource type with the plugin whose modules write
 * into namespaces, so that the permission backend can evaluate its
 * conditions and list it for policy authors.
 *
 * @public
 */
export function registerNamespaceResourceType(options: {
  permissionsRegistry: PermissionsRegistryService;
  /** Namespaces by resource ref `<cluster>/<name>`; undefined when gone. */
  getNamespaces(
    refs: string[],
  ): Promise<Array<PlatformNamespaceResource | undefined>>;
}): void {
  options.permissionsRegistry.addResourceType({
    resourceRef: platformNamespaceResourceRef,
    permissions: [namespaceWritePermission],
    rules: Object.values(platformNamespaceRules),
    getResources: options.getNamespaces,
  });
}

/**
 * Registers the run resource type with the plugin that keeps the runs.
 *
 * @public
 */
export function registerRunResourceType(options: {
  permissionsRegistry: PermissionsRegistryService;
  getRuns(taskIds: string[]): Promise<Array<PlatformRun | undefined>>;
}): void {
  options.permissionsRegistry.addResourceType({
    resourceRef: platformRunResourceRef,
    permissions: [runReadPermission, runManagePermission],
    rules: Object.values(platformRunRules),
    getResources: options.getRuns,
  });
}

/**
 * The platform's permissions as its scaffolder modules check them: applies
 * conditional decisions to resources a module has already read. The rule
 * sets are looked up at the first check, so it may be created before the
 * module that registers a resource type has initialised.
 *
 * @public
 */
export class PlatformPermissions {
  static create(options: {
    permissions: PermissionsService;
    permissionsRegistry: PermissionsRegistryService;
  }): PlatformPermissions {
    return new PlatformPermissions(
      options.permissions,
      options.permissionsRegistry,
    );
  }

  private constructor(
    private readonly permissions: PermissionsService,
    private readonly registry: PermissionsRegistryService,
  ) {}

  /**
   * Refuses, before any write, a user who may not write into a namespace
   * that already exists; `doing` completes "may not …".
   */
  async assertNamespaceWrite(options: {
    credentials: BackstageCredentials;
    namespace: PlatformNamespaceResource;
    doing: string;
  }): Promise<void> {
    const { credentials, namespace, doing } = options;
    const [decision] = await this.permissions.authorizeConditional(
      [{ permission: namespaceWritePermission }],
      { credentials },
    );
    const isAllowed = createConditionAuthorizer(
      this.registry.getPermissionRuleset(platformNamespaceResourceRef),
    );
    if (!isAllowed(decision, namespace)) {
      throw new NotAllowedError(
        `${describeUser(credentials)} may not ${doing} namespace ${
          namespace.name
        } on cluster ${namespace.cluster}, which belongs to ${
          namespace.ownerRef ?? 'no recorded owner'
        }`,
      );
    }
  }

  /** Which runs the user may read; a user who may read none is refused. */
  async runFilter(credentials: BackstageCredentials): Promise<RunFilter> {
    const [decision] = await this.permissions.authorizeConditional(
      [{ permission: runReadPermission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.CONDITIONAL) {
      return createConditionTransformer(
        this.registry.getPermissionRuleset(platformRunResourceRef),
      )(decision.conditions);
    }
    if (decision.result === AuthorizeResult.DENY) {
      throw new NotAllowedError('You may not read platform runs');
    }
    return 'all';
  }

  async canReadRun(
    credentials: BackstageCredentials,
    run: PlatformRun,
  ): Promise<boolean> {
    return this.allowsRun(runReadPermission, credentials, run);
  }

  async canManageRun(
    credentials: BackstageCredentials,
    run: PlatformRun,
  ): Promise<boolean> {
    return this.allowsRun(runManagePermission, credentials, run);
  }

  private async allowsRun(
    permission: typeof runReadPermission | typeof runManagePermission,
    credentials: BackstageCredentials,
    run: PlatformRun,
  ): Promise<boolean> {
    const [decision] = await this.permissions.authorizeConditional(
      [{ permission }],
      { credentials },
    );
    return createConditionAuthorizer(
      this.registry.getPermissionRuleset(platformRunResourceRef),
    )(decision, run);
  }
}

function describeUser(credentials: BackstageCredentials): string {
  const principal = credentials.principal as {
    type?: string;
    userEntityRef?: string;
  };
  return principal.type === 'user' && principal.userEntityRef
    ? `User ${principal.userEntityRef}`
    : 'This caller';
}
