/**
 * Node.js contracts of the internal developer platform that its backend
 * modules, and an adopter's own, build on: the rollback journal and
 * compensator contracts with the service that provides them, the secret
 * scrubber, and the permission resource types, rules and conditions.
 *
 * @packageDocumentation
 */

export * from './permissions';
export * from './PlatformPermissions';
export * from './rollback/types';
export { createOwnershipNonce } from './rollback/nonce';
export * from './secrets';
export * from './services';
export { errorForStatus } from './errorForStatus';
