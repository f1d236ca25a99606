import type { LogEvent } from '@backstage/plugin-scaffolder-common';
import {
  PlatformResource,
  PlatformResourceState,
} from '@internal/plugin-platform-common';
import { reportRun, RunOutcome } from './runs';
import { Task } from './scaffolder';

const task = (status: Task['status']): Task => ({
  id: 'task-1',
  status,
  createdAt: '2026-11-27T10:00:00Z',
  createdBy: 'user:default/ada',
  spec: {
    apiVersion: 'scaffolder.backstage.io/v1beta3',
    parameters: {},
    output: {},
    templateInfo: { entityRef: 'template:default/microservice' },
    steps: [
      { id: 'render', name: 'Render', action: 'fetch:template' },
      { id: 'preflight', name: 'Check', action: 'platform:preflight' },
      { id: 'deploy', name: 'Deploy', action: 'platform:kubernetes:apply' },
    ],
  },
});

let nextId = 1;
const event = (
  type: LogEvent['type'],
  body: Partial<LogEvent['body']> = {},
): LogEvent => ({
  id: nextId++,
  taskId: 'task-1',
  createdAt: '2026-11-27T10:00:00Z',
  type,
  body: { message: '', ...body },
});

const failedAt = (stepId: string) => [
  event('log', { stepId, status: 'processing', message: 'Beginning step' }),
  event('log', { stepId, status: 'failed', message: `${stepId} broke` }),
  event('completion', { message: 'Run completed with status: failed' }),
];

const resources = (...states: PlatformResourceState[]): PlatformResource[] =>
  states.map((state, index) => ({
    id: `r${index}`,
    taskId: 'task-1',
    stepId: 'deploy',
    kind: 'kubernetes:namespace',
    identity: `local/namespaces/n${index}`,
    state,
    createdAt: '2026-11-27T10:00:00Z',
    updatedAt: '2026-11-27T10:00:00Z',
  }));

describe('reportRun', () => {
  it.each<[string, Task['status'], LogEvent[], PlatformResource[], RunOutcome]>(
    [
      ['a running run', 'processing', [], resources('created'), 'running'],
      ['a completed run', 'completed', [], resources('created'), 'completed'],
      [
        'a run its preflight refused',
        'failed',
        failedAt('preflight'),
        [],
        'refused',
      ],
      [
        'a run that failed before any write',
        'failed',
        failedAt('render'),
        [],
        'rolled_back',
      ],
      [
        'a failed run rolled back, but for what it keeps on purpose',
        'failed',
        failedAt('deploy'),
        resources('rolled_back', 'kept'),
        'rolled_back',
      ],
      [
        'a failed run whose rollback is under way',
        'failed',
        failedAt('deploy'),
        resources('rolled_back', 'created'),
        'rolling_back',
      ],
      [
        'a failed run whose rollback failed',
        'failed',
        failedAt('deploy'),
        resources('rolled_back', 'rollback_failed'),
        'left_over',
      ],
    ],
  )('says %s ends %s', (_what, status, events, journaled, outcome) => {
    const run = {
      taskId: 'task-1',
      status,
      createdAt: '2026-11-27T10:00:00Z',
      resources: journaled,
    };
    expect(reportRun({ task: task(status), events, run }).outcome).toBe(
      outcome,
    );
  });

  it('names the failed step and its error, and says the run was cancelled', () => {
    const report = reportRun({
      task: task('failed'),
      events: [event('cancelled', { stepId: 'deploy' }), ...failedAt('deploy')],
    });
    expect(report).toMatchObject({
      taskId: 'task-1',
      status: 'failed',
      templateRef: 'template:default/microservice',
      createdBy: 'user:default/ada',
      cancelled: true,
      failedStep: {
        id: 'deploy',
        name: 'Deploy',
        action: 'platform:kubernetes:apply',
        message: 'deploy broke',
      },
      resources: [],
    });
  });

  it('reads only the last attempt of a retried run', () => {
    const report = reportRun({
      task: task('completed'),
      // A retry drops the completion of the attempt before it.
      events: [...failedAt('deploy').slice(0, 2), event('recovered')],
    });
    expect(report.outcome).toBe('completed');
    expect(report.failedStep).toBeUndefined();
    expect(report.cancelled).toBe(false);
  });
});
