import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  PlatformRun,
  summarizeRollback,
} from '@internal/plugin-platform-common';
import { PlatformRunQuery, RunFilter } from '@internal/plugin-platform-node';
import { Knex } from 'knex';
import { toEntry, toIso, whereAllowed } from './DatabaseRollbackJournal';

/**
 * Which runs to read, newest first. `filter` is what `platform.run.read`
 * allows the caller; the others narrow it.
 */
export interface RunsQuery {
  filter: RunFilter;
  taskId?: string;
  createdBy?: string[];
  statuses?: string[];
  templateRef?: string;
  limit: number;
  offset: number;
}

type RunListRow = {
  task_id: string;
  status: string;
  template_ref: string | null;
  created_by: string | null;
  created_at: Date | string | number;
  cancelled_by: string | null;
};

/** The scaffolder names its tasks with `randomUUID()`. */
const TASK_ID =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Task statuses after which nothing more happens to the task. */
const ENDED = ['completed', 'failed', 'cancelled'];

/** What a run shows of its task's spec: the service it makes, its template. */
function readSpec(spec: string | undefined): {
  serviceName?: string;
  templateRef?: string;
} {
  let parsed;
  try {
    parsed = spec ? JSON.parse(spec) : undefined;
  } catch {
    return {};
  }
  const text = (value: unknown) =>
    typeof value === 'string' && value ? value : undefined;
  return {
    serviceName: text(parsed?.parameters?.service_name),
    templateRef: text(parsed?.templateInfo?.entityRef),
  };
}

/**
 * The runs people may look for: every scaffolder task (the simplest rule
 * that leaves none out: a run refused by its preflight journaled nothing,
 * yet someone started it and wants to know why it failed), and every
 * journaled run whose task the scaffolder no longer has (it expired). Read
 * with one query per page from the scaffolder's `tasks` table beside the
 * journal, so paging and counting happen in the database; when
 * `withTasks` is false (the table's columns are not as expected) only
 * journaled runs are read.
 */
