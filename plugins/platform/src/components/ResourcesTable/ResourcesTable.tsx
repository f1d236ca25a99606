import {
  Link,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
} from '@backstage/core-components';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  PlatformResource,
  PlatformRun,
} from '@internal/plugin-platform-common';
import { ComponentType, ReactNode } from 'react';
import {
  describeResourceState,
  ResourceStateDescription,
} from '../../lib/runs';

const STATUS_ICONS: Record<
  ResourceStateDescription['tone'],
  ComponentType<{ children?: ReactNode }>
> = {
  ok: StatusOK,
  pending: StatusPending,
  running: StatusRunning,
  error: StatusError,
};

function ResourceState(props: {
  resource: PlatformResource;
  run: PlatformRun;
}) {
  const { resource, run } = props;
  const { label, tone } = describeResourceState(resource, run);
  const Status = STATUS_ICONS[tone];
  return (
    <span data-testid="resource-state">
      <Status>{label}</Status>
      {/* A rolled back resource's reason is already part of its label. */}
      {resource.state === 'rollback_failed' && resource.reason && (
        <Typography variant="body2" color="error" data-testid="resource-reason">
          {resource.reason}
        </Typography>
      )}
    </span>
  );
}

/** @public */
export interface ResourcesTableProps {
  run: PlatformRun;
}

/**
 * The resources a run created, in the order it created them, each with
 * where it stands and, when its rollback failed, why.
 */
export function ResourcesTable(props: ResourcesTableProps) {
  const { run } = props;
  return (
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
              <ResourceState resource={resource} run={run} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
