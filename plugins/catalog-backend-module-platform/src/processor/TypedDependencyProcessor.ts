import {
  Entity,
  getCompoundEntityRef,
  parseEntityRef,
  RELATION_DEPENDENCY_OF,
  RELATION_DEPENDS_ON,
} from '@backstage/catalog-model';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import {
  parseTypedDependencies,
  RELATION_CRITICAL_DEPENDENCY_OF,
  RELATION_CRITICALLY_DEPENDS_ON,
  supportsTypedDependencies,
} from '@internal/plugin-platform-common';
import { SynchronousEntityProcessor } from './SynchronousEntityProcessor';

/**
 * Validates `spec.dependencies` of Components and Resources, emits the stock
 * `dependsOn` / `dependencyOf` relation pair for each typed dependency (and
 * the `criticallyDependsOn` / `criticalDependencyOf` pair for each critical
 * one, which the blast radius is walked along), and
 * rewrites `spec.dependencies` into its normal form: full target refs,
 * `critical` always set, and every plain `spec.dependsOn` entry added as a
 * non-critical runtime dependency, so that readers find every dependency with
 * its type in one list.
 *
 * @public
 */
export class TypedDependencyProcessor extends SynchronousEntityProcessor {
  getProcessorName(): string {
    return 'TypedDependencyProcessor';
  }

  apply(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Entity {
    if (!supportsTypedDependencies(entity)) {
      return entity;
    }
    const { dependencies, problems } = parseTypedDependencies(entity);
    for (const problem of problems) {
      emit(processingResult.inputError(location, problem.message));
    }
    if (dependencies.length === 0) {
      return entity;
    }

    const self = getCompoundEntityRef(entity);
    for (const { target, critical } of dependencies) {
      // Targets that came from spec.dependsOn get the same pair from the stock
      // processor too; the catalog stores each relation of an entity once.
      const targetRef = parseEntityRef(target);
      emit(
        processingResult.relation({
          source: self,
          type: RELATION_DEPENDS_ON,
          target: targetRef,
        }),
      );
      emit(
        processingResult.relation({
          source: targetRef,
          type: RELATION_DEPENDENCY_OF,
          target: self,
        }),
      );
      if (critical) {
        emit(
          processingResult.relation({
            source: self,
            type: RELATION_CRITICALLY_DEPENDS_ON,
            target: targetRef,
          }),
        );
        emit(
          processingResult.relation({
            source: targetRef,
            type: RELATION_CRITICAL_DEPENDENCY_OF,
            target: self,
          }),
        );
      }
    }
    return { ...entity, spec: { ...entity.spec, dependencies } };
  }
}
