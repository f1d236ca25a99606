import { PlatformResourceState, summarizeRollback } from './runs';

const run = (status: string, ...states: PlatformResourceState[]) => ({
  status,
  resources: states.map(state => ({ state })),
});

describe('summarizeRollback', () => {
  it('has nothing to say about a completed run or one that created nothing', () => {
    expect(summarizeRollback(run('completed', 'created', 'kept'))).toBe(
      undefined,
    );
    expect(summarizeRollback(run('failed'))).toBe(undefined);
  });

  it('counts what a failed run still has to roll back as in progress', () => {
    expect(
      summarizeRollback(
        run('failed', 'rolled_back', 'created', 'rollback_failed', 'kept'),
      ),
    ).toEqual({ rolledBack: 1, failed: 1, inProgress: 1 });
  });

  it('counts what an expired run left in place as left over', () => {
    expect(summarizeRollback(run('expired', 'created', 'pending'))).toEqual({
      rolledBack: 0,
      failed: 2,
      inProgress: 0,
    });
  });
});
