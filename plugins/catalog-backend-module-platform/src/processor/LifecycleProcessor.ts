import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import { DEFAULT_LIFECYCLES } from '@internal/plugin-platform-common';
import { SynchronousEntityProcessor } from './SynchronousEntityProcessor';

const CONFIG_KEY = 'platform.catalog.lifecycles';

/**
 * Reads the allowed lifecycle stages from `platform.catalog.lifecycles`,
 * falling back to `DEFAULT_LIFECYCLES`.
 *
 * @public
 */
export function readLifecycles(config: Config): string[] {
  const configured = config.getOptionalStringArray(CONFIG_KEY);
  if (configured === undefined) {
    return [...DEFAULT_LIFECYCLES];
  }
  if (configured.length === 0) {
    throw new InputError(`${CONFIG_KEY} must name at least one lifecycle`);
  }
  for (const [index, lifecycle] of configured.entries()) {
    if (lifecycle.trim() === '') {
      throw new InputError(`${CONFIG_KEY}[${index}] must not be empty`);
    }
    if (configured.indexOf(lifecycle) !== index) {
      throw new InputError(
        `${CONFIG_KEY} lists the lifecycle "${lifecycle}" more than once`,
      );
    }
  }
  return configured;
}

/**
 * Rejects Components, APIs and Resources whose `spec.lifecycle` is not one of
 * the configured stages.
 *
 * @public
 */
export class LifecycleProcessor extends SynchronousEntityProcessor {
  static fromConfig(config: Config): LifecycleProcessor {
    return new LifecycleProcessor({ lifecycles: readLifecycles(config) });
  }

  private readonly lifecycles: ReadonlySet<string>;
  private readonly allowed: string;

  constructor(options: { lifecycles: string[] }) {
    super();
    this.lifecycles = new Set(options.lifecycles);
    this.allowed = options.lifecycles.join(', ');
  }

  getProcessorName(): string {
    return 'LifecycleProcessor';
  }

  apply(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Entity {
    const lifecycle = entity.spec?.lifecycle;
    // The stock model requires a lifecycle on Components and APIs only, so on
    // a Resource it is checked when present.
    const checked =
      entity.kind === 'Component' ||
      entity.kind === 'API' ||
      (entity.kind === 'Resource' && lifecycle !== undefined);
    if (
      checked &&
      (typeof lifecycle !== 'string' || !this.lifecycles.has(lifecycle))
    ) {
      emit(
        processingResult.inputError(
          location,
          `${stringifyEntityRef(entity)} has the lifecycle ${JSON.stringify(
            lifecycle,
          )}, which is not one of the configured lifecycles: ${this.allowed}`,
        ),
      );
    }
    return entity;
  }
}
