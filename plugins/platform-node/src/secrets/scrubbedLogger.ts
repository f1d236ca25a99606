import { LoggerService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { SecretScrubber } from './SecretScrubber';

/**
 * A logger that scrubs every message and its metadata before passing them
 * on. The root logger masks config secrets in the backend log, but neither
 * the tokens handed out at runtime nor anything in the task log, which the
 * scaffolder's step logger fills with message and metadata alike.
 *
 * @public
 */
export function scrubbedLogger(
  logger: LoggerService,
  scrubber: SecretScrubber,
): LoggerService {
  const meta = (value?: Error | JsonObject) =>
    value instanceof Error
      ? scrubber.scrubError(value)
      : scrubber.scrubValue(value);
  return {
    error: (message, m) =>
      logger.error(scrubber.scrub(String(message)), meta(m)),
    warn: (message, m) => logger.warn(scrubber.scrub(String(message)), meta(m)),
    info: (message, m) => logger.info(scrubber.scrub(String(message)), meta(m)),
    debug: (message, m) =>
      logger.debug(scrubber.scrub(String(message)), meta(m)),
    child: m => scrubbedLogger(logger.child(scrubber.scrubValue(m)), scrubber),
  };
}
