import { Entity } from '@backstage/catalog-model';
import { AlphaEntity, EntityStatusItem } from '@backstage/catalog-model/alpha';
import { findServiceWarnings } from '@internal/plugin-platform-common';
import { SynchronousEntityProcessor } from './SynchronousEntityProcessor';

/** The `status.items` type of the platform's warnings on an entity. */
const SERVICE_WARNING_STATUS_TYPE = 'platform.internal/service-warning';

/**
 * Puts the platform's rules that an entity may break and still be in the
 * catalog (a production service without an on-call rotation) into its
 * `status.items` as warnings. A processing error would instead stop the
 * catalog from taking any new version of the entity, so a service already in
 * production would freeze until someone adds the annotation.
 */
export class ServiceWarningsProcessor extends SynchronousEntityProcessor {
  getProcessorName(): string {
    return 'ServiceWarningsProcessor';
  }

  apply(entity: Entity): Entity {
    const warnings = findServiceWarnings(entity);
    if (warnings.length === 0) {
      return entity;
    }
    const { status } = entity as AlphaEntity;
    const items: EntityStatusItem[] = [
      ...(status?.items ?? []),
      ...warnings.map(message => ({
        type: SERVICE_WARNING_STATUS_TYPE,
        level: 'warning' as const,
        message,
      })),
    ];
    const withWarnings: AlphaEntity = {
      ...entity,
      status: { ...status, items },
    };
    return withWarnings;
  }
}
