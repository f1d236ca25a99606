/**
 * What a dependency is used for: at run time, while building, or as a data
 * source.
 *
 * @public
 */
export const DEPENDENCY_TYPES = ['runtime', 'build', 'data'] as const;

/** @public */
export type DependencyType = (typeof DEPENDENCY_TYPES)[number];

/**
 * One typed dependency as declared in `spec.dependencies` of a catalog
 * entity. After processing, `target` is a full entity ref
 * (`component:default/payments`) and `critical` is always set.
 *
 * @public
 */
export interface TypedDependency {
  target: string;
  type: DependencyType;
  critical: boolean;
}
