import { InfoCard } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import Typography from '@material-ui/core/Typography';
import { ReactNode } from 'react';
import { FactList } from '../FactList';

/**
 * Written by the golden path from `platform:database:create`'s outputs. They
 * say where the credentials are, never what they are: the catalog is
 * readable by everyone who can read the entity.
 */
export const ANNOTATION_DATABASE_SERVER = 'platform.internal/database-server';
export const ANNOTATION_DATABASE_NAME = 'platform.internal/database-name';
export const ANNOTATION_DATABASE_SECRET = 'platform.internal/database-secret';

function Missing(props: { annotation: string }) {
  return (
    <Typography variant="body2" color="textSecondary" component="span">
      {`Not recorded. Add the annotation ${props.annotation}.`}
    </Typography>
  );
}

/**
 * Where a platform-managed database lives and which Kubernetes Secret holds
 * its credentials, so a developer knows what to mount without ever seeing a
 * password here.
 */
export function DatabaseCard() {
  const { entity } = useEntity();
  const annotations = entity.metadata.annotations ?? {};
  const fact = (term: string, annotation: string): [string, ReactNode] => [
    term,
    annotations[annotation] ?? <Missing annotation={annotation} />,
  ];
  return (
    <InfoCard title="Database">
      <FactList
        data-testid="platform-database-card"
        facts={[
          fact('Server', ANNOTATION_DATABASE_SERVER),
          fact('Database', ANNOTATION_DATABASE_NAME),
          fact('Credentials in Secret', ANNOTATION_DATABASE_SECRET),
        ]}
      />
    </InfoCard>
  );
}
