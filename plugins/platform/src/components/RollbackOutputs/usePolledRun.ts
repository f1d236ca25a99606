import { useApi } from '@backstage/core-plugin-api';
import { toError } from '@backstage/errors';
import { scaffolderApiRef } from '@backstage/plugin-scaffolder-react';
import { PlatformRun } from '@internal/plugin-platform-common';
import { useEffect, useState } from 'react';
import { platformApiRef } from '../../api/PlatformApi';
import { isRunSettled, isTaskRunning } from '../../lib/runs';

/** What the panel knows about a task's run so far. */
export interface PolledRun {
  /** False until the first answer. */
  loaded: boolean;
  /** Undefined when the task has recorded no resource. */
  run?: PlatformRun;
  error?: Error;
}

/**
 * Reads a task's run again every `intervalMs` until it is settled.
 *
 * The rollback runs after the scaffolder has reported the task complete, so
 * the task's event stream never tells of it; polling the journal does. A
 * task with no record yet is polled while the scaffolder says it is still
 * running, since a later step may create the first resource. Polling stops
 * at the first error: it is shown, and a reload (or the task's outputs
 * arriving) tries again.
 */
export function usePolledRun(options: {
  taskId: string;
  intervalMs: number;
  /**
   * Whether the page has received the task's outputs. When it turns true the
   * run is read again at once, rather than up to an interval after the
   * outputs appeared.
   */
  outputReceived: boolean;
}): PolledRun {
  const { taskId, intervalMs, outputReceived } = options;
  const platformApi = useApi(platformApiRef);
  const scaffolderApi = useApi(scaffolderApiRef);
  // Keyed by task, so another task's run never shows while its own loads.
  const [state, setState] = useState<PolledRun & { taskId?: string }>({
    loaded: false,
  });

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    async function read(): Promise<{ run?: PlatformRun; settled: boolean }> {
      const run = await platformApi.getRun(taskId);
      if (run && !isTaskRunning(run.status)) {
        return { run, settled: isRunSettled(run) };
      }
      // The journal learns a task's end from the rollback engine's next
      // pass; until then the scaffolder's own status is the true one.
      const { status } = await scaffolderApi.getTask(taskId);
      if (!run) {
        return { run, settled: !isTaskRunning(status) };
      }
      const current = { ...run, status };
      return { run: current, settled: isRunSettled(current) };
    }

    async function poll() {
      try {
        const { run, settled } = await read();
        if (stopped) {
          return;
        }
        setState({ taskId, loaded: true, run });
        if (!settled) {
          timer = setTimeout(poll, intervalMs);
        }
      } catch (e) {
        if (!stopped) {
          setState(previous => ({
            ...(previous.taskId === taskId ? previous : {}),
            taskId,
            loaded: true,
            error: toError(e),
          }));
        }
      }
    }

    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [platformApi, scaffolderApi, taskId, intervalMs, outputReceived]);

  return state.taskId === taskId ? state : { loaded: false };
}