export async function queryRuns(
  db: Knex,
  query: RunsQuery,
  options: { withTasks: boolean },
): Promise<{ runs: PlatformRun[]; totalItems: number }> {
  const postgres = db.client.dialect === 'postgresql';
  // SQLite keeps the scaffolder's timestamps as text and ours as epoch
  // milliseconds; ordering needs one kind.
  const createdAt = (column: string) =>
    postgres
      ? db.ref(column)
      : db.raw(
          `CASE WHEN typeof(??) IN ('integer', 'real') THEN ?? ELSE CAST(round((julianday(??) - 2440587.5) * 86400000) AS INTEGER) END`,
          [column, column, column],
        );
  const templateOf = (spec: string) =>
    postgres
      ? db.raw(`(??::json #>> '{templateInfo,entityRef}')`, [spec])
      : db.raw(`json_extract(??, '$.templateInfo.entityRef')`, [spec]);
  const taskIdText = postgres ? db.raw('t.id::text') : db.ref('t.id');

  const runs = (): Knex.QueryBuilder => {
    if (!options.withTasks) {
      return db('platform_runs as r').select({
        task_id: 'r.task_id',
        status: 'r.status',
        template_ref: 'r.template_ref',
        created_by: 'r.created_by',
        created_at: createdAt('r.created_at'),
        cancelled_by: 'r.cancelled_by',
      });
    }
    // A journaled run keeps the status the engine last recorded: clients
    // take a failed run whose resources are not rolling back as settled, so
    // it must not look failed before the engine has seen it fail.
    const journaled = db('platform_runs as r')
      .leftJoin('tasks as t', join =>
        join.on(taskIdText as unknown as string, '=', 'r.task_id'),
      )
      .select({
        task_id: 'r.task_id',
        status: 'r.status',
        // Parsing every task's spec is the costly part of a page, so only a
        // template filter does it here; the page's own runs are read after.
        template_ref: query.templateRef
          ? db.raw('coalesce(??, ?)', ['r.template_ref', templateOf('t.spec')])
          : 'r.template_ref',
        created_by: db.raw('coalesce(??, ??)', [
          't.created_by',
          'r.created_by',
        ]),
        created_at: createdAt('r.created_at'),
        cancelled_by: 'r.cancelled_by',
      });
    const unjournaled = db('tasks as t')
      .whereNotExists(
        db('platform_runs as j')
          .select(db.raw('1'))
          .where('j.task_id', taskIdText),
      )
      .select({
        task_id: taskIdText,
        status: 't.status',
        template_ref: query.templateRef ? templateOf('t.spec') : db.raw('NULL'),
        created_by: 't.created_by',
        created_at: createdAt('t.created_at'),
        cancelled_by: db.raw('NULL'),
      });
    return journaled.unionAll([unjournaled as Knex.QueryBuilder]);
  };

  const matching = () => {
    const q: Knex.QueryBuilder = db.from(runs().as('runs'));
    if (query.filter !== 'all') {
      whereAllowed(q, query.filter as PermissionCriteria<PlatformRunQuery>);
    }
    if (query.taskId !== undefined) {
      q.where('task_id', query.taskId);
    }
    if (query.createdBy) {
      q.whereIn('created_by', query.createdBy);
    }
    if (query.statuses) {
      q.whereIn('status', query.statuses);
    }
    if (query.templateRef) {
      q.where('template_ref', query.templateRef);
    }
    return q;
  };

  const [rows, [{ total }]] = await Promise.all([
    matching()
      .select<RunListRow[]>('*')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'task_id', order: 'desc' },
      ])
      .limit(query.limit)
      .offset(query.offset),
    matching().count({ total: '*' }),
  ]);
  if (rows.length === 0) {
    return { runs: [], totalItems: Number(total) };
  }

  const taskIds = rows.map(row => row.task_id);
  const uuids = taskIds.filter(id => TASK_ID.test(id));
  const [entries, completions, specs] = await Promise.all([
    db('platform_journal').whereIn('task_id', taskIds).orderBy('seq', 'asc'),
    options.withTasks && uuids.length > 0
      ? db('task_events')
          .whereIn('task_id', uuids)
          .where('event_type', 'completion')
          .groupBy('task_id')
          .select({
            task_id: postgres ? db.raw('task_id::text') : 'task_id',
            finished_at: db.raw('max(??)', ['created_at']),
          })
      : [],
    options.withTasks && uuids.length > 0
      ? db('tasks')
          .whereIn('id', uuids)
          .select({
            task_id: postgres ? db.raw('id::text') : 'id',
            spec: 'spec',
          })
      : [],
  ]);
  const specOf = new Map<string, string>(
    specs.map((t: { task_id: string; spec: string }) => [t.task_id, t.spec]),
  );
  const finishedAt = new Map<string, string>(
    completions.map((c: { task_id: string; finished_at: Date | string }) => [
      c.task_id,
      toIso(c.finished_at),
    ]),
  );

  return {
    totalItems: Number(total),
    runs: rows.map(row => {
      const createdAtIso = toIso(row.created_at);
      const finished = ENDED.includes(row.status)
        ? finishedAt.get(row.task_id)
        : undefined;
      const resources = entries
        .filter(e => e.task_id === row.task_id)
        // `data` holds ownership proofs for compensators, not for browsers.
        .map(e => {
          const { data: _data, ...resource } = toEntry(e);
          return resource;
        });
      const spec = readSpec(specOf.get(row.task_id));
      const run: PlatformRun = {
        taskId: row.task_id,
        status: row.status,
        templateRef: row.template_ref ?? spec.templateRef,
        createdBy: row.created_by || undefined,
        cancelledBy: row.cancelled_by ?? undefined,
        createdAt: createdAtIso,
        serviceName: spec.serviceName,
        durationMs: finished
          ? Math.max(0, Date.parse(finished) - Date.parse(createdAtIso))
          : undefined,
        resources,
      };
      return { ...run, rollback: summarizeRollback(run) };
    }),
  };
}
