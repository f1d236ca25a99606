import {
  Content,
  InfoCard,
  Link,
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  PlatformResource,
  PlatformResourceState,
  PlatformRun,
} from '@internal/plugin-platform-common';
import { ComponentType, ReactNode } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { platformApiRef } from '../../api/PlatformApi';
import {
  EmptyMessage,
  FailureMessage,
  LoadingMessage,
} from '../StatusMessages';

const RESOURCE_STATES: Record<
  PlatformResourceState,
  { label: string; Status: ComponentType<{ children?: ReactNode }> }
> = {
  pending: { label: 'pending', Status: StatusPending },
  created: { label: 'created', Status: StatusOK },
  kept: { label: 'kept', Status: StatusOK },
  rolling_back: { label: 'rolling back', Status: StatusRunning },
  rolled_back: { label: 'rolled back', Status: StatusWarning },
  rollback_failed: { label: 'rollback failed', Status: StatusError },
};

const RUN_STATUSES: Record<string, ComponentType<{ children?: ReactNode }>> = {
  completed: StatusOK,
  failed: StatusError,
  processing: StatusRunning,
  cancelled: StatusAborted,
};

function ResourceState(props: { resource: PlatformResource }) {
  const { resource } = props;
  const { label, Status } = RESOURCE_STATES[resource.state] ?? {
    label: resource.state,
    Status: StatusPending,
  };
  return (
    <span data-testid="resource-state">
      <Status>{label}</Status>
      {resource.reason && (
        <Typography variant="body2" color="error" data-testid="resource-reason">
          {resource.reason}
        </Typography>
      )}
    </span>
  );
}

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
          <Table size="small" aria-label={`Resources of task ${run.taskId}`}>
            <TableHead>
              <TableRow>
                <TableCell>Step</TableCell>
                <TableCell>Resource</TableCell>
                <TableCell>Identity</TableCell>
                <TableCell>State</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {run.resources.map(resource => (
                <TableRow key={resource.id}>
                  <TableCell>{resource.stepId}</TableCell>
                  <TableCell>{resource.kind}</TableCell>
                  <TableCell>
                    {resource.url ? (
                      <Link to={resource.url}>{resource.identity}</Link>
                    ) : (
                      resource.identity
                    )}
                  </TableCell>
                  <TableCell>
                    <ResourceState resource={resource} />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
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
