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
import Typography from '@material-ui/core/Typography';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import useDebounce from 'react-use/esm/useDebounce';
import {
  DEFAULT_SERVICE_TYPE,
  filterChoices,
  readServicesLocation,
  SERVICE_FACETS_REQUEST,
  ServiceFilters,
  ServiceRow,
  servicesCountQuery,
  servicesQuery,
  toServiceRow,
  writeServicesLocation,
} from '../../lib/services';
import { LifecycleBadge } from '../LifecycleBadge';
import { OwnerLink } from '../OwnerLink';
import { CursorPager } from '../CursorPager';
import {
  EmptyMessage,
  FailureMessage,
  LoadingMessage,
} from '../StatusMessages';

// Long enough that typing a word sends one request, short enough to feel live.
const SEARCH_DEBOUNCE_MS = 300;

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
  {
    title: 'Warnings',
    field: 'warnings',
    render: row =>
      row.warnings.map(warning => (
        <Typography key={warning} variant="body2" color="error">
          {warning}
        </Typography>
      )),
  },
];

interface FilterSelectProps {
  /** Links the visible label to the control, which gives it its name. */
  id: string;
  label: string;
  allLabel: string;
  /** Undefined for the "all" choice. */
  value?: string;
  onChange: (value: string | undefined) => void;
  options: Array<{ value: string; label: string }>;
}

