/**
 * Node.js contracts of the internal developer platform: the permission
 * resource types, rules and conditions that the platform's backend modules
 * and permission policies share.
 *
 * @packageDocumentation
 */

export * from './permissions';
