import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { DependencyRow } from '@internal/plugin-platform-common';
import { LifecycleBadge } from '../LifecycleBadge';
import { OwnerLink } from '../OwnerLink';
import { EmptyMessage } from '../StatusMessages';

/** @public */
export interface DependencyTableProps {
  /** Names the table for screen readers and tests. */
  label: string;
  rows: DependencyRow[];
  emptyText: string;
}

/** One line per neighbour: who, how, how critical, how mature, whose. */
export function DependencyTable(props: DependencyTableProps) {
  const { label, rows, emptyText } = props;
  if (rows.length === 0) {
    return <EmptyMessage text={emptyText} />;
  }
  return (
    <Table size="small" aria-label={label}>
      <TableHead>
        <TableRow>
          <TableCell>Entity</TableCell>
          <TableCell>Type</TableCell>
          <TableCell>Critical</TableCell>
          <TableCell>Lifecycle</TableCell>
          <TableCell>Owner</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {rows.map(row => (
          <TableRow key={`${row.ref} ${row.type}`}>
            <TableCell>
              {row.node ? (
                <EntityRefLink entityRef={row.ref}>
                  {row.node.title}
                </EntityRefLink>
              ) : (
                <>
                  {row.ref}
                  <Typography variant="caption" color="error" display="block">
                    not in the catalog
                  </Typography>
                </>
              )}
            </TableCell>
            <TableCell>{row.type}</TableCell>
            <TableCell>
              {row.critical ? (
                <Chip size="small" color="secondary" label="critical" />
              ) : (
                'no'
              )}
            </TableCell>
            <TableCell>
              {row.node ? (
                <LifecycleBadge lifecycle={row.node.lifecycle} />
              ) : (
                '—'
              )}
            </TableCell>
            <TableCell>
              {row.node ? <OwnerLink ownerRef={row.node.owner} /> : '—'}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
