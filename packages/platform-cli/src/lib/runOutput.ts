import {
  PlatformResource,
  PlatformRun,
} from '@internal/plugin-platform-common';
import { printFields, printTable, shortRef } from './output';
import { isLeftOver, RunReport } from './runs';

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** `rolled_back` as `rolled back`. */
function words(state: string): string {
  return state.replace(/_/g, ' ');
}

/** What became of a resource, with the rollback's reason where it gave one. */
function describeResource(
  resource: PlatformResource,
  report: RunReport,
): string {
  if (resource.state === 'kept') {
    return 'kept: its step set rollback: false';
  }
  if (report.outcome === 'left_over' && isLeftOver(resource)) {
    return resource.state === 'rollback_failed'
      ? `rollback failed: ${resource.reason ?? 'no reason given'}`
      : `${words(resource.state)}, not rolled back`;
  }
  const state = words(resource.state);
  return resource.reason ? `${state}: ${resource.reason}` : state;
}

/** One sentence on how the run ended, or where it stands. */
export function describeOutcome(report: RunReport): string {
  const by = report.cancelledBy ? ` by ${report.cancelledBy}` : '';
  const ended = report.cancelled ? `Cancelled${by}` : 'Failed';
  const { resources } = report;
  const kept = resources.filter(r => r.state === 'kept').length;
  switch (report.outcome) {
    case 'running':
      return `Running; ${count(resources.length, 'resource')} created so far`;
    case 'completed':
      return `Completed; created ${count(resources.length, 'resource')}`;
    case 'refused':
      return 'Refused by the preflight before anything was created';
    case 'rolling_back':
      return `${ended}; what it created is being rolled back`;
    case 'left_over':
      return `${ended}; ${count(
        resources.filter(isLeftOver).length,
        'resource',
      )} left over: see the resources below`;
    default:
      if (resources.length === 0) {
        return `${ended} before creating anything`;
      }
      return `${ended}; everything it created was rolled back${
        kept > 0 ? `, except ${count(kept, 'resource')} kept on purpose` : ''
      }`;
  }
}

/** A run for a person: its fields, how it ended, and each resource. */
export function printRunReport(report: RunReport): void {
  const { failedStep, resources } = report;
  const fields: Array<[string, string[]]> = [
    ['Run', [report.taskId]],
    ['Template', [report.templateRef ?? '-']],
    ['Status', [report.status]],
    ['Created by', [report.createdBy ?? '-']],
    ['Created', [report.createdAt]],
  ];
  if (failedStep) {
    const { id, name, message } = failedStep;
    fields.push(['Failed step', `${id} (${name}): ${message}`.split('\n')]);
  }
  fields.push(
    ['Outcome', [describeOutcome(report)]],
    ['Resources', [resources.length === 0 ? 'none' : '']],
  );
  printFields(fields);
  if (resources.length > 0) {
    printTable([
      ['  STEP', 'KIND', 'IDENTITY', 'STATE'],
      ...resources.map(resource => [
        `  ${resource.stepId}`,
        resource.kind,
        resource.identity,
        describeResource(resource, report),
      ]),
    ]);
  }
}

/** The resources of a run in a few words: `4 rolled back`, `2 created, 1 kept`. */
export function summarizeResources(resources: PlatformResource[]): string {
  const states = new Map<string, number>();
  for (const { state } of resources) {
    states.set(state, (states.get(state) ?? 0) + 1);
  }
  const parts = [...states].map(([state, n]) => `${n} ${words(state)}`);
  return parts.length > 0 ? parts.join(', ') : '-';
}

/** Runs as a table, newest first, one line each. */
export function printRunsTable(runs: PlatformRun[]): void {
  if (runs.length === 0) {
    process.stdout.write('No runs match.\n');
    return;
  }
  printTable([
    [
      'ID',
      'SERVICE',
      'STATUS',
      'TEMPLATE',
      'CREATED BY',
      'CREATED',
      'RESOURCES',
    ],
    ...runs.map(run => [
      run.taskId,
      run.serviceName ?? '-',
      run.status,
      run.templateRef ? shortRef(run.templateRef, 'template') : '-',
      run.createdBy ? shortRef(run.createdBy, 'user') : '-',
      run.createdAt,
      summarizeResources(run.resources),
    ]),
  ]);
}
