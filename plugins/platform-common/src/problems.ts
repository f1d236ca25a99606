/**
 * One broken platform rule in a catalog entity.
 *
 * @public
 */
export interface EntityProblem {
  /** One sentence naming the entity, the offending value and what is allowed. */
  message: string;
  /**
   * Where the offending value is in the entity, as keys and list indexes
   * (`['spec', 'dependencies', 1, 'type']`), so that a tool reading the
   * entity's YAML can point at the line. It may name a field the entity
   * lacks, such as a missing `spec.lifecycle`.
   */
  path: Array<string | number>;
}
