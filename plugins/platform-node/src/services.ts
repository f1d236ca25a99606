import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { ResourceCompensator, RollbackJournal } from './rollback/types';
import { SecretScrubber } from './secrets';

/**
 * The npm package whose module provides {@link platformRollbackServiceRef}.
 *
 * @public
 */
export const ROLLBACK_MODULE_PACKAGE =
  '@internal/plugin-scaffolder-backend-module-platform-rollback';

/**
 * What a scaffolder module needs so that what its actions create is removed
 * again when the run fails or is cancelled: the journal its actions record
 * each intent in before the side effect, and the registration of the
 * compensator that undoes each resource kind.
 *
 * @public
 */
export interface PlatformRollbackService {
  journal: RollbackJournal;
  /** Call during the module's init; one compensator per resource kind. */
  addCompensators(...compensators: ResourceCompensator[]): void;
  /** The compensator of a kind, for the engine. */
  getCompensator(kind: string): ResourceCompensator | undefined;
}

/**
 * The platform's rollback, shared by the scaffolder modules of one backend.
 * It is a service rather than an extension point so that the journal is
 * ready before any action module's init, and so that an action module
 * installed without the rollback module stops the backend with a message
 * that names the package to add, instead of an anonymous missing reference.
 *
 * @public
 */
export const platformRollbackServiceRef =
  createServiceRef<PlatformRollbackService>({
    id: 'platform.rollback',
    scope: 'plugin',
    defaultFactory: async service =>
      createServiceFactory({
        service,
        deps: { plugin: coreServices.pluginMetadata },
        factory({ plugin }) {
          throw new Error(
            `The platform's scaffolder actions need the rollback module, which is not installed in plugin '${plugin.getId()}': add backend.add(import('${ROLLBACK_MODULE_PACKAGE}')) to the backend`,
          );
        },
      }),
  });

/**
 * One scrubber for every surface the platform's modules write to: config
 * values marked secret, tokens handed out at runtime, credential shapes.
 * Root-scoped so the config schema is loaded once per backend.
 *
 * @public
 */
export const platformSecretScrubberServiceRef =
  createServiceRef<SecretScrubber>({
    id: 'platform.secret-scrubber',
    scope: 'root',
    defaultFactory: async service =>
      createServiceFactory({
        service,
        deps: {
          config: coreServices.rootConfig,
          logger: coreServices.rootLogger,
        },
        factory: ({ config, logger }) =>
          SecretScrubber.fromConfig({ config, logger }),
      }),
  });
