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
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  catalogApiRef,
  humanizeEntityRef,
} from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  PlatformRollbackSummary,
  PlatformRun,
  PlatformRunOwnerFilter,
} from '@internal/plugin-platform-common';
import { ComponentType, Fragment, ReactNode, useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import { platformApiRef } from '../../api/PlatformApi';
import { ResourcesTable } from '../ResourcesTable';
import { CursorPager } from '../CursorPager';
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
  expired: StatusAborted,
};

const WHOSE_CHOICES: Array<{ value: PlatformRunOwnerFilter; label: string }> = [
  { value: 'all', label: 'All runs I may see' },
  { value: 'mine', label: 'Mine' },
  { value: 'my-teams', label: "My teams'" },
];

const STATUS_CHOICES = [
  'processing',
  'completed',
  'failed',
  'cancelled',
  'expired',
];

/** The page's filters and page, as kept in the query string. */
interface RunsLocation {
  whose: PlatformRunOwnerFilter;
  status?: string;
  template?: string;
  cursor?: string;
}

function readRunsLocation(params: URLSearchParams): RunsLocation {
  const whose = WHOSE_CHOICES.find(c => c.value === params.get('whose'));
  return {
    whose: whose?.value ?? 'all',
    status: params.get('status') || undefined,
    template: params.get('template') || undefined,
    cursor: params.get('cursor') || undefined,
  };
}

function writeRunsLocation(location: RunsLocation): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(location)) {
    if (value && !(key === 'whose' && value === 'all')) {
      params.set(key, value);
    }
  }
  return params;
}

