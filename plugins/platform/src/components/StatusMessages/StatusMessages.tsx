import { Progress, WarningPanel } from '@backstage/core-components';
import { ResponseError } from '@backstage/errors';
import Typography from '@material-ui/core/Typography';

/** @public */
export interface LoadingMessageProps {
  /** What is being loaded, in words, e.g. "Loading dependencies…". */
  text: string;
}

/** A progress bar with words, so a slow load never looks like a blank card. */
export function LoadingMessage(props: LoadingMessageProps) {
  return (
    <div role="status">
      <Typography variant="body2">{props.text}</Typography>
      <Progress />
    </div>
  );
}

/** @public */
export interface FailureMessageProps {
  /** What could not be done, in one sentence. */
  title: string;
  error: Error;
}

/**
 * A failure in words: what could not be done and the server's message, never
 * a stack trace.
 */
export function FailureMessage(props: FailureMessageProps) {
  const { error } = props;
  // A ResponseError's own message is only the HTTP status; the server's
  // explanation travels as its cause.
  const message =
    error instanceof ResponseError
      ? `${error.message}: ${error.cause.message}`
      : error.message;
  return (
    <WarningPanel
      severity="error"
      title={props.title}
      message={message}
      defaultExpanded
    />
  );
}

/** @public */
export interface EmptyMessageProps {
  text: string;
}

/** Says plainly that there is nothing to show, and why where it helps. */
export function EmptyMessage(props: EmptyMessageProps) {
  return (
    <Typography variant="body2" color="textSecondary">
      {props.text}
    </Typography>
  );
}
