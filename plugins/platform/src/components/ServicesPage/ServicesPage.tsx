import { Content, Table, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  catalogApiRef,
  EntityRefLink,
  humanizeEntityRef,
} from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import { useMemo, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  filterChoices,
  filterServices,
  SERVICE_FIELDS,
  ServiceRow,
  toServiceRow,
} from '../../lib/services';
import { LifecycleBadge } from '../LifecycleBadge';
import { OwnerLink } from '../OwnerLink';
import {
  EmptyMessage,
  FailureMessage,
  LoadingMessage,
} from '../StatusMessages';

const columns: TableColumn<ServiceRow>[] = [
  {
    title: 'Service',
    field: 'title',
    render: row => (
      <EntityRefLink entityRef={row.ref}>{row.title}</EntityRefLink>
    ),
  },
  { title: 'Description', field: 'description' },
  { title: 'Type', field: 'type' },
  {
    title: 'Owner',
    field: 'owner',
    render: row => <OwnerLink ownerRef={row.owner} />,
  },
  {
    title: 'Lifecycle',
    field: 'lifecycle',
    render: row => <LifecycleBadge lifecycle={row.lifecycle} />,
  },
];

function FilterSelect(props: {
  label: string;
  allLabel: string;
  testId: string;
  value: string;
  onChange: (value: string) => void;
  options: Array<{ value: string; label: string }>;
}) {
  return (
    <TextField
      select
      label={props.label}
      value={props.value}
      onChange={e => props.onChange(e.target.value)}
      variant="outlined"
      size="small"
      style={{ minWidth: 200 }}
      SelectProps={{
        SelectDisplayProps: { 'data-testid': props.testId } as object,
      }}
    >
      <MenuItem value="">{props.allLabel}</MenuItem>
      {props.options.map(option => (
        <MenuItem key={option.value} value={option.value}>
          {option.label}
        </MenuItem>
      ))}
    </TextField>
  );
}

/** @public */
export interface ServicesPageProps {
  /** Rows per page of the table; 20 unless set. */
  pageSize?: number;
}

/**
 * Every Component in the catalog with its description, owner and lifecycle,
 * filtered by team and lifecycle and searchable by name and description.
 *
 * @public
 */
export function ServicesPage(props: ServicesPageProps) {
  const catalogApi = useApi(catalogApiRef);
  const [team, setTeam] = useState('');
  const [lifecycle, setLifecycle] = useState('');
  const [search, setSearch] = useState('');

  const {
    value: rows,
    loading,
    error,
  } = useAsync(async () => {
    const { items } = await catalogApi.getEntities({
      filter: { kind: 'Component' },
      fields: SERVICE_FIELDS,
      order: { field: 'metadata.name', order: 'asc' },
    });
    return items.map(toServiceRow);
  }, [catalogApi]);

  const choices = useMemo(() => filterChoices(rows ?? []), [rows]);
  const shown = useMemo(
    () =>
      filterServices(rows ?? [], {
        team: team || undefined,
        lifecycle: lifecycle || undefined,
        search,
      }),
    [rows, team, lifecycle, search],
  );

  let body;
  if (loading) {
    body = <LoadingMessage text="Loading services from the catalog…" />;
  } else if (error) {
    body = (
      <FailureMessage
        title="Could not load the services from the catalog."
        error={error}
      />
    );
  } else if (!rows || rows.length === 0) {
    body = (
      <EmptyMessage text="The catalog has no services yet. Register a component to see it here." />
    );
  } else {
    body = (
      <>
        <Box display="flex" flexWrap="wrap" mb={2} style={{ gap: 16 }}>
          <TextField
            label="Search services"
            value={search}
            onChange={e => setSearch(e.target.value)}
            variant="outlined"
            size="small"
            inputProps={{ 'data-testid': 'services-search' }}
          />
          <FilterSelect
            label="Team"
            allLabel="All teams"
            testId="services-team-filter"
            value={team}
            onChange={setTeam}
            options={choices.teams.map(ref => ({
              value: ref,
              label: humanizeEntityRef(parseEntityRef(ref), {
                defaultKind: 'group',
              }),
            }))}
          />
          <FilterSelect
            label="Lifecycle"
            allLabel="All lifecycles"
            testId="services-lifecycle-filter"
            value={lifecycle}
            onChange={setLifecycle}
            options={choices.lifecycles.map(value => ({ value, label: value }))}
          />
        </Box>
        <Table<ServiceRow>
          title={`Services (${shown.length} of ${rows.length})`}
          columns={columns}
          data={shown}
          options={{
            search: false,
            paging: shown.length > (props.pageSize ?? 20),
            pageSize: props.pageSize ?? 20,
            padding: 'dense',
          }}
          emptyContent={
            <Box p={2}>
              <EmptyMessage text="No service matches these filters." />
            </Box>
          }
        />
      </>
    );
  }

  return (
    <Content>
      <div data-testid="platform-services">{body}</div>
    </Content>
  );
}
