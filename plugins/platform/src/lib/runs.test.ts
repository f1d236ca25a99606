import {
  PlatformResource,
  PlatformResourceState,
  PlatformRun,
} from '@internal/plugin-platform-common';
import { describeResourceState, isRunSettled, summarizeRun } from './runs';

function resource(id: string, state: PlatformResourceState): PlatformResource {
  return {
    id,
    taskId: 'task-1',
    stepId: `step-${id}`,
    kind: 'kubernetes:namespace',
    identity: `prod/ns/${id}`,
    state,
    createdAt: '2026-11-23T10:00:00.000Z',
    updatedAt: '2026-11-23T10:00:00.000Z',
  };
}

function run(status: string, ...states: PlatformResourceState[]): PlatformRun {
  return {
    taskId: 'task-1',
    status,
    createdAt: '2026-11-23T10:00:00.000Z',
    resources: states.map((state, i) => resource(`r${i}`, state)),
  };
}

describe('isRunSettled', () => {
  it.each([
    ['a running task', run('processing', 'created'), false],
    ['a task not started yet', run('open'), false],
    ['a completed task', run('completed', 'created', 'kept'), true],
    ['a failed task before its rollback', run('failed', 'created'), false],
    ['a failed task with an intent', run('failed', 'pending'), false],
    [
      'a rollback under way',
      run('failed', 'rolled_back', 'rolling_back'),
      false,
    ],
    ['a finished rollback', run('failed', 'rolled_back', 'kept'), true],
    ['a rollback that failed', run('cancelled', 'rollback_failed'), true],
  ])('%s: %s', (_, subject, settled) => {
    expect(isRunSettled(subject)).toBe(settled);
  });
});

describe('describeResourceState', () => {
  it.each([
    ['processing', 'pending', 'being created'],
    ['processing', 'created', 'created'],
    ['completed', 'created', 'created'],
    [
      'completed',
      'kept',
      'created; kept even if the run fails (rollback: false)',
    ],
    ['failed', 'pending', 'waiting for rollback'],
    ['failed', 'created', 'waiting for rollback'],
    ['failed', 'kept', 'kept: its step set rollback: false'],
    ['failed', 'rolling_back', 'rolling back'],
    // A run journaled before the engine recorded what it found.
    ['cancelled', 'rolled_back', 'rolled back: deleted or already gone'],
    ['failed', 'rollback_failed', 'rollback failed'],
  ] as const)('a %s run: %s reads "%s"', (status, state, label) => {
    const subject = run(status, state);
    expect(describeResourceState(subject.resources[0], subject).label).toBe(
      label,
    );
  });

  it('says changed, not created, of a change to something the run did not create', () => {
    const subject = run('processing', 'pending', 'created');
    for (const r of subject.resources) {
      r.kind = 'kubernetes:resourcequota-change';
    }
    expect(
      subject.resources.map(r => describeResourceState(r, subject).label),
    ).toEqual(['being changed', 'changed']);
  });

  it('says what the rollback found: deleted, or already gone', () => {
    const subject = run('failed', 'rolled_back', 'rolled_back');
    subject.resources[0].reason = 'deleted';
    subject.resources[1].reason = 'it was already gone';
    expect(
      subject.resources.map(r => describeResourceState(r, subject).label),
    ).toEqual(['rolled back: deleted', 'rolled back: it was already gone']);
  });
});

describe('summarizeRun', () => {
  it.each([
    [
      'This run is in progress and has created 1 resource so far.',
      run('processing', 'created'),
      'info',
    ],
    [
      'This run completed and created 2 resources.',
      run('completed', 'created', 'kept'),
      'info',
    ],
    [
      'This run failed: everything it created is being removed.',
      run('failed', 'rolled_back', 'created'),
      'info',
    ],
    [
      'This run was cancelled: everything it created is being removed.',
      run('cancelled', 'rolling_back'),
      'info',
    ],
    [
      'This run failed: everything it created was removed.',
      run('failed', 'rolled_back', 'rolled_back'),
      'success',
    ],
    [
      'This run failed: everything it created was removed, except 1 resource kept on purpose.',
      run('failed', 'kept', 'rolled_back'),
      'success',
    ],
    [
      'This run failed: 2 resources could not be removed.',
      run('failed', 'rollback_failed', 'rolled_back', 'rollback_failed'),
      'error',
    ],
    [
      'This run failed: it keeps the 2 resources it created, since their steps set rollback: false.',
      run('failed', 'kept', 'kept'),
      'info',
    ],
  ])('says "%s"', (text, subject, severity) => {
    expect(summarizeRun(subject)).toEqual({ text, severity });
  });
});
