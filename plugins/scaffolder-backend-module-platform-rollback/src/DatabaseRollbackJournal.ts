import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  isAndCriteria,
  isNotCriteria,
  isOrCriteria,
} from '@backstage/plugin-permission-node';
import { JsonObject } from '@backstage/types';
import {
  PlatformResourceState,
  PlatformRun,
} from '@internal/plugin-platform-common';
import { PlatformRunQuery } from '@internal/plugin-platform-node';
import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import {
  JournalEntry,
  ResourceIntent,
  RollbackJournal,
  ROLLED_BACK_STATES,
} from '@internal/plugin-platform-node';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-scaffolder-backend-module-platform-rollback',
  'migrations',
);

/** Our own migrations table, so the scaffolder's `knex_migrations` never sees our files. */
export const MIGRATIONS_TABLE = 'platform_knex_migrations';

const JOURNAL = 'platform_journal';
const RUNS = 'platform_runs';

/**
 * The status of a run whose task the scaffolder no longer knows (deleted by
 * a cleanup, or never there) before the engine saw it fail: nobody can tell
 * whether it failed, so what it created stays, and the run is not looked at
 * again.
 */
export const EXPIRED_STATUS = 'expired';

/** States in which a resource may still exist and is the engine's business. */
export const UNRESOLVED_STATES: PlatformResourceState[] = [
  'pending',
  'created',
  'rolling_back',
];

type JournalRow = {
  seq: number | string;
  id: string;
  task_id: string;
  step_id: string;
  kind: string;
  identity: string;
  url: string | null;
  state: PlatformResourceState;
  reason: string | null;
  data: string;
  created_at: Date | string | number;
  updated_at: Date | string | number;
};

type RunRow = {
  task_id: string;
  status: string;
  template_ref: string | null;
  created_by: string | null;
  cancelled_by: string | null;
  settled: boolean | number;
  lease_owner: string | null;
  lease_until: Date | string | number | null;
  task_seen_at: Date | string | number | null;
  created_at: Date | string | number;
};

/**
 * A run the engine still has to look at, as the journal last recorded it.
 *
 * @public
 */
export interface UnsettledRun {
  taskId: string;
  /** The task status the engine last recorded. */
  status: string;
  /** Whether template, creator and creation time were copied from the task. */
  seen: boolean;
  /** The engine instance that holds the run, and until when (epoch ms). */
  lease?: { owner: string; until: number };
}

/**
 * SQLite hands timestamps back as numbers or as UTC strings without a zone,
 * PostgreSQL as Date objects, and the scaffolder's task API passes on its
 * own database's format; the API always speaks ISO 8601.
 */
export function toIso(value: Date | string | number): string {
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (typeof value === 'number') {
    return new Date(value).toISOString();
  }
  const hasZone = /[zZ]|[+-]\d\d:?\d\d$/.test(value);
  return new Date(
    hasZone ? value : `${value.replace(' ', 'T')}Z`,
  ).toISOString();
}

