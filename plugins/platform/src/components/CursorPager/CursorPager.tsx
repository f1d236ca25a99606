import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';

/**
 * Previous and Next for a list the backend pages with cursors; shown only
 * when there is another page, disabled while a page loads.
 */
export function CursorPager(props: {
  /** Names the navigation landmark, e.g. "Pages of runs". */
  label: string;
  prevCursor?: string;
  nextCursor?: string;
  loading: boolean;
  onPage(cursor: string): void;
}) {
  const { label, prevCursor, nextCursor, loading, onPage } = props;
  if (!prevCursor && !nextCursor) {
    return null;
  }
  return (
    <Box
      component="nav"
      aria-label={label}
      display="flex"
      justifyContent="flex-end"
      mt={1}
    >
      <Button
        disabled={!prevCursor || loading}
        onClick={() => prevCursor && onPage(prevCursor)}
      >
        Previous page
      </Button>
      <Button
        disabled={!nextCursor || loading}
        onClick={() => nextCursor && onPage(nextCursor)}
      >
        Next page
      </Button>
    </Box>
  );
}
