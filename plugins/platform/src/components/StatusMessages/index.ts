export { EmptyMessage, FailureMessage, LoadingMessage } from './StatusMessages';
