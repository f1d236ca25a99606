import Chip from '@material-ui/core/Chip';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles(theme => ({
  production: {
    backgroundColor: theme.palette.success.main,
    color: theme.palette.success.contrastText,
  },
  development: {
    backgroundColor: theme.palette.info.main,
    color: theme.palette.info.contrastText,
  },
  experimental: {
    backgroundColor: theme.palette.warning.main,
    color: theme.palette.warning.contrastText,
  },
  deprecated: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.error.contrastText,
  },
}));

/** @public */
export interface LifecycleBadgeProps {
  /** Undefined when the entity declares no lifecycle. */
  lifecycle?: string;
}

/**
 * The lifecycle stage as a coloured chip. Stages configured beyond the
 * defaults get the neutral colour.
 *
 * @public
 */
export function LifecycleBadge(props: LifecycleBadgeProps) {
  const classes = useStyles();
  const { lifecycle } = props;
  if (!lifecycle) {
    return (
      <Chip
        size="small"
        variant="outlined"
        label="no lifecycle"
        data-testid="lifecycle-badge"
      />
    );
  }
  const className = (classes as Record<string, string>)[lifecycle];
  return (
    <Chip
      size="small"
      label={lifecycle}
      className={className}
      data-testid="lifecycle-badge"
    />
  );
}
