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
} from '@internal/plugin-platform-node';

/** Which runs a user may read: all, or those matching the criteria. */
export type RunFilter = 'all' | PermissionCriteria<PlatformRunQuery>;

/**
 * The platform's permissions as the scaffolder module checks them. It
 * registers the namespace and run resource types with the scaffolder
 * plugin, so that the permission backend can evaluate their conditions and
 * list them for policy authors, and applies conditional decisions to
 * resources the module has already read.
 */
export class PlatformPermissions {
  static register(options: {
    permissions: PermissionsService;
    permissionsRegistry: PermissionsRegistryService;
    /** Namespaces by resource ref `<cluster>/<name>`; undefined when gone. */
    getNamespaces(
      refs: string[],
    ): Promise<Array<PlatformNamespaceResource | undefined>>;
    getRuns(taskIds: string[]): Promise<Array<PlatformRun | undefined>>;
  }): PlatformPermissions {
    const { permissionsRegistry } = options;
    permissionsRegistry.addResourceType({
      resourceRef: platformNamespaceResourceRef,
      permissions: [namespaceWritePermission],
      rules: Object.values(platformNamespaceRules),
      getResources: options.getNamespaces,
    });
    permissionsRegistry.addResourceType({
      resourceRef: platformRunResourceRef,
      permissions: [runReadPermission, runManagePermission],
      rules: Object.values(platformRunRules),
      getResources: options.getRuns,
    });
    return new PlatformPermissions(options.permissions, permissionsRegistry);
  }

  private readonly isNamespaceAllowed;
  private readonly isRunAllowed;
  private readonly toRunQuery;

  private constructor(
    private readonly permissions: PermissionsService,
    registry: PermissionsRegistryService,
  ) {
    this.isNamespaceAllowed = createConditionAuthorizer(
      registry.getPermissionRuleset(platformNamespaceResourceRef),
    );
    const runRules = registry.getPermissionRuleset(platformRunResourceRef);
    this.isRunAllowed = createConditionAuthorizer(runRules);
    this.toRunQuery = createConditionTransformer(runRules);
  }

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
    if (!this.isNamespaceAllowed(decision, namespace)) {
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
      return this.toRunQuery(decision.conditions);
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
    return this.isRunAllowed(decision, run);
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
