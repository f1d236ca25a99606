import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  PlatformPermissions,
  platformRollbackServiceRef,
  platformSecretScrubberServiceRef,
  registerNamespaceResourceType,
  scrubbedActions,
} from '@internal/plugin-platform-node';
import { createKubernetesApplyAction } from './actions/kubernetesApply';
import { createKubernetesNamespaceCreateAction } from './actions/kubernetesNamespaceCreate';
import { createKubernetesQuotaApplyAction } from './actions/kubernetesQuotaApply';
import { createKubernetesCompensators } from './kubernetes/compensators';
import { namespaceResources } from './kubernetes/namespaceResources';
import { readPlatformKubernetes } from './kubernetes/platformKubernetes';
import { createQuotaChangeCompensator } from './kubernetes/quotaChange';

/**
 * `platform:kubernetes:namespace:create`, `platform:kubernetes:quota:apply`
 * and `platform:kubernetes:apply`, the compensators that undo what they did,
 * and the `platform-namespace` permission resource type.
 *
 * @public
 */
export const scaffolderModulePlatformKubernetes = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'platform-kubernetes',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        rollback: platformRollbackServiceRef,
        scrubber: platformSecretScrubberServiceRef,
        config: coreServices.rootConfig,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
      },
      async init({
        scaffolder,
        rollback,
        scrubber,
        config,
        permissions,
        permissionsRegistry,
      }) {
        const kubernetes = readPlatformKubernetes(config);
        scrubber.add(...kubernetes.clusters.map(c => c.serviceAccountToken));
        registerNamespaceResourceType({
          permissionsRegistry,
          getNamespaces: refs => namespaceResources(kubernetes, refs),
        });
        const access = PlatformPermissions.create({
          permissions,
          permissionsRegistry,
        });
        const { journal } = rollback;
        scrubbedActions(scaffolder, scrubber).addActions(
          createKubernetesNamespaceCreateAction({
            kubernetes,
            journal,
            access,
          }),
          createKubernetesQuotaApplyAction({ kubernetes, journal, access }),
          createKubernetesApplyAction({ kubernetes, journal, access }),
        );
        rollback.addCompensators(
          ...createKubernetesCompensators({
            clusters: kubernetes.clusters,
            namespaceDeletionTimeoutMs:
              kubernetes.settings.namespaceDeletionTimeoutMs,
          }),
          createQuotaChangeCompensator({ clusters: kubernetes.clusters }),
        );
      },
    });
  },
});
