import { Entity } from '@backstage/catalog-model';
import {
  CatalogProcessor,
  CatalogProcessorResult,
} from '@backstage/plugin-catalog-node';

/** Where the entities of the processor tests are said to come from. */
export const testLocation = {
  type: 'file',
  target: '/catalog/catalog-info.yaml',
};

/**
 * Runs the postprocessing step of a processor on an entity, as the catalog
 * does, and returns the entity it hands on and everything it emitted.
 */
export async function postProcess(
  processor: CatalogProcessor,
  entity: Entity,
): Promise<{ output: Entity; emitted: CatalogProcessorResult[] }> {
  const emitted: CatalogProcessorResult[] = [];
  const output = await processor.postProcessEntity!(
    entity,
    testLocation,
    result => emitted.push(result),
    { get: async () => undefined, set: async () => {} },
  );
  return { output, emitted };
}
