import { Entity } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
} from '@backstage/plugin-catalog-node';
import { LifecycleProcessor } from './LifecycleProcessor';
import { OwnershipProcessor } from './OwnershipProcessor';
import { ServiceWarningsProcessor } from './ServiceWarningsProcessor';
import { SynchronousEntityProcessor } from './SynchronousEntityProcessor';
import { TypedDependencyProcessor } from './TypedDependencyProcessor';

/**
 * Runs the lifecycle, typed dependency, ownership and service warning
 * processors, in that order, as one catalog processor.
 *
 * The catalog pays a fixed cost per processor and entity (a tracing span, a
 * child logger, a cache view, a promise), comparable to the rules' own work;
 * one processor calling the three synchronously keeps the platform's share of
 * processing time under the 10% that bench/catalog-processing checks.
 *
 * @public
 */
export class PlatformEntityProcessor implements CatalogProcessor {
  static fromConfig(config: Config): PlatformEntityProcessor {
    return new PlatformEntityProcessor([
      LifecycleProcessor.fromConfig(config),
      new TypedDependencyProcessor(),
      new OwnershipProcessor(),
      new ServiceWarningsProcessor(),
    ]);
  }

  private constructor(
    private readonly processors: SynchronousEntityProcessor[],
  ) {}

  getProcessorName(): string {
    return 'PlatformEntityProcessor';
  }

  async postProcessEntity(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    let result = entity;
    for (const processor of this.processors) {
      result = processor.apply(result, location, emit);
    }
    return result;
  }
}