export function toEntry(row: JournalRow): JournalEntry {
  return {
    id: row.id,
    taskId: row.task_id,
    stepId: row.step_id,
    kind: row.kind,
    identity: row.identity,
    url: row.url ?? undefined,
    state: row.state,
    reason: row.reason ?? undefined,
    data: JSON.parse(row.data),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

/** Narrows a runs query to the runs a permission decision allows. */
export function whereAllowed(
  query: Knex.QueryBuilder,
  criteria: PermissionCriteria<PlatformRunQuery>,
): void {
  if (isAndCriteria(criteria)) {
    query.where(all => {
      for (const c of criteria.allOf) {
        all.andWhere(q => whereAllowed(q, c));
      }
    });
  } else if (isOrCriteria(criteria)) {
    query.where(any => {
      for (const c of criteria.anyOf) {
        any.orWhere(q => whereAllowed(q, c));
      }
    });
  } else if (isNotCriteria(criteria)) {
    query.whereNot(q => whereAllowed(q, criteria.not));
  } else {
    query.whereIn('created_by', criteria.createdBy);
  }
}

function toRun(run: RunRow, entries: JournalEntry[]): PlatformRun {
  return {
    taskId: run.task_id,
    status: run.status,
    templateRef: run.template_ref ?? undefined,
    createdBy: run.created_by ?? undefined,
    cancelledBy: run.cancelled_by ?? undefined,
    createdAt: toIso(run.created_at),
    // `data` holds ownership proofs for compensators, not for browsers.
    resources: entries.map(({ data: _data, ...resource }) => resource),
  };
}

export type UnsettledRunRow = Pick<
  RunRow,
  | 'task_id'
  | 'status'
  | 'task_seen_at'
  | 'lease_owner'
  | 'lease_until'
  | 'created_at'
>;

/**
 * The query for the runs the engine still has to look at, with
 * `platform_runs` as `r`, for a reader that adds their task status.
 */
export function unsettledRunsQuery(db: Knex): Knex.QueryBuilder {
  return db(`${RUNS} as r`)
    .where('r.settled', false)
    .select(
      'r.task_id',
      'r.status',
      'r.task_seen_at',
      'r.lease_owner',
      'r.lease_until',
      'r.created_at',
    );
}

export function toUnsettledRun(row: UnsettledRunRow): UnsettledRun {
  return {
    taskId: row.task_id,
    status: row.status,
    seen: row.task_seen_at !== null,
    lease:
      row.lease_owner && row.lease_until !== null
        ? { owner: row.lease_owner, until: Date.parse(toIso(row.lease_until)) }
        : undefined,
  };
}

/**
 * The rollback journal in the scaffolder's database. Besides the
 * `RollbackJournal` contract that actions use, it carries what the rollback
 * engine and the runs API need: run status, leases and outcomes.
 *
 * @public
 */
export class DatabaseRollbackJournal implements RollbackJournal {
  static async create(options: {
    database: DatabaseService;
  }): Promise<DatabaseRollbackJournal> {
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await DatabaseRollbackJournal.runMigrations(client);
    }
    return new DatabaseRollbackJournal(client);
  }

  static async runMigrations(client: Knex): Promise<void> {
    await client.migrate.latest({
      directory: migrationsDir,
      tableName: MIGRATIONS_TABLE,
    });
  }

  constructor(private readonly db: Knex) {}

  /** The shared scaffolder database, for the engine's task log writer. */
  get client(): Knex {
    return this.db;
  }

  async recordIntent(intent: ResourceIntent): Promise<JournalEntry> {
    const now = new Date();
    const id = await this.db.transaction(async tx => {
      await tx(RUNS)
        .insert({ task_id: intent.taskId, created_at: now, updated_at: now })
        .onConflict('task_id')
        .ignore();
      // A step that runs again (task recovery, retry) makes the run the
      // engine's business again even if it had settled.
      await tx(RUNS)
        .where({ task_id: intent.taskId })
        .update({ settled: false, updated_at: now });
      await tx(JOURNAL)
        .insert({
          id: randomUUID(),
          task_id: intent.taskId,
          step_id: intent.stepId,
          kind: intent.kind,
          identity: intent.identity,
          url: intent.url ?? null,
          state: 'pending',
          data: JSON.stringify(intent.data ?? {}),
          created_at: now,
          updated_at: now,
        })
        .onConflict(['task_id', 'step_id', 'kind', 'identity'])
        .ignore();
      // The row exists: it was just inserted, or was already there.
      const row = (await tx<JournalRow>(JOURNAL)
        .where({
          task_id: intent.taskId,
          step_id: intent.stepId,
          kind: intent.kind,
          identity: intent.identity,
        })
        .first())!;
      if (ROLLED_BACK_STATES.includes(row.state)) {
        // A retried run creates anew what its failed attempt rolled back.
        // The old facts (a deleted repository's id) must not prove
        // ownership of the new one, so only the intent's data is kept.
        const attempt = Number(JSON.parse(row.data).attempt ?? 0) + 1;
        await tx(JOURNAL)
          .where({ id: row.id })
          .update({
            state: 'pending',
            reason: null,
            data: JSON.stringify({ ...intent.data, attempt }),
            updated_at: now,
          });
      }
      return row.id;
    });
    return this.get(id);
  }

  async markCreated(
    id: string,
    facts?: { url?: string; data?: JsonObject },
  ): Promise<JournalEntry> {
    const entry = await this.get(id);
    await this.db(JOURNAL)
      .where({ id })
      .update({
        // Only a pending intent becomes created; a kept or already rolled
        // back entry keeps its state when a step is replayed.
        state: entry.state === 'pending' ? 'created' : entry.state,
        url: facts?.url ?? entry.url ?? null,
        data: JSON.stringify({ ...entry.data, ...facts?.data }),
        updated_at: new Date(),
      });
    return this.get(id);
  }

  async markKept(id: string): Promise<JournalEntry> {
    await this.setState(id, 'kept');
    return this.get(id);
  }

  async discard(id: string): Promise<void> {
    await this.db(JOURNAL).where({ id, state: 'pending' }).delete();
  }

  async listByTask(taskId: string): Promise<JournalEntry[]> {
    const rows = await this.db<JournalRow>(JOURNAL)
      .where({ task_id: taskId })
      .orderBy('seq', 'asc');
    return rows.map(toEntry);
  }

  async get(id: string): Promise<JournalEntry> {
    const row = await this.db<JournalRow>(JOURNAL).where({ id }).first();
    if (!row) {
      throw new NotFoundError(`No journal entry with id ${id}`);
    }
    return toEntry(row);
  }

  async setState(
    id: string,
    state: PlatformResourceState,
    reason?: string,
  ): Promise<void> {
    await this.db(JOURNAL)
      .where({ id })
      .update({ state, reason: reason ?? null, updated_at: new Date() });
  }

  /** Runs the engine still has to look at, oldest first, in one query. */
  async listUnsettledRuns(): Promise<UnsettledRun[]> {
    return (
      await unsettledRunsQuery(this.db).orderBy('r.created_at', 'asc')
    ).map(toUnsettledRun);
  }

  /**
   * Copies from the run's task what never changes (template, creator,
   * creation time) with its status; afterwards the engine records only
   * changes of status.
   */
  async recordTask(
    taskId: string,
    task: {
      status: string;
      templateRef?: string;
      createdBy?: string;
      createdAt?: string;
    },
  ): Promise<void> {
    const now = new Date();
    await this.db(RUNS)
      .where({ task_id: taskId })
      .update({
        status: task.status,
        ...(task.templateRef ? { template_ref: task.templateRef } : {}),
        ...(task.createdBy ? { created_by: task.createdBy } : {}),
        ...(task.createdAt
          ? { created_at: new Date(toIso(task.createdAt)) }
          : {}),
        task_seen_at: now,
        updated_at: now,
      });
  }

  async updateStatus(taskId: string, status: string): Promise<void> {
    await this.db(RUNS)
      .where({ task_id: taskId })
      .update({ status, updated_at: new Date() });
  }

  /**
   * Records that the run's task is gone before it was seen to fail: the run
   * shows as expired, each resource that may still exist says why it was
   * left in place, and the run is never looked at again, unless one of its
   * steps records anew.
   */
  async expireRun(taskId: string): Promise<void> {
    const now = new Date();
    await this.db.transaction(async tx => {
      await tx(RUNS).where({ task_id: taskId }).update({
        status: EXPIRED_STATUS,
        settled: true,
        lease_owner: null,
        lease_until: null,
        updated_at: now,
      });
      await tx(JOURNAL)
        .where({ task_id: taskId })
        .whereIn('state', UNRESOLVED_STATES)
        .update({
          reason:
            'left in place: the scaffolder no longer knows the task, so nobody can tell whether the run failed',
          updated_at: now,
        });
    });
  }

  /** Records who cancelled a run, for its rollback to say. */
  async recordCancellation(taskId: string, cancelledBy: string): Promise<void> {
    await this.db(RUNS)
      .where({ task_id: taskId })
      .update({ cancelled_by: cancelledBy, updated_at: new Date() });
  }

  async settleRun(taskId: string): Promise<void> {
    await this.db(RUNS).where({ task_id: taskId }).update({
      settled: true,
      lease_owner: null,
      lease_until: null,
      updated_at: new Date(),
    });
  }

  /**
   * Takes the run for one engine instance for `durationMs`, so two backend
   * replicas never compensate the same run at once. Renewing is taking it
   * again with the same owner.
   */
  async acquireLease(
    taskId: string,
    owner: string,
    durationMs: number,
  ): Promise<boolean> {
    const now = new Date();
    const updated = await this.db(RUNS)
      .where({ task_id: taskId })
      .andWhere(q =>
        q
          .whereNull('lease_until')
          .orWhere('lease_owner', owner)
          .orWhere('lease_until', '<', now),
      )
      .update({
        lease_owner: owner,
        lease_until: new Date(now.getTime() + durationMs),
      });
    return updated === 1;
  }

  async releaseLease(taskId: string, owner: string): Promise<void> {
    await this.db(RUNS)
      .where({ task_id: taskId, lease_owner: owner })
      .update({ lease_owner: null, lease_until: null });
  }

  async getRun(taskId: string): Promise<PlatformRun> {
    const run = await this.findRun(taskId);
    if (!run) {
      throw new NotFoundError(`No platform run for task ${taskId}`);
    }
    return run;
  }

  async findRun(taskId: string): Promise<PlatformRun | undefined> {
    const run = await this.db<RunRow>(RUNS).where({ task_id: taskId }).first();
    return run && toRun(run, await this.listByTask(taskId));
  }
}
