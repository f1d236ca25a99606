import { InfoCard } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Alert from '@material-ui/lab/Alert';
import { DefaultTemplateOutputs } from '@backstage/plugin-scaffolder-react/alpha';
import { ComponentProps } from 'react';
import { useParams } from 'react-router-dom';
import { isFailedRun, summarizeRun } from '../../lib/runs';
import { ResourcesTable } from '../ResourcesTable';
import { FailureMessage } from '../StatusMessages';
import { usePolledRun } from './usePolledRun';

/** @public */
export interface RollbackPanelProps {
  taskId: string;
  /** Whether the page has received the task's outputs. */
  outputReceived: boolean;
  /** How often the run is read again until it settles. */
  pollIntervalMs?: number;
}

/**
 * What a task's platform actions created and, after a failure, how each
 * resource's rollback went, kept up to date until nothing more changes.
 * Shows nothing for a task that recorded no resource, and nothing while the
 * first answer is on its way: most tasks have no record, and a flashing
 * progress bar would promise a panel that never comes.
 */
export function RollbackPanel(props: RollbackPanelProps) {
  const { run, loaded, error } = usePolledRun({
    taskId: props.taskId,
    intervalMs: props.pollIntervalMs ?? 2000,
    outputReceived: props.outputReceived,
  });
  if (!loaded) {
    return null;
  }
  const failure = error && (
    <FailureMessage
      title="Could not read what this run created. Reload the page to try again."
      error={error}
    />
  );
  if (!run || run.resources.length === 0) {
    return failure ? <Box paddingBottom={2}>{failure}</Box> : null;
  }
  const summary = summarizeRun(run);
  return (
    <Box paddingBottom={2} data-testid="platform-rollback">
      <InfoCard
        title={isFailedRun(run) ? 'Rollback' : 'Created resources'}
        titleTypographyProps={{ component: 'h2' }}
      >
        <Box mb={2}>
          <Alert severity={summary.severity} data-testid="rollback-summary">
            {summary.text}
          </Alert>
        </Box>
        {failure && <Box mb={2}>{failure}</Box>}
        <ResourcesTable run={run} />
      </InfoCard>
    </Box>
  );
}

/** @public */
export type RollbackOutputsProps = ComponentProps<
  typeof DefaultTemplateOutputs
> & {
  /** How often the run is read again until it settles. */
  pollIntervalMs?: number;
};

/**
 * The task page's outputs for templates with platform actions: the stock
 * outputs unchanged, then the rollback panel of the task in the page's URL.
 */
export function RollbackOutputs(props: RollbackOutputsProps) {
  const { output, pollIntervalMs } = props;
  const { taskId } = useParams();
  return (
    <>
      <DefaultTemplateOutputs output={output} />
      {taskId && (
        <RollbackPanel
          taskId={taskId}
          outputReceived={output !== undefined}
          pollIntervalMs={pollIntervalMs}
        />
      )}
    </>
  );
}
