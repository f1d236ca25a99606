import {
  isChangeKind,
  PlatformResource,
  PlatformResourceState,
  PlatformRun,
} from '@internal/plugin-platform-common';

/** Scaffolder task statuses of a task that has not ended yet. */
const RUNNING_STATUSES = ['open', 'processing'];

/** Task statuses after which the rollback engine undoes the run. */
const ROLLED_BACK_STATUSES = ['failed', 'cancelled'];

/** Resource states the rollback engine still has to act on. */
const UNRESOLVED_STATES: PlatformResourceState[] = [
  'pending',
  'created',
  'rolling_back',
];

export function isTaskRunning(status: string): boolean {
  return RUNNING_STATUSES.includes(status);
}

/** Whether the task failed or was cancelled, so its resources are rolled back. */
export function isFailedRun(run: PlatformRun): boolean {
  return ROLLED_BACK_STATUSES.includes(run.status);
}

/**
 * Whether nothing more will change about the run's resources: the task has
 * ended, and after a failure the rollback has reached every resource.
 */
export function isRunSettled(run: PlatformRun): boolean {
  if (isTaskRunning(run.status)) {
    return false;
  }
  return (
    !isFailedRun(run) ||
    !run.resources.some(r => UNRESOLVED_STATES.includes(r.state))
  );
}

/** How a resource's state should look: the tone picks icon and colour. */
export interface ResourceStateDescription {
  label: string;
  tone: 'ok' | 'pending' | 'running' | 'error';
}

/**
 * A resource's state in words, read against its run: a `created` resource
 * of a failed run is waiting for its rollback, not simply created.
 */
export function describeResourceState(
  resource: PlatformResource,
  run: PlatformRun,
): ResourceStateDescription {
  const failedRun = isFailedRun(run);
  const [doing, done] = isChangeKind(resource.kind)
    ? ['being changed', 'changed']
    : ['being created', 'created'];
  switch (resource.state) {
    case 'pending':
      return failedRun
        ? { label: 'waiting for rollback', tone: 'pending' }
        : { label: doing, tone: 'pending' };
    case 'created':
      return failedRun
        ? { label: 'waiting for rollback', tone: 'pending' }
        : { label: done, tone: 'ok' };
    case 'kept':
      return failedRun
        ? { label: 'kept: its step set rollback: false', tone: 'ok' }
        : {
            label: `${done}; kept even if the run fails (rollback: false)`,
            tone: 'ok',
          };
    case 'rolling_back':
      return { label: 'rolling back', tone: 'running' };
    case 'rolled_back':
      // Runs journaled before the engine recorded the outcome have none.
      return {
        label: `rolled back: ${resource.reason ?? 'deleted or already gone'}`,
        tone: 'ok',
      };
    case 'rollback_failed':
      return { label: 'rollback failed', tone: 'error' };
    default:
      return { label: resource.state, tone: 'pending' };
  }
}

function resources(count: number): string {
  return count === 1 ? '1 resource' : `${count} resources`;
}

/** What a run's resources add up to, in one sentence, with its severity. */
export interface RunSummary {
  text: string;
  severity: 'info' | 'success' | 'error';
}

/**
 * One sentence on where a run and its rollback stand, for the person who
 * started it.
 */
export function summarizeRun(run: PlatformRun): RunSummary {
  const total = run.resources.length;
  if (!isFailedRun(run)) {
    return {
      text:
        run.status === 'completed'
          ? `This run completed and created ${resources(total)}.`
          : `This run is in progress and has created ${resources(
              total,
            )} so far.`,
      severity: 'info',
    };
  }

  const ended =
    run.status === 'cancelled' ? 'This run was cancelled' : 'This run failed';
  const kept = run.resources.filter(r => r.state === 'kept').length;
  if (total > 0 && kept === total) {
    return {
      text: `${ended}: it keeps the ${resources(
        total,
      )} it created, since their steps set rollback: false.`,
      severity: 'info',
    };
  }
  const except = kept > 0 ? `, except ${resources(kept)} kept on purpose` : '';
  const failed = run.resources.filter(
    r => r.state === 'rollback_failed',
  ).length;
  if (!isRunSettled(run)) {
    return {
      text: `${ended}: everything it created is being removed${except}.`,
      severity: 'info',
    };
  }
  if (failed > 0) {
    return {
      text: `${ended}: ${resources(failed)} could not be removed.`,
      severity: 'error',
    };
  }
  return {
    text: `${ended}: everything it created was removed${except}.`,
    severity: 'success',
  };
}
