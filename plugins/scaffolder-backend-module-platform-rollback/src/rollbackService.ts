import {
  coreServices,
  createServiceFactory,
  DatabaseService,
} from '@backstage/backend-plugin-api';
import { platformRollbackServiceRef } from '@internal/plugin-platform-node';
import { DatabaseRollbackJournal } from './DatabaseRollbackJournal';
import { ResourceCompensatorRegistry } from './ResourceCompensatorRegistry';

const journals = new WeakMap<
  DatabaseService,
  Promise<DatabaseRollbackJournal>
>();

/**
 * The journal in a plugin's database. The service hands it to the action
 * modules as a journal; the rollback module's engine and runs API read the
 * same instance, so its migrations run once.
 */
export function journalIn(
  database: DatabaseService,
): Promise<DatabaseRollbackJournal> {
  let journal = journals.get(database);
  if (!journal) {
    journal = DatabaseRollbackJournal.create({ database });
    journals.set(database, journal);
  }
  return journal;
}

/**
 * Provides `platformRollbackServiceRef` (from the platform's node library)
 * in the scaffolder plugin: the journal in the scaffolder's database and the
 * compensators the action modules register.
 *
 * @public
 */
export const platformRollbackServiceFactory = createServiceFactory({
  service: platformRollbackServiceRef,
  deps: { database: coreServices.database },
  async factory({ database }) {
    const journal = await journalIn(database);
    const compensators = new ResourceCompensatorRegistry();
    return {
      journal,
      addCompensators: (...added) => compensators.addCompensators(...added),
      getCompensator: kind => compensators.getCompensator(kind),
    };
  },
});
