import {
  BackstageCredentials,
  coreServices,
  createServiceFactory,
  PermissionsRegistryService,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { PermissionRule } from '@backstage/plugin-permission-node';
import {
  PlatformPermissions,
  registerNamespaceResourceType,
  registerRunResourceType,
} from '@internal/plugin-platform-node';

/**
 * Just enough of the permission registry to hold the platform's resource
 * types and answer `getPermissionRuleset`, as the real one does.
 */
export function inMemoryPermissionsRegistry(): PermissionsRegistryService {
  const rules = new Map<string, PermissionRule<any, any, string>>();
  return {
    addPermissions() {},
    addPermissionRules(added) {
      for (const rule of added) {
        rules.set(`${rule.resourceType}/${rule.name}`, rule);
      }
    },
    addResourceType(options) {
      this.addPermissionRules(
        options.rules as PermissionRule<any, any, string>[],
      );
    },
    getPermissionRuleset(resourceRef) {
      return {
        getRuleByName(name: string) {
          const rule = rules.get(`${resourceRef.resourceType}/${name}`);
          if (!rule) {
            throw new Error(`No rule ${name} for ${resourceRef.resourceType}`);
          }
          return rule;
        },
      } as any;
    },
  };
}

/**
 * The platform's permissions with a policy that answers `decide` (default:
 * allow everything) for every request.
 */
export function testPlatformPermissions(
  decide: (credentials: BackstageCredentials) => PolicyDecision = () => ({
    result: AuthorizeResult.ALLOW,
  }),
): PlatformPermissions {
  const permissionsRegistry = inMemoryPermissionsRegistry();
  registerNamespaceResourceType({
    permissionsRegistry,
    getNamespaces: async refs => refs.map(() => undefined),
  });
  registerRunResourceType({
    permissionsRegistry,
    getRuns: async ids => ids.map(() => undefined),
  });
  return PlatformPermissions.create({
    permissions: mockServices.permissions.mock({
      authorizeConditional: async (queries, options) =>
        queries.map(() => decide(options!.credentials)),
    }),
    permissionsRegistry,
  });
}

/**
 * The mock `httpAuth`, except that a user reached through a plugin's
 * on-behalf-of token has that plugin as actor, as with real tokens. The
 * permission backend refuses conditional requests from a user without an
 * actor (a browser may not ask for conditions), and the stock mock drops it.
 */
export const onBehalfOfHttpAuthFactory = createServiceFactory({
  service: coreServices.httpAuth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }) {
    const inner = mockServices.httpAuth({ pluginId: plugin.getId() });
    return {
      async credentials(req: any, options?: any) {
        const credentials = await inner.credentials(req, options);
        const header: string = req.headers.authorization ?? '';
        const principal = credentials.principal as {
          type: string;
          userEntityRef?: string;
        };
        if (
          header.includes('mock-service-token:') &&
          principal.type === 'user'
        ) {
          return mockCredentials.user(principal.userEntityRef, {
            actor: { subject: 'plugin' },
          });
        }
        return credentials;
      },
      issueUserCookie: (res: any, options?: any) =>
        inner.issueUserCookie(res, options),
    } as any;
  },
});
