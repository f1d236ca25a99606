import { Entity } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import {
  checkLifecycle,
  DEFAULT_LIFECYCLES,
  lifecycleListProblem,
} from '@internal/plugin-platform-common';
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
  const problem = lifecycleListProblem(configured, CONFIG_KEY);
  if (problem) {
    throw new InputError(problem);
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

  constructor(options: { lifecycles: string[] }) {
    super();
    this.lifecycles = new Set(options.lifecycles);
  }

  getProcessorName(): string {
    return 'LifecycleProcessor';
  }

  apply(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Entity {
    for (const problem of checkLifecycle(entity, this.lifecycles)) {
      emit(processingResult.inputError(location, problem.message));
    }
    return entity;
  }
}
