import { stripVTControlCharacters } from 'node:util';
import type { LogEvent } from '@backstage/plugin-scaffolder-common';
import {
  PlatformResource,
  PlatformResourceState,
  PlatformRun,
} from '@internal/plugin-platform-common';
import { BackendError } from './backend';
import { Task } from './scaffolder';

/**
 * Where a run stands. The four a finished run can end in are also the exit
 * codes of the commands that wait for one: see {@link EXIT_CODES}.
 */
export type RunOutcome =
  | 'running'
  | 'rolling_back'
  | 'completed'
  | 'rolled_back'
  | 'left_over'
  | 'refused';

export type FinalOutcome = Exclude<RunOutcome, 'running' | 'rolling_back'>;

/**
 * - `completed` (0): the run completed.
 * - `rolled_back` (1): it failed or was cancelled, and every resource it
 *   created is `rolled_back`, or `kept` because its step set
 *   `rollback: false`; also when it failed before creating anything, at a
 *   step other than the preflight.
 * - `left_over` (2): it failed or was cancelled, and something it created
 *   is still there: `rollback_failed`, or not rolled back by the time the
 *   command stopped waiting.
 * - `refused` (3): nothing was written: the backend refused to start the
 *   run (bad values, an unknown template, no permission), a plan says the
 *   run would be refused, or the run failed at its `platform:preflight`
 *   step with no resource journaled.
 */
export const EXIT_CODES: Record<FinalOutcome, number> = {
  completed: 0,
  rolled_back: 1,
  left_over: 2,
  refused: 3,
};

/**
 * The backend refused a request before anything was written: a bad value,
 * an unknown template or run, or no permission.
 */
export class RefusedError extends Error {
  readonly exitCode = EXIT_CODES.refused;

  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

/**
 * The request's answer, with a 4xx turned into a refusal (exit 3). A 401
 * never gets here as a {@link BackendError}: it is a login problem, not a
 * refusal.
 */
export async function refusing<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    if (
      error instanceof BackendError &&
      error.statusCode >= 400 &&
      error.statusCode < 500
    ) {
      throw new RefusedError(error.message);
    }
    throw error;
  }
}

/** The step a failed run stopped at, with the error it logged. */
export interface FailedStep {
  id: string;
  name: string;
  action: string;
  message: string;
}

/**
 * A run as `runs show` and the waiting commands print it in JSON: the
 * platform's run record, with the scaffolder's status (the journal learns
 * of a new status a poll interval later), the failed step and the outcome.
 */
export interface RunReport extends PlatformRun {
  /** The scaffolder ends a cancelled run as `failed`; this says it was cancelled. */
  cancelled: boolean;
  failedStep?: FailedStep;
  outcome: RunOutcome;
}

const RUNNING_STATUSES = ['open', 'processing'];
const PREFLIGHT_ACTION = 'platform:preflight';

/** States in which a resource of a failed run may still exist. */
const NOT_YET_ROLLED_BACK: PlatformResourceState[] = [
  'pending',
  'created',
  'rolling_back',
];

export function isFinal(outcome: RunOutcome): outcome is FinalOutcome {
  return outcome !== 'running' && outcome !== 'rolling_back';
}

export function isRunning(task: Task): boolean {
  return RUNNING_STATUSES.includes(task.status);
}

/** Whether this resource of a failed run is still there. */
export function isLeftOver(resource: PlatformResource): boolean {
  return (
    resource.state === 'rollback_failed' ||
    NOT_YET_ROLLED_BACK.includes(resource.state)
  );
}

/**
 * A log message as a person reads it: the scaffolder keeps the colours of
 * the step's logger and its `info:` prefix in the text.
 */
export function cleanMessage(message: string | undefined): string {
  return stripVTControlCharacters(message ?? '').replace(/^info: /, '');
}

/**
 * The events of the run's last attempt: a retry keeps the log of the
 * attempts before it, all but their end, and marks where it starts.
 */
function lastAttempt(events: LogEvent[]): LogEvent[] {
  const retried = events.findLastIndex(event => event.type === 'recovered');
  return events.slice(retried + 1);
}

function findFailedStep(
  task: Task,
  events: LogEvent[],
): FailedStep | undefined {
  const failure = events.findLast(
    event => event.body.status === 'failed' && event.body.stepId,
  );
  const step = task.spec.steps.find(s => s.id === failure?.body.stepId);
  if (!failure || !step) {
    return undefined;
  }
  return {
    id: step.id,
    name: step.name,
    action: step.action,
    message: cleanMessage(failure.body.message),
  };
}

/**
 * The run as the runs API describes it, with the scaffolder's status and
 * fields: also for a run that journaled nothing.
 */
export function toPlatformRun(task: Task, run?: PlatformRun): PlatformRun {
  return {
    taskId: task.id,
    status: task.status,
    templateRef: task.spec.templateInfo?.entityRef,
    createdBy: task.createdBy,
    createdAt: task.createdAt,
    ...(run?.cancelledBy ? { cancelledBy: run.cancelledBy } : {}),
    resources: run?.resources ?? [],
  };
}

/** The run from its task, its log and its journal record, if any. */
export function reportRun(options: {
  task: Task;
  events: LogEvent[];
  run?: PlatformRun;
}): RunReport {
  const { task, events, run } = options;
  const platformRun = toPlatformRun(task, run);
  const { resources } = platformRun;
  const attempt = lastAttempt(events);
  const failedStep = isRunning(task)
    ? undefined
    : findFailedStep(task, attempt);
  const report = {
    ...platformRun,
    cancelled: attempt.some(event => event.type === 'cancelled'),
    ...(failedStep ? { failedStep } : {}),
  };
  let outcome: RunOutcome;
  if (isRunning(task)) {
    outcome = 'running';
  } else if (task.status !== 'failed' && task.status !== 'cancelled') {
    outcome = 'completed';
  } else if (
    resources.length === 0 &&
    failedStep?.action === PREFLIGHT_ACTION
  ) {
    outcome = 'refused';
  } else if (resources.some(r => NOT_YET_ROLLED_BACK.includes(r.state))) {
    outcome = 'rolling_back';
  } else if (resources.some(r => r.state === 'rollback_failed')) {
    outcome = 'left_over';
  } else {
    outcome = 'rolled_back';
  }
  return { ...report, outcome };
}
