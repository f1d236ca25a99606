import { randomBytes } from 'node:crypto';

/**
 * A value a run records in its journal before a create and puts only on
 * what it creates: after an unclear outcome, finding it on an object proves
 * the object came from that create. It is random, never derived from
 * anything public (a task id or URL, a name, a label), so nobody can stamp
 * another object with it in advance, and each attempt gets a new one.
 *
 * @public
 */
export function createOwnershipNonce(): string {
  return randomBytes(16).toString('hex');
}
