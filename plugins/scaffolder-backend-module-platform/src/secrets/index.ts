export { MASK, SecretScrubber } from './SecretScrubber';
export { scrubbedAction, scrubbedActions } from './scrubbedAction';
export { scrubbedCredentialsProvider } from './scrubbedCredentialsProvider';
export { scrubbedLogger } from './scrubbedLogger';
