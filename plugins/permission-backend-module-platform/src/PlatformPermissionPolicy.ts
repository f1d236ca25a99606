import {
  AuthService,
  CacheService,
  LoggerService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  parseEntityRef,
  RELATION_HAS_MEMBER,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError, toError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  isPermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  createScaffolderTaskConditionalDecision,
  scaffolderTaskConditions,
} from '@backstage/plugin-scaffolder-backend/alpha';
import {
  taskCancelPermission,
  taskReadPermission,
} from '@backstage/plugin-scaffolder-common/alpha';
import {
  namespaceWritePermission,
  runManagePermission,
  runReadPermission,
} from '@internal/plugin-platform-common';
import {
  createPlatformNamespaceConditionalDecision,
  createPlatformRunConditionalDecision,
  platformNamespaceConditions,
  platformRunConditions,
} from '@internal/plugin-platform-node';

/**
 * `platform.permissions` in app-config.
 *
 * @public
 */
export interface PlatformPermissionSettings {
  /** Lower-cased group refs whose members may do anything. */
  adminGroups: string[];
  runVisibility: 'all' | 'team';
}

/** @public */
export function readPlatformPermissionSettings(
  config: Config,
): PlatformPermissionSettings {
  const root = config.getOptionalConfig('platform.permissions');
  const adminGroups = (root?.getOptionalStringArray('adminGroups') ?? []).map(
    ref => {
      try {
        return stringifyEntityRef(
          parseEntityRef(ref, { defaultKind: 'group' }),
        );
      } catch {
        throw new InputError(
          `platform.permissions.adminGroups has ${ref}, which is not an entity ref such as group:default/team-platform`,
        );
      }
    },
  );
  const runVisibility = root?.getOptionalString('runVisibility') ?? 'team';
  if (runVisibility !== 'all' && runVisibility !== 'team') {
    throw new InputError(
      `platform.permissions.runVisibility is ${runVisibility}; use all or team`,
    );
  }
  return { adminGroups, runVisibility };
}

const TEAMMATES_TTL_MS = 60_000;

/**
 * The users who share a group with a user: whose runs that user may cancel,
 * retry and (with `runVisibility: team`) read. Read from the catalog's
 * `hasMember` relations and cached for a minute, since the policy answers
 * every request.
 *
 * @public
 */
export class CatalogTeammates {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      cache: CacheService;
      logger: LoggerService;
    },
  ) {}

  async of(userRef: string, ownershipRefs: string[]): Promise<string[]> {
    const groups = ownershipRefs
      .filter(
        ref => parseEntityRef(ref).kind.toLocaleLowerCase('en-US') === 'group',
      )
      .sort();
    if (groups.length === 0) {
      return [userRef];
    }
    const key = `platform-teammates:${groups.join(',')}`;
    let members = await this.options.cache.get<string[]>(key);
    if (!members) {
      try {
        members = await this.readMembers(groups);
        await this.options.cache.set(key, members, { ttl: TEAMMATES_TTL_MS });
      } catch (e) {
        // Narrower is safe: without the catalog a user keeps their own runs.
        this.options.logger.warn(
          `Could not read the members of ${groups.join(
            ', ',
          )} from the catalog: ${toError(e).message}`,
        );
        members = [];
      }
    }
    return [...new Set([userRef, ...members])];
  }

  private async readMembers(groups: string[]): Promise<string[]> {
    const { items } = await this.options.catalog.getEntitiesByRefs(
      { entityRefs: groups, fields: ['relations'] },
      { credentials: await this.options.auth.getOwnServiceCredentials() },
    );
    return items.flatMap(group =>
      (group?.relations ?? [])
        .filter(relation => relation.type === RELATION_HAS_MEMBER)
        .map(relation => relation.targetRef),
    );
  }
}

/**
 * The platform's default policy. Admins may do anything. Everyone else may
 * use the catalog and run templates; reads runs by `runVisibility`; cancels
 * and retries only runs that they or a member of one of their groups
 * started; and writes only into namespaces one of their groups owns.
 * Requests without a user are denied.
 *
 * @public
 */
export class PlatformPermissionPolicy implements PermissionPolicy {
  constructor(
    private readonly options: {
      settings: PlatformPermissionSettings;
      userInfo: UserInfoService;
      teammates: Pick<CatalogTeammates, 'of'>;
    },
  ) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (!user) {
      return { result: AuthorizeResult.DENY };
    }
    const { settings, userInfo, teammates } = this.options;
    const { userEntityRef, ownershipEntityRefs } = await userInfo.getUserInfo(
      user.credentials,
    );
    const claims = ownershipEntityRefs.map(ref =>
      ref.toLocaleLowerCase('en-US'),
    );
    if (settings.adminGroups.some(group => claims.includes(group))) {
      return { result: AuthorizeResult.ALLOW };
    }
    const { permission } = request;
    const team = () => teammates.of(userEntityRef, ownershipEntityRefs);

    if (isPermission(permission, namespaceWritePermission)) {
      return createPlatformNamespaceConditionalDecision(
        permission,
        platformNamespaceConditions.isNamespaceOwner({
          claims: ownershipEntityRefs,
        }),
      );
    }
    const readsAll = settings.runVisibility === 'all';
    if (
      isPermission(permission, runManagePermission) ||
      (isPermission(permission, runReadPermission) && !readsAll)
    ) {
      return createPlatformRunConditionalDecision(
        permission,
        platformRunConditions.isRunStartedBy({ users: await team() }),
      );
    }
    if (
      isPermission(permission, taskCancelPermission) ||
      (isPermission(permission, taskReadPermission) && !readsAll)
    ) {
      return createScaffolderTaskConditionalDecision(
        permission,
        scaffolderTaskConditions.isTaskOwner({ createdBy: await team() }),
      );
    }
    return { result: AuthorizeResult.ALLOW };
  }
}
