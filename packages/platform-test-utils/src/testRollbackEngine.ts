import { mockServices } from '@backstage/backend-test-utils';
import { ResourceCompensator } from '@internal/plugin-platform-node';
import {
  DatabaseRollbackJournal,
  ResourceCompensatorRegistry,
  RollbackEngine,
} from '@internal/plugin-scaffolder-backend-module-platform-rollback';

/** The real rollback engine, driven by a test instead of the scheduler. */
export interface TestRollbackEngine {
  /** Lines the engine wrote to the runs' logs. */
  rollbackLog: string[];
  /** Marks the task failed and runs the engine once over it. */
  rollback(taskId: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real rollback engine over a journal with the given compensators, with
 * short backoffs, for tests of compensators against real targets.
 */
export function createTestRollbackEngine(options: {
  journal: DatabaseRollbackJournal;
  compensators: ResourceCompensator[];
  maxDurationPerResourceMs?: number;
}): TestRollbackEngine {
  const compensators = new ResourceCompensatorRegistry();
  for (const compensator of options.compensators) {
    compensators.register(compensator);
  }
  const rollbackLog: string[] = [];
  const failed = new Set<string>();
  const engine = new RollbackEngine({
    journal: options.journal,
    compensators,
    logger: mockServices.logger.mock(),
    tasks: {
      getTask: async id => ({
        status: failed.has(id) ? 'failed' : 'processing',
      }),
    },
    taskLog: { append: async line => void rollbackLog.push(line.message) },
    initialBackoffMs: 10,
    maxBackoffMs: 50,
    maxDurationPerResourceMs: options.maxDurationPerResourceMs ?? 1000,
  });
  return {
    rollbackLog,
    async rollback(taskId) {
      failed.add(taskId);
      await engine.tick();
    },
    stop: () => engine.stop(),
  };
}
