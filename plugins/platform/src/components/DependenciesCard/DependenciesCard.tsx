import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import {
  DependencySummary,
  DependentsPage,
} from '@internal/plugin-platform-common';
import { platformApiRef } from '../../api/PlatformApi';
import {
  EmptyMessage,
  FailureMessage,
  LoadingMessage,
} from '../StatusMessages';
import { DependencyGraphPicture } from './DependencyGraphPicture';
import { DependencyTable } from './DependencyTable';

/** @public */
export interface DependenciesCardProps {
  /** Card title; "Dependencies" unless set. */
  title?: string;
}

/**
 * The entity's typed dependencies and dependents with their lifecycle and
 * owner, the risky edges, and how many services fail with it. The catalog
 * backend computes all of it, so the card makes one request however many
 * services depend on the entity; further dependents come a page at a time.
 *
 * @public
 */
export function DependenciesCard(props: DependenciesCardProps) {
  const { entity } = useEntity();
  const platformApi = useApi(platformApiRef);
  const entityRef = stringifyEntityRef(entity);
  const entityTitle = entity.metadata.title ?? entity.metadata.name;

  const { value, loading, error } = useAsync(
    () => platformApi.getDependencies(entityRef),
    [platformApi, entityRef],
  );

  let content;
  if (loading) {
    content = <LoadingMessage text="Loading dependencies from the catalog…" />;
  } else if (error) {
    content = (
      <FailureMessage
        title="Could not load the dependencies from the catalog."
        error={error}
      />
    );
  } else if (
    !value ||
    (value.dependencies.length === 0 && value.dependents.totalItems === 0)
  ) {
    content = (
      <EmptyMessage
        text={`${entityTitle} declares no dependencies, and nothing in the catalog depends on it.`}
      />
    );
  } else {
    content = (
      <Summary
        key={entityRef}
        summary={value}
        entityTitle={entityTitle}
        loadDependents={cursor => platformApi.getDependents(entityRef, cursor)}
      />
    );
  }

  return (
    <InfoCard title={props.title ?? 'Dependencies'}>
      <div data-testid="platform-dependencies-card">{content}</div>
    </InfoCard>
  );
}

function Summary(props: {
  summary: DependencySummary;
  entityTitle: string;
  loadDependents: (cursor: string) => Promise<DependentsPage>;
}) {
  const { summary, entityTitle, loadDependents } = props;
  const [dependents, setDependents] = useState(summary.dependents);
  const [{ loading: loadingMore, error: moreError }, loadMore] = useAsyncFn(
    async (cursor: string) => {
      const page = await loadDependents(cursor);
      setDependents(shown => ({
        ...page,
        rows: [...shown.rows, ...page.rows],
      }));
    },
    [loadDependents],
  );
  const radius = summary.blastRadius;
  const unnamed = radius.total - radius.items.length;

  return (
    <>
      {summary.warnings.map(warning => (
        <Alert
          key={warning.message}
          severity="warning"
          data-testid="dependency-warning"
        >
          {warning.message}
        </Alert>
      ))}
      <Box my={2} data-testid="blast-radius">
        <Typography variant="subtitle1">
          {`Blast radius: ${radius.total} ${
            radius.total === 1 ? 'service' : 'services'
          }`}
        </Typography>
        <Typography variant="body2" color="textSecondary">
          {radius.total === 0
            ? `No service depends critically on ${entityTitle}.`
            : `Fail if ${entityTitle} fails, through critical dependencies: ${radius.items
                .map(item => item.title)
                .join(', ')}${unnamed > 0 ? `, and ${unnamed} more` : ''}.`}
        </Typography>
      </Box>
      <DependencyGraphPicture
        entityTitle={entityTitle}
        dependencies={summary.dependencies}
        dependents={dependents.rows}
        dependentsTotal={dependents.totalItems}
      />
      <Typography variant="h6">Depends on</Typography>
      <DependencyTable
        label="Dependencies"
        rows={summary.dependencies}
        emptyText={`${entityTitle} declares no dependencies.`}
      />
      <Box mt={2}>
        <Typography variant="h6">{`Depended on by ${dependents.totalItems} ${
          dependents.totalItems === 1 ? 'entity' : 'entities'
        }`}</Typography>
        <DependencyTable
          label="Dependents"
          rows={dependents.rows}
          emptyText={`Nothing in the catalog depends on ${entityTitle}.`}
        />
        {moreError && (
          <FailureMessage
            title="Could not load more dependents."
            error={moreError}
          />
        )}
        {dependents.nextCursor && (
          <Button
            disabled={loadingMore}
            onClick={() => loadMore(dependents.nextCursor!)}
          >
            Show more dependents
          </Button>
        )}
      </Box>
    </>
  );
}
