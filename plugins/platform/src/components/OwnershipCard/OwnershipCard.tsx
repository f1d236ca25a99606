import { InfoCard, Link } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { catalogApiRef, useEntity } from '@backstage/plugin-catalog-react';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  ANNOTATION_DOCS_URL,
  ANNOTATION_ON_CALL_URL,
  ANNOTATION_REPOSITORY_URL,
  readOwnership,
} from '@internal/plugin-platform-common';
import { Fragment, ReactNode } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { readOwnerAndLifecycle } from '../../lib/entityReaders';
import { LifecycleBadge } from '../LifecycleBadge';
import { OwnerLink } from '../OwnerLink';

const useStyles = makeStyles(theme => ({
  list: {
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(3),
    rowGap: theme.spacing(1.5),
    margin: 0,
    alignItems: 'center',
  },
  term: { fontWeight: theme.typography.fontWeightBold as number },
  value: { margin: 0 },
}));

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
  const classes = useStyles();
  const { entity } = useEntity();
  const ownership = readOwnership(entity);
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
        url={ownership.repositoryUrl}
        text={ownership.repositoryUrl ?? ''}
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
      <dl className={classes.list} data-testid="platform-ownership-card">
        {rows.map(([term, value]) => (
          <Fragment key={term}>
            <dt className={classes.term}>{term}</dt>
            <dd className={classes.value}>{value}</dd>
          </Fragment>
        ))}
      </dl>
    </InfoCard>
  );
}
