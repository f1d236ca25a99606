import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { catalogApiRef, useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import useAsync from 'react-use/esm/useAsync';
import {
  createDependencyGraph,
  describeDependencies,
  describeDependencyWarning,
  loadDependencyEntities,
} from '@internal/plugin-platform-common';
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
 * owner, the risky edges, and how many services fail with it.
 *
 * @public
 */
export function DependenciesCard(props: DependenciesCardProps) {
  const { entity } = useEntity();
  const catalogApi = useApi(catalogApiRef);
  const entityRef = stringifyEntityRef(entity);
  const entityTitle = entity.metadata.title ?? entity.metadata.name;

  const { value, loading, error } = useAsync(async () => {
    const entities = await loadDependencyEntities({
      catalog: catalogApi,
      entity,
    });
    const graph = createDependencyGraph(entities);
    return { graph, view: describeDependencies({ graph, entityRef }) };
  }, [catalogApi, entity, entityRef]);

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
    (value.view.dependencies.length === 0 && value.view.dependents.length === 0)
  ) {
    content = (
      <EmptyMessage
        text={`${entityTitle} declares no dependencies, and nothing in the catalog depends on it.`}
      />
    );
  } else {
    const { graph, view } = value;
    const radius = view.blastRadius.refs;
    content = (
      <>
        {view.warnings.map(warning => {
          const text = describeDependencyWarning(warning, graph);
          return (
            <Alert
              key={text}
              severity="warning"
              data-testid="dependency-warning"
            >
              {text}
            </Alert>
          );
        })}
        <Box my={2} data-testid="blast-radius">
          <Typography variant="subtitle1">
            {`Blast radius: ${radius.length} ${
              radius.length === 1 ? 'service' : 'services'
            }`}
          </Typography>
          <Typography variant="body2" color="textSecondary">
            {radius.length === 0
              ? `No service depends critically on ${entityTitle}.`
              : `Fail if ${entityTitle} fails, through critical dependencies: ${radius
                  .map(ref => graph.node(ref)?.title ?? ref)
                  .join(', ')}.`}
          </Typography>
        </Box>
        <DependencyGraphPicture
          entityTitle={entityTitle}
          dependencies={view.dependencies}
          dependents={view.dependents}
        />
        <Typography variant="h6">Depends on</Typography>
        <DependencyTable
          label="Dependencies"
          rows={view.dependencies}
          emptyText={`${entityTitle} declares no dependencies.`}
        />
        <Box mt={2}>
          <Typography variant="h6">Depended on by</Typography>
          <DependencyTable
            label="Dependents"
            rows={view.dependents}
            emptyText={`Nothing in the catalog depends on ${entityTitle}.`}
          />
        </Box>
      </>
    );
  }

  return (
    <InfoCard title={props.title ?? 'Dependencies'}>
      <div data-testid="platform-dependencies-card">{content}</div>
    </InfoCard>
  );
}