/** "45 s", "1 min 30 s", "2 h 5 min". */
function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) {
    return `${seconds} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return seconds % 60 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
  }
  return minutes % 60
    ? `${Math.floor(minutes / 60)} h ${minutes % 60} min`
    : `${Math.floor(minutes / 60)} h`;
}

function describeRollback(summary: PlatformRollbackSummary): string {
  return [
    summary.rolledBack > 0 && `${summary.rolledBack} rolled back`,
    summary.inProgress > 0 && `${summary.inProgress} rolling back`,
    summary.failed > 0 && `${summary.failed} left over`,
  ]
    .filter(Boolean)
    .join(', ');
}

function humanize(ref: string, defaultKind: string): string {
  try {
    return humanizeEntityRef(parseEntityRef(ref), { defaultKind });
  } catch {
    return ref;
  }
}

function RunCard(props: {
  run: PlatformRun;
  templateTitles: Map<string, string>;
}) {
  const { run, templateTitles } = props;
  const Status = RUN_STATUSES[run.status] ?? StatusPending;
  const taskPath = `/create/tasks/${encodeURIComponent(run.taskId)}`;
  const template =
    run.templateRef &&
    (templateTitles.get(run.templateRef) ??
      humanize(run.templateRef, 'template'));
  const service = run.serviceName ?? 'A run without a service name';
  const details: ReactNode[] = [
    <Status key="status">{run.status}</Status>,
    run.createdBy && `started by ${humanize(run.createdBy, 'user')}`,
    new Date(run.createdAt).toLocaleString(),
    run.durationMs !== undefined && `took ${formatDuration(run.durationMs)}`,
    run.rollback && `rollback: ${describeRollback(run.rollback)}`,
  ].filter(Boolean);
  return (
    <Box mb={2} data-testid="platform-run">
      <InfoCard
        title={
          <Link to={taskPath}>
            {template ? `${service} (${template})` : service}
          </Link>
        }
        subheader={
          <span data-testid="run-details">
            {details.map((detail, index) => (
              <Fragment key={index}>
                {index > 0 && ' · '}
                {detail}
              </Fragment>
            ))}
          </span>
        }
      >
        {run.resources.length === 0 ? (
          <EmptyMessage text="This run created nothing." />
        ) : (
          <ResourcesTable run={run} />
        )}
      </InfoCard>
    </Box>
  );
}

function FilterSelect(props: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  choices: Array<{ value: string; label: string }>;
}) {
  return (
    <TextField
      select
      id={props.id}
      label={props.label}
      value={props.value}
      onChange={e => props.onChange(e.target.value)}
      variant="outlined"
      size="small"
      style={{ minWidth: 200 }}
      SelectProps={{ displayEmpty: true }}
      InputLabelProps={{ shrink: true }}
    >
      {props.choices.map(choice => (
        <MenuItem key={choice.value} value={choice.value}>
          {choice.label}
        </MenuItem>
      ))}
    </TextField>
  );
}

/** @public */
export interface RunsPageProps {
  /** Shown above the list; a default explanation unless set. */
  intro?: string;
  /** Runs per page; 20 unless set. */
  pageSize?: number;
}

/**
 * The scaffolder runs the user may read, newest first: the service each
 * creates, its template, who started it, when, how long it took, its status
 * and what rollback did with each resource it created. Filtered and paged by
 * the backend, with every choice kept in the URL.
 *
 * @public
 */
export function RunsPage(props: RunsPageProps) {
  const pageSize = props.pageSize ?? 20;
  const platformApi = useApi(platformApiRef);
  const catalogApi = useApi(catalogApiRef);
  const [searchParams, setSearchParams] = useSearchParams();
  const location = useMemo(
    () => readRunsLocation(searchParams),
    [searchParams],
  );
  const { whose, status, template, cursor } = location;

  // A new filter starts again at the first page: no cursor.
  const changeFilters = (change: Partial<RunsLocation>) =>
    setSearchParams(previous => {
      const { cursor: _cursor, ...filters } = readRunsLocation(previous);
      return writeRunsLocation({ ...filters, ...change });
    });
  const goToPage = (next: string) =>
    setSearchParams(previous =>
      writeRunsLocation({ ...readRunsLocation(previous), cursor: next }),
    );

  const page = useAsync(
    () =>
      platformApi.listRuns(
        cursor
          ? { cursor, limit: pageSize }
          : { whose, status, template, limit: pageSize },
      ),
    [platformApi, whose, status, template, cursor, pageSize],
  );

  const templates = useAsync(async () => {
    const { items } = await catalogApi.getEntities({
      filter: { kind: 'template' },
      fields: ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title'],
    });
    return new Map(
      items.map(entity => [
        stringifyEntityRef(entity),
        entity.metadata.title ?? entity.metadata.name,
      ]),
    );
  }, [catalogApi]);
  const templateTitles = templates.value ?? new Map<string, string>();

  const filterInputs = (
    <Box display="flex" flexWrap="wrap" mb={2} style={{ gap: 16 }}>
      <FilterSelect
        id="runs-whose"
        label="Whose runs"
        value={whose}
        onChange={value =>
          changeFilters({ whose: value as PlatformRunOwnerFilter })
        }
        choices={WHOSE_CHOICES}
      />
      <FilterSelect
        id="runs-status"
        label="Status"
        value={status ?? ''}
        onChange={value => changeFilters({ status: value || undefined })}
        choices={[
          { value: '', label: 'Any status' },
          ...STATUS_CHOICES.map(value => ({ value, label: value })),
        ]}
      />
      <FilterSelect
        id="runs-template"
        label="Template"
        value={template ?? ''}
        onChange={value => changeFilters({ template: value || undefined })}
        choices={[
          { value: '', label: 'Any template' },
          ...[...templateTitles].map(([ref, title]) => ({
            value: ref,
            label: title,
          })),
          // A template chosen by link that the catalog no longer has.
          ...(template && !templateTitles.has(template)
            ? [{ value: template, label: humanize(template, 'template') }]
            : []),
        ]}
      />
    </Box>
  );

  let body;
  if (page.error) {
    body = (
      <FailureMessage
        title="Could not load the platform runs."
        error={page.error}
      />
    );
  } else if (!page.value) {
    body = <LoadingMessage text="Loading platform runs…" />;
  } else if (page.value.runs.length === 0) {
    const filtered = whose !== 'all' || status || template || cursor;
    body = (
      <EmptyMessage
        text={
          filtered
            ? 'No run matches these filters.'
            : 'No runs yet. A run appears here as soon as someone starts a template.'
        }
      />
    );
  } else {
    const { runs, totalItems, prevCursor, nextCursor } = page.value;
    body = (
      <>
        <Typography variant="subtitle1" component="h2" gutterBottom>
          {`${totalItems.toLocaleString('en-US')} ${
            totalItems === 1 ? 'run' : 'runs'
          }`}
        </Typography>
        {runs.map(run => (
          <RunCard key={run.taskId} run={run} templateTitles={templateTitles} />
        ))}
        <CursorPager
          label="Pages of runs"
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
      <Box mb={2}>
        <Typography variant="body1">
          {props.intro ??
            'Each run lists the resources it created. When a run fails, they are rolled back newest first; a failed rollback says why.'}
        </Typography>
      </Box>
      {filterInputs}
      <div data-testid="platform-runs">{body}</div>
    </Content>
  );
}
