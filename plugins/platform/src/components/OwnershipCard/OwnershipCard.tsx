import { InfoCard, Link } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { catalogApiRef, useEntity } from '@backstage/plugin-catalog-react';
import Typography from '@material-ui/core/Typography';
import {
  ANNOTATION_DOCS_URL,
  ANNOTATION_ON_CALL_URL,
  ANNOTATION_REPOSITORY_URL,
  readOwnerAndLifecycle,
  readOwnership,
  readRepositoryUrl,
} from '@internal/plugin-platform-common';
import { ReactNode } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { FactList } from '../FactList';
import { LifecycleBadge } from '../LifecycleBadge';
import { OwnerLink } from '../OwnerLink';

/** @public */
export interface OwnershipCardProps {
  /** Card title; "Ownership" unless set. */
  title?: string;
}

function UrlOrHint(props: {
  url?: string;
  text: string;
  missing: string;
  annotation: string;
}) {
  if (props.url) {
    return <Link to={props.url}>{props.text}</Link>;
  }
  return (
    <Typography variant="body2" color="textSecondary" component="span">
      {`${props.missing} Add the annotation ${props.annotation}.`}
    </Typography>
  );
}

function OwnerTeam(props: { ownerRef?: string }) {
  const { ownerRef } = props;
  const catalogApi = useApi(catalogApiRef);
  const {
    value: found,
    loading,
    error,
  } = useAsync(async () => {
    if (!ownerRef) {
      return undefined;
    }
    // Only whether the group exists matters, not its members.
    const { items } = await catalogApi.getEntitiesByRefs({
      entityRefs: [ownerRef],
      fields: ['kind'],
    });
    return Boolean(items[0]);
  }, [catalogApi, ownerRef]);

  if (!ownerRef) {
    return (
      <Typography variant="body2" color="textSecondary" component="span">
        No owner declared. Set spec.owner.
      </Typography>
    );
  }
  let note: ReactNode = undefined;
  if (loading) {
    note = ' (checking the catalog…)';
  } else if (error) {
    note = ` (could not check the catalog: ${error.message})`;
  } else if (found === false) {
    note = ' (this team is not in the catalog)';
  }
  return (
    <span>
      <OwnerLink ownerRef={ownerRef} />
      {note && (
        <Typography
          variant="body2"
          color={found === false || error ? 'error' : 'textSecondary'}
          component="span"
        >
          {note}
        </Typography>
      )}
    </span>
  );
}

/**
 * Who owns the entity and where to go when it breaks: owning team, on-call
 * rotation, repository, documentation and lifecycle.
 *
 * @public
 */
export function OwnershipCard(props: OwnershipCardProps) {
  const { entity } = useEntity();
  const ownership = readOwnership(entity);
  const repositoryUrl = readRepositoryUrl(entity);
  const { owner, lifecycle } = readOwnerAndLifecycle(entity);
  const rows: Array<[string, ReactNode]> = [
    ['Owner', <OwnerTeam ownerRef={owner} />],
    [
      'On call',
      <UrlOrHint
        url={ownership.onCallUrl}
        text="On-call rotation"
        missing="No on-call rotation declared."
        annotation={ANNOTATION_ON_CALL_URL}
      />,
    ],
    [
      'Repository',
      <UrlOrHint
        url={repositoryUrl}
        text={repositoryUrl ?? ''}
        missing="No repository declared."
        annotation={ANNOTATION_REPOSITORY_URL}
      />,
    ],
    [
      'Documentation',
      <UrlOrHint
        url={ownership.docsUrl}
        text="Documentation"
        missing="No documentation declared."
        annotation={ANNOTATION_DOCS_URL}
      />,
    ],
    ['Lifecycle', <LifecycleBadge lifecycle={lifecycle} />],
  ];
  return (
    <InfoCard title={props.title ?? 'Ownership'}>
      <FactList facts={rows} data-testid="platform-ownership-card" />
    </InfoCard>
  );
}
