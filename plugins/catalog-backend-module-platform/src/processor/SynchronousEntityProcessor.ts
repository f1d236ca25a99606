import { Entity } from '@backstage/catalog-model';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
} from '@backstage/plugin-catalog-node';

/**
 * A catalog processor whose postprocessing needs no I/O, so that
 * `PlatformEntityProcessor` can run several in one step without a promise
 * each.
 *
 * @public
 */
export abstract class SynchronousEntityProcessor implements CatalogProcessor {
  abstract getProcessorName(): string;

  /** Checks and transforms an entity, as postProcessEntity does. */
  abstract apply(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Entity;

  async postProcessEntity(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    return this.apply(entity, location, emit);
  }
}