function FilterSelect(props: FilterSelectProps) {
  return (
    <TextField
      select
      id={props.id}
      label={props.label}
      value={props.value ?? ''}
      onChange={e => props.onChange(e.target.value || undefined)}
      variant="outlined"
      size="small"
      style={{ minWidth: 200 }}
      // Shows the "all" choice by name instead of an empty box.
      SelectProps={{ displayEmpty: true }}
      InputLabelProps={{ shrink: true }}
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
 * The Components of the catalog, services unless another type is chosen,
 * with owner, lifecycle and policy warnings; filtered, searched and paged by
 * the catalog, with every choice kept in the URL.
 *
 * @public
 */
export function ServicesPage(props: ServicesPageProps) {
  const pageSize = props.pageSize ?? 20;
  const catalogApi = useApi(catalogApiRef);
  const [searchParams, setSearchParams] = useSearchParams();
  const location = useMemo(
    () => readServicesLocation(searchParams),
    [searchParams],
  );
  const { filters } = location;
  const { type, team, lifecycle, search } = filters;

  // Built from the query string at the time of the change rather than from
  // this render's, so a late search update cannot undo a filter chosen since.
  // A new filter starts again at the first page: no cursor.
  const changeFilters = (
    change: Partial<ServiceFilters>,
    options?: { replace?: boolean },
  ) =>
    setSearchParams(
      previous =>
        writeServicesLocation({
          filters: { ...readServicesLocation(previous).filters, ...change },
        }),
      options,
    );
  const goToPage = (cursor: string) =>
    setSearchParams(previous =>
      writeServicesLocation({ ...readServicesLocation(previous), cursor }),
    );

  const [searchText, setSearchText] = useState(search ?? '');
  // The field follows the URL when back, forward or a link change the search,
  // but not when the URL catches up with what the field sent, which would
  // drop letters typed in between.
  const sentSearch = useRef(search);
  useEffect(() => {
    if (search !== sentSearch.current) {
      sentSearch.current = search;
      setSearchText(search ?? '');
    }
  }, [search]);
  useDebounce(
    () => {
      const typed = searchText || undefined;
      if (typed !== sentSearch.current) {
        sentSearch.current = typed;
        // Replaced rather than pushed: a pause in typing is not a place to
        // go back to.
        changeFilters({ search: typed }, { replace: true });
      }
    },
    SEARCH_DEBOUNCE_MS,
    [searchText],
  );

  const page = useAsync(async () => {
    const { items, pageInfo } = await catalogApi.queryEntities(
      servicesQuery({ location, limit: pageSize }),
    );
    return { rows: items.map(toServiceRow), pageInfo };
  }, [catalogApi, location, pageSize]);

  // Keyed on the filters alone: paging does not change the count.
  const count = useAsync(async () => {
    const request = servicesCountQuery({ type, team, lifecycle, search });
    return (await catalogApi.queryEntities(request)).totalItems;
  }, [catalogApi, type, team, lifecycle, search]);

  const facets = useAsync(
    () => catalogApi.getEntityFacets(SERVICE_FACETS_REQUEST),
    [catalogApi],
  );
  const choices = useMemo(
    () => filterChoices({ facets: facets.value?.facets ?? {}, filters }),
    [facets.value, filters],
  );

  const filterInputs = (
    <Box display="flex" flexWrap="wrap" mb={2} style={{ gap: 16 }}>
      <TextField
        id="services-search"
        label="Search services"
        type="search"
        value={searchText}
        onChange={e => setSearchText(e.target.value)}
        variant="outlined"
        size="small"
      />
      <FilterSelect
        id="services-type"
        label="Type"
        allLabel="All types"
        value={type}
        onChange={value => changeFilters({ type: value })}
        options={choices.types.map(value => ({ value, label: value }))}
      />
      <FilterSelect
        id="services-team"
        label="Team"
        allLabel="All teams"
        value={team}
        onChange={value => changeFilters({ team: value })}
        options={choices.teams.map(ref => ({
          value: ref,
          label: humanizeEntityRef(parseEntityRef(ref), {
            defaultKind: 'group',
          }),
        }))}
      />
      <FilterSelect
        id="services-lifecycle"
        label="Lifecycle"
        allLabel="All lifecycles"
        value={lifecycle}
        onChange={value => changeFilters({ lifecycle: value })}
        options={choices.lifecycles.map(value => ({ value, label: value }))}
      />
    </Box>
  );

  const unfiltered =
    type === DEFAULT_SERVICE_TYPE &&
    !team &&
    !lifecycle &&
    !search &&
    !location.cursor;

  let body;
  if (page.error) {
    body = (
      <FailureMessage
        title="Could not load the services from the catalog."
        error={page.error}
      />
    );
  } else if (!page.value) {
    body = <LoadingMessage text="Loading services from the catalog…" />;
  } else {
    const { rows, pageInfo } = page.value;
    const { prevCursor, nextCursor } = pageInfo;
    const noun = type === DEFAULT_SERVICE_TYPE ? 'Services' : 'Components';
    const title =
      count.loading || count.value === undefined
        ? noun
        : `${noun} (${count.value.toLocaleString('en-US')})`;
    body = (
      <>
        <Table<ServiceRow>
          title={title}
          columns={columns}
          data={rows}
          isLoading={page.loading}
          options={{
            search: false,
            // The catalog sorts and pages; sorting one page would mislead.
            sorting: false,
            paging: false,
            padding: 'dense',
          }}
          emptyContent={
            <Box p={2}>
              <EmptyMessage
                text={
                  unfiltered
                    ? 'The catalog has no services yet. Register a component to see it here.'
                    : 'No service matches these filters.'
                }
              />
            </Box>
          }
        />
        <CursorPager
          label="Pages of the table"
          prevCursor={prevCursor}
          nextCursor={nextCursor}
          loading={page.loading}
          onPage={goToPage}
        />
      </>
    );
  }

  return (
    <Content>
      <div data-testid="platform-services">
        {filterInputs}
        {facets.error && (
          <Box mb={2}>
            <FailureMessage
              title="Could not load the choices of the filters."
              error={facets.error}
            />
          </Box>
        )}
        {count.error && !page.error && (
          <Box mb={2}>
            <FailureMessage
              title="Could not count the services."
              error={count.error}
            />
          </Box>
        )}
        {body}
      </div>
    </Content>
  );
}
