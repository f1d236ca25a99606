/**
 * The shared model of the internal developer platform: lifecycle stages,
 * typed dependencies, ownership annotations and the records of platform runs.
 *
 * @packageDocumentation
 */

export * from './lifecycle';
export * from './dependencies';
export * from './ownership';
export * from './runs';
export * from './permissions';
