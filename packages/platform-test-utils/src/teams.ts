import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { mockCredentials } from '@backstage/backend-test-utils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { onBehalfOfHttpAuthFactory } from './permissions';

/**
 * People in two teams and an admin, for tests that must show that one team
 * cannot act on what another owns.
 */
export const TEAMS: Record<string, string> = {
  ada: 'team-payments',
  bob: 'team-payments',
  grace: 'team-checkout',
  linus: 'platform-admins',
};

/** The teams as catalog groups with their `hasMember` relations. */
export const groupEntities = Object.entries(
  Object.entries(TEAMS).reduce<Record<string, string[]>>(
    (groups, [user, team]) => ({
      ...groups,
      [team]: [...(groups[team] ?? []), user],
    }),
    {},
  ),
).map(([team, members]) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: team, namespace: 'default' },
  spec: { type: 'team', children: [] },
  relations: members.map(member => ({
    type: 'hasMember',
    targetRef: `user:default/${member}`,
  })),
}));

/** Who a mock user token belongs to, as a catalog sign-in resolver says. */
const userInfoFactory = createServiceFactory({
  service: coreServices.userInfo,
  deps: {},
  factory: () => ({
    async getUserInfo(credentials) {
      const userEntityRef = (credentials.principal as { userEntityRef: string })
        .userEntityRef;
      const team = TEAMS[userEntityRef.replace('user:default/', '')];
      return {
        userEntityRef,
        ownershipEntityRefs: [
          userEntityRef,
          ...(team ? [`group:default/${team}`] : []),
        ],
      };
    },
  }),
});

/**
 * The real permission backend and permissions service, with these people;
 * add a policy module (the platform's, or a test's own) beside it.
 */
export const realPermissionFeatures = [
  permissionPlugin,
  permissionsServiceFactory,
  onBehalfOfHttpAuthFactory,
  userInfoFactory,
];

/** The `Authorization` header of one of the people above. */
export function authAs(user: string): string {
  return mockCredentials.user.header(`user:default/${user}`);
}
