import { setTimeout as delay } from 'node:timers/promises';
import type { LogEvent } from '@backstage/plugin-scaffolder-common';
import ora from 'ora';
import { OutputFormat, printOutput } from './output';
import { printRunReport } from './runOutput';
import {
  cleanMessage,
  EXIT_CODES,
  FinalOutcome,
  isFinal,
  isLeftOver,
  isRunning,
  reportRun,
  RunReport,
} from './runs';
import { ScaffolderRuns, Task } from './scaffolder';

/**
 * How long a waiting command waits for a failed run's rollback before it
 * reports what is still there. The rollback engine retries one resource's
 * deletion for up to 5 minutes (`platform.rollback.maxDurationPerResource`).
 */
const ROLLBACK_WAIT_MS = 10 * 60_000;
const ROLLBACK_POLL_MS = 500;

/** Shows a run's progress while a command follows it. */
export interface RunProgress {
  event(event: LogEvent): void;
  /** The run has ended; the rollback of `count` resources is under way. */
  rollingBack(count: number): void;
  stop(): void;
}

/** One log event as a line, `[step] message`, for `runs logs` and CI logs. */
export function formatEvent(event: LogEvent): string {
  // The event of a retry carries no message, only the recovery strategy.
  const message =
    event.type === 'recovered'
      ? 'The run was retried'
      : cleanMessage(event.body.message);
  const prefix = event.body.stepId ? `[${event.body.stepId}] ` : '';
  return `${prefix}${message.replace(/\n/g, '\n    ')}\n`;
}

/** Every log line as it comes: for a pipe, a CI log or `-o json` on stderr. */
export function plainProgress(stream: NodeJS.WritableStream): RunProgress {
  return {
    event: event => stream.write(formatEvent(event)),
    rollingBack: count =>
      stream.write(
        `Waiting for the rollback of ${count} resource${
          count === 1 ? '' : 's'
        }\n`,
      ),
    stop: () => {},
  };
}

/**
 * One line a step with a spinner while it runs, for a person at a terminal;
 * the step's latest log line shows beside its name until it ends.
 */
function spinnerProgress(task: Task, spinner: ora.Ora): RunProgress {
  const names = new Map(task.spec.steps.map(step => [step.id, step.name]));
  const nameOf = (stepId: string) => names.get(stepId) ?? stepId;
  return {
    event(event) {
      const { stepId, status } = event.body;
      if (!stepId) {
        return;
      }
      const message = cleanMessage(event.body.message);
      if (status === 'processing') {
        spinner.start(nameOf(stepId));
      } else if (status === 'completed') {
        spinner.succeed(nameOf(stepId));
      } else if (status === 'failed') {
        spinner.fail(`${nameOf(stepId)}: ${message.replace(/\n/g, '\n  ')}`);
      } else if (status === 'skipped') {
        spinner.stopAndPersist({
          symbol: '-',
          text: `${nameOf(stepId)} (skipped)`,
        });
      } else if (spinner.isSpinning) {
        spinner.text = `${nameOf(stepId)}: ${message.split('\n')[0]}`;
      }
    },
    rollingBack(count) {
      spinner.start(`Rolling back ${count} resource${count === 1 ? '' : 's'}`);
    },
    stop() {
      spinner.stop();
    },
  };
}

/**
 * A spinner where a person watches, otherwise every log line: to stdout, or
 * to stderr when stdout carries JSON. A person watches, as ora itself
 * decides, when stderr is a terminal that is not dumb and CI is not set,
 * since a CI log is a file.
 */
export function progressFor(output: OutputFormat): (task: Task) => RunProgress {
  const interactive =
    process.stderr.isTTY &&
    process.env.TERM !== 'dumb' &&
    !('CI' in process.env);
  if (interactive && output !== 'json') {
    return task => spinnerProgress(task, ora({ stream: process.stderr }));
  }
  const stream = output === 'json' ? process.stderr : process.stdout;
  return () => plainProgress(stream);
}

/**
 * Follows a run's log until the run ends, then waits for its rollback, if
 * any, and reports what became of each resource it created.
 */
export async function followRun(options: {
  runs: ScaffolderRuns;
  taskId: string;
  progress: (task: Task) => RunProgress;
  /** Only the log after this event: a retry's, not the attempts' before it. */
  after?: number;
}): Promise<RunReport & { outcome: FinalOutcome }> {
  const { runs, taskId } = options;
  let task = await runs.task(taskId);
  const progress = options.progress(task);
  const events: LogEvent[] = [];
  try {
    for (;;) {
      const batch = await runs.events(
        taskId,
        events.at(-1)?.id ?? options.after,
      );
      for (const event of batch) {
        events.push(event);
        progress.event(event);
      }
      // A retry removes the end of the attempt before it from the log, so
      // the end of an attempt is the end of the run only if the task says so.
      if (batch.some(event => event.type === 'completion')) {
        task = await runs.task(taskId);
        if (!isRunning(task)) {
          break;
        }
      }
    }
    const report = async () =>
      reportRun({ task, events, run: await runs.platformRun(taskId) });
    let current = await report();
    if (current.outcome === 'rolling_back') {
      progress.rollingBack(current.resources.filter(isLeftOver).length);
      const deadline = Date.now() + ROLLBACK_WAIT_MS;
      while (current.outcome === 'rolling_back' && Date.now() < deadline) {
        await delay(ROLLBACK_POLL_MS);
        current = await report();
      }
    }
    const { outcome } = current;
    // Still rolling back at the deadline: what is there now is left over.
    return { ...current, outcome: isFinal(outcome) ? outcome : 'left_over' };
  } finally {
    progress.stop();
  }
}

/**
 * Follows the run to its end and its rollback, prints the outcome (a report
 * for a person, or the report as JSON), and exits with its code.
 */
export async function waitForRun(options: {
  runs: ScaffolderRuns;
  taskId: string;
  output: OutputFormat;
  progress?: (task: Task) => RunProgress;
  after?: number;
}): Promise<void> {
  const { output } = options;
  const report = await followRun({
    ...options,
    progress: options.progress ?? progressFor(output),
  });
  printOutput(output, report, ended => {
    // A blank line between the run's log and the report.
    process.stdout.write('\n');
    printRunReport(ended);
  });
  process.exitCode = EXIT_CODES[report.outcome];
}
