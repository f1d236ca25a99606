export { MASK, SecretScrubber } from './SecretScrubber';
export { scrubbedAction, scrubbedActions } from './scrubbedAction';
export { scrubbedLogger } from './scrubbedLogger';
