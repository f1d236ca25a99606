import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
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
  CatalogTeammates,
  PlatformPermissionPolicy,
  readPlatformPermissionSettings,
} from './PlatformPermissionPolicy';

const groups: Record<string, string[]> = {
  'user:default/ada': ['group:default/team-payments'],
  'user:default/bob': ['group:default/team-payments'],
  'user:default/grace': ['group:default/team-checkout'],
  'user:default/linus': ['group:default/team-platform', 'group:default/admins'],
};

const catalogEntities = [
  ['team-payments', ['ada', 'bob']],
  ['team-checkout', ['grace']],
].map(([name, members]) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: name as string, namespace: 'default' },
  spec: { type: 'team', children: [] },
  relations: (members as string[]).map(member => ({
    type: 'hasMember',
    targetRef: `user:default/${member}`,
  })),
}));

function policy(settings: Record<string, unknown> = {}) {
  const teammates = new CatalogTeammates({
    catalog: catalogServiceMock({ entities: catalogEntities }),
    auth: mockServices.auth(),
    cache: mockServices.cache.mock({
      get: async () => undefined,
      set: async () => undefined,
    }),
    logger: mockServices.logger.mock(),
  });
  return new PlatformPermissionPolicy({
    settings: readPlatformPermissionSettings(
      new ConfigReader({
        platform: {
          permissions: { adminGroups: ['group:default/admins'], ...settings },
        },
      }),
    ),
    userInfo: {
      getUserInfo: async credentials => {
        const userEntityRef = (
          credentials.principal as { userEntityRef: string }
        ).userEntityRef;
        return {
          userEntityRef,
          ownershipEntityRefs: [
            userEntityRef,
            ...(groups[userEntityRef] ?? []),
          ],
        };
      },
    },
    teammates,
  });
}

const as = (name: string) => {
  const credentials = mockCredentials.user(`user:default/${name}`);
  return {
    credentials,
    info: { userEntityRef: `user:default/${name}`, ownershipEntityRefs: [] },
  };
};

describe('PlatformPermissionPolicy', () => {
  it('allows an admin group member anything', async () => {
    for (const permission of [
      namespaceWritePermission,
      runManagePermission,
      taskCancelPermission,
    ]) {
      await expect(
        policy().handle({ permission }, as('linus')),
      ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
    }
  });

  it('lets a user write only into namespaces one of their groups owns', async () => {
    await expect(
      policy().handle({ permission: namespaceWritePermission }, as('grace')),
    ).resolves.toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'scaffolder',
      resourceType: 'platform-namespace',
      conditions: {
        rule: 'IS_NAMESPACE_OWNER',
        resourceType: 'platform-namespace',
        params: {
          claims: ['user:default/grace', 'group:default/team-checkout'],
        },
      },
    });
  });

  it.each([
    {
      permission: runManagePermission,
      rule: 'IS_RUN_STARTED_BY',
      key: 'users',
    },
    { permission: runReadPermission, rule: 'IS_RUN_STARTED_BY', key: 'users' },
    {
      permission: taskCancelPermission,
      rule: 'IS_TASK_OWNER',
      key: 'createdBy',
    },
    { permission: taskReadPermission, rule: 'IS_TASK_OWNER', key: 'createdBy' },
  ])(
    'limits $permission.name to runs that the user or a teammate started',
    async ({ permission, rule, key }) => {
      await expect(
        policy().handle({ permission }, as('ada')),
      ).resolves.toMatchObject({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'scaffolder',
        resourceType: permission.resourceType,
        conditions: {
          rule,
          params: { [key]: ['user:default/ada', 'user:default/bob'] },
        },
      });
    },
  );

  it('lets everyone read every run with runVisibility all, but still not cancel it', async () => {
    const open = policy({ runVisibility: 'all' });
    for (const permission of [runReadPermission, taskReadPermission]) {
      await expect(open.handle({ permission }, as('grace'))).resolves.toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
    await expect(
      open.handle({ permission: runManagePermission }, as('grace')),
    ).resolves.toMatchObject({ result: AuthorizeResult.CONDITIONAL });
  });

  it('allows the catalog and running templates', async () => {
    for (const name of [
      'catalog.entity.read',
      'catalog.entity.create',
      'scaffolder.task.create',
      'scaffolder.action.execute',
    ]) {
      await expect(
        policy().handle(
          { permission: createPermission({ name, attributes: {} }) },
          as('grace'),
        ),
      ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
    }
  });

  it('denies a request without a user', async () => {
    await expect(
      policy().handle({ permission: runReadPermission }),
    ).resolves.toEqual({ result: AuthorizeResult.DENY });
  });
});

describe('CatalogTeammates', () => {
  it('keeps a user to their own runs when the catalog cannot be read', async () => {
    const logger = mockServices.logger.mock();
    const teammates = new CatalogTeammates({
      catalog: catalogServiceMock.mock({
        getEntitiesByRefs: async () => {
          throw new Error('catalog down');
        },
      }),
      auth: mockServices.auth(),
      cache: mockServices.cache.mock({ get: async () => undefined }),
      logger,
    });
    await expect(
      teammates.of('user:default/ada', ['group:default/team-payments']),
    ).resolves.toEqual(['user:default/ada']);
    expect(logger.warn).toHaveBeenCalledWith(
      'Could not read the members of group:default/team-payments from the catalog: catalog down',
    );
  });

  it('answers from the cache when it can', async () => {
    const getEntitiesByRefs = jest.fn();
    const teammates = new CatalogTeammates({
      catalog: catalogServiceMock.mock({ getEntitiesByRefs }),
      auth: mockServices.auth(),
      cache: mockServices.cache.mock({
        get: async () => ['user:default/bob'] as any,
      }),
      logger: mockServices.logger.mock(),
    });
    await expect(
      teammates.of('user:default/ada', ['group:default/team-payments']),
    ).resolves.toEqual(['user:default/ada', 'user:default/bob']);
    expect(getEntitiesByRefs).not.toHaveBeenCalled();
  });
});

describe('readPlatformPermissionSettings', () => {
  it.each([
    [
      { adminGroups: ['not a ref:'] },
      'platform.permissions.adminGroups has not a ref:',
    ],
    [
      { runVisibility: 'some' },
      'platform.permissions.runVisibility is some; use all or team',
    ],
  ])('refuses %j', (permissions, message) => {
    expect(() =>
      readPlatformPermissionSettings(
        new ConfigReader({ platform: { permissions } }),
      ),
    ).toThrow(message);
  });

  it('defaults to no admins and team visibility', () => {
    expect(readPlatformPermissionSettings(new ConfigReader({}))).toEqual({
      adminGroups: [],
      runVisibility: 'team',
    });
  });
});
