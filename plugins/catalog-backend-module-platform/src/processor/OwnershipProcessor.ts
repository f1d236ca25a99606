import { Entity, EntityLink } from '@backstage/catalog-model';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import {
  OWNERSHIP_ANNOTATIONS,
  parseOwnership,
} from '@internal/plugin-platform-common';
import { SynchronousEntityProcessor } from './SynchronousEntityProcessor';

/**
 * Validates the ownership annotations (on-call, documentation and repository
 * URLs) of any entity and adds each valid URL to `metadata.links`, so the
 * stock links card shows them without any frontend change.
 *
 * @public
 */
export class OwnershipProcessor extends SynchronousEntityProcessor {
  getProcessorName(): string {
    return 'OwnershipProcessor';
  }

  apply(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Entity {
    const { ownership, problems } = parseOwnership(entity);
    for (const problem of problems) {
      emit(processingResult.inputError(location, problem.message));
    }

    const links = entity.metadata.links ?? [];
    const added: EntityLink[] = [];
    for (const { field, title, linkType } of OWNERSHIP_ANNOTATIONS) {
      const url = ownership[field];
      if (url && !links.some(link => link.url === url)) {
        added.push({ url, title, type: linkType });
      }
    }
    if (added.length === 0) {
      return entity;
    }
    return {
      ...entity,
      metadata: { ...entity.metadata, links: [...links, ...added] },
    };
  }
}
