import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { namespaceWritePermission } from '@internal/plugin-platform-common';
import {
  createPlatformNamespaceConditionalDecision,
  PlatformPermissions,
  platformNamespaceConditions,
} from '@internal/plugin-platform-node';
import { testPlatformPermissions } from './permissions';
import { TEAMS } from './teams';

/**
 * The platform's permissions with the policy a platform team writes: each
 * of the people of `TEAMS` may write only into the namespaces their team
 * owns (`platform.internal/owner-ref: group:default/<team>`); anybody else
 * is denied.
 */
export function teamNamespacePermissions(): PlatformPermissions {
  return testPlatformPermissions((credentials: BackstageCredentials) => {
    const user = (
      credentials.principal as { userEntityRef?: string }
    ).userEntityRef?.replace('user:default/', '');
    const team = TEAMS[user ?? ''];
    return team
      ? createPlatformNamespaceConditionalDecision(
          namespaceWritePermission,
          platformNamespaceConditions.isNamespaceOwner({
            claims: [`group:default/${team}`],
          }),
        )
      : { result: AuthorizeResult.DENY };
  });
}
