import {
  Content,
  InfoCard,
  Link,
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { PlatformRun } from '@internal/plugin-platform-common';
import { ComponentType, ReactNode } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { platformApiRef } from '../../api/PlatformApi';
import { ResourcesTable } from '../ResourcesTable';
import {
  EmptyMessage,
  FailureMessage,
  LoadingMessage,
} from '../StatusMessages';

const RUN_STATUSES: Record<string, ComponentType<{ children?: ReactNode }>> = {
  completed: StatusOK,
  failed: StatusError,
  processing: StatusRunning,
  cancelled: StatusAborted,
};

function RunCard(props: { run: PlatformRun }) {
  const { run } = props;
  const Status = RUN_STATUSES[run.status] ?? StatusPending;
  const taskPath = `/create/tasks/${encodeURIComponent(run.taskId)}`;
  return (
    <Box mb={2} data-testid="platform-run">
      <InfoCard
        title={
          <Link to={taskPath} data-testid="run-task-link">
            {`Task ${run.taskId}`}
          </Link>
        }
        subheader={
          <span>
            <Status>{run.status}</Status>
            {[
              run.templateRef && ` · template ${run.templateRef}`,
              run.createdBy && ` · started by ${run.createdBy}`,
              ` · ${new Date(run.createdAt).toLocaleString()}`,
            ]
              .filter(Boolean)
              .join('')}
          </span>
        }
      >
        {run.resources.length === 0 ? (
          <EmptyMessage text="This run recorded no resources." />
        ) : (
          <ResourcesTable run={run} />
        )}
      </InfoCard>
    </Box>
  );
}

/** @public */
export interface RunsPageProps {
  /** Shown above the list; a default explanation unless set. */
  intro?: string;
}

/**
 * The scaffolder runs that used platform actions: each resource they created,
 * where it stands, and how its rollback went, linking to the task page.
 *
 * @public
 */
export function RunsPage(props: RunsPageProps) {
  const platformApi = useApi(platformApiRef);
  const {
    value: runs,
    loading,
    error,
  } = useAsync(() => platformApi.listRuns(), [platformApi]);

  let body;
  if (loading) {
    body = <LoadingMessage text="Loading platform runs…" />;
  } else if (error) {
    body = (
      <FailureMessage title="Could not load the platform runs." error={error} />
    );
  } else if (!runs || runs.length === 0) {
    body = (
      <EmptyMessage text="No run has used a platform action yet. Runs appear here once a template with platform actions has run." />
    );
  } else {
    body = runs.map(run => <RunCard key={run.taskId} run={run} />);
  }

  return (
    <Content>
      <Box mb={2}>
        <Typography variant="body1">
          {props.intro ??
            'Each run lists the resources its platform actions created. When a run fails, they are rolled back newest first; a failed rollback says why.'}
        </Typography>
      </Box>
      <div data-testid="platform-runs">{body}</div>
    </Content>
  );
}
