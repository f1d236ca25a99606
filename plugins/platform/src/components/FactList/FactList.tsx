import { makeStyles } from '@material-ui/core/styles';
import { Fragment, ReactNode } from 'react';

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

/**
 * Term and value pairs as an info card shows them, in a description list so
 * that screen readers announce each value with its term.
 */
export function FactList(props: {
  facts: Array<[string, ReactNode]>;
  'data-testid'?: string;
}) {
  const classes = useStyles();
  return (
    <dl className={classes.list} data-testid={props['data-testid']}>
      {props.facts.map(([term, value]) => (
        <Fragment key={term}>
          <dt className={classes.term}>{term}</dt>
          <dd className={classes.value}>{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}
