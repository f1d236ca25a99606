/**
 * The platform's rollback for `@backstage/plugin-scaffolder-backend`: the
 * journal, the engine that removes what a failed or cancelled run created,
 * the runs API, and the actions that list and describe runs.
 *
 * @packageDocumentation
 */

import { createBackendFeatureLoader } from '@backstage/backend-plugin-api';
import { scaffolderModulePlatformRollback } from './module';
import { platformRollbackServiceFactory } from './rollbackService';

export { scaffolderModulePlatformRollback } from './module';
export { platformRollbackServiceFactory } from './rollbackService';
export { DatabaseRollbackJournal } from './DatabaseRollbackJournal';
export type { UnsettledRun } from './DatabaseRollbackJournal';
export { ResourceCompensatorRegistry } from './ResourceCompensatorRegistry';
export { RollbackEngine } from './RollbackEngine';
export { createRunsRouter } from './service/runsRouter';
export { PlatformRuns } from './service/PlatformRuns';
export type { PlatformRunsRequest } from './service/PlatformRuns';
export type {
  RollbackEngineOptions,
  RunToLookAt,
  TaskLogWriter,
  TaskStatusReader,
  TaskSummary,
} from './RollbackEngine';
export {
  ScaffolderApiTaskReader,
  ScaffolderDatabaseTaskReader,
  ScaffolderTaskEventLog,
} from './scaffolderTasks';

/**
 * The rollback module together with the service the action modules record
 * their resources through.
 *
 * @public
 */
export default createBackendFeatureLoader({
  loader: () => [
    scaffolderModulePlatformRollback,
    platformRollbackServiceFactory,
  ],
});
