import { ResourceCompensator } from './types';

/**
 * The compensators the rollback engine can call, one per resource kind.
 * `module.ts` registers each action's compensator next to the action.
 */
export class ResourceCompensatorRegistry {
  private readonly byKind = new Map<string, ResourceCompensator>();

  register(compensator: ResourceCompensator): this {
    if (this.byKind.has(compensator.kind)) {
      throw new Error(
        `A compensator for resource kind ${compensator.kind} is already registered`,
      );
    }
    this.byKind.set(compensator.kind, compensator);
    return this;
  }

  get(kind: string): ResourceCompensator | undefined {
    return this.byKind.get(kind);
  }
}
