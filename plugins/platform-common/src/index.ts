/**
 * The shared model of the internal developer platform: lifecycle stages,
 * typed dependencies, ownership annotations, the rules entities must follow,
 * the dependency graph with its blast radius, and the records of platform
 * runs.
 *
 * @packageDocumentation
 */

export * from './problems';
export * from './lifecycle';
export * from './dependencies';
export * from './ownership';
export * from './entityReaders';
export * from './rules';
export * from './catalogFile';
export * from './serviceWarnings';
export * from './dependencyGraph';
export * from './dependencySummary';
export * from './runs';
export * from './permissions';
