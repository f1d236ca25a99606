/**
 * The shared model of the internal developer platform: lifecycle stages,
 * typed dependencies, ownership annotations, the rules entities must follow
 * and the records of platform runs.
 *
 * @packageDocumentation
 */

export * from './problems';
export * from './lifecycle';
export * from './dependencies';
export * from './ownership';
export * from './rules';
export * from './runs';
export * from './permissions';
