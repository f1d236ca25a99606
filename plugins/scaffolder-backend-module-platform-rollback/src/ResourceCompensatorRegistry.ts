import {
  PlatformRollbackService,
  ResourceCompensator,
} from '@internal/plugin-platform-node';

/**
 * The compensators the rollback engine can call, one per resource kind.
 * Each action module registers the compensator of what its actions create.
 *
 * @public
 */
export class ResourceCompensatorRegistry
  implements
    Pick<PlatformRollbackService, 'addCompensators' | 'getCompensator'>
{
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

  addCompensators(...compensators: ResourceCompensator[]): void {
    for (const compensator of compensators) {
      this.register(compensator);
    }
  }

  getCompensator(kind: string): ResourceCompensator | undefined {
    return this.byKind.get(kind);
  }
}
