import {
  coreServices,
  createServiceFactory,
  LoggerService,
  RootLoggerService,
} from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';

class CapturingLogger implements RootLoggerService {
  constructor(
    private readonly lines: string[],
    private readonly fields: JsonObject = {},
  ) {}
  error(message: string, meta?: Error | JsonObject) {
    this.record('error', message, meta);
  }
  warn(message: string, meta?: Error | JsonObject) {
    this.record('warn', message, meta);
  }
  info(message: string, meta?: Error | JsonObject) {
    this.record('info', message, meta);
  }
  debug(message: string, meta?: Error | JsonObject) {
    this.record('debug', message, meta);
  }
  child(meta: JsonObject): LoggerService {
    return new CapturingLogger(this.lines, { ...this.fields, ...meta });
  }
  private record(level: string, message: string, meta?: Error | JsonObject) {
    const details =
      meta instanceof Error
        ? JSON.stringify(meta, Object.getOwnPropertyNames(meta))
        : JSON.stringify(meta ?? {});
    this.lines.push(
      `${level} ${message} ${details} ${JSON.stringify(this.fields)}`,
    );
  }
}

/**
 * The backend's root logger, writing every line any plugin logs, with its
 * metadata and unmasked, into `lines`: for tests that search the backend
 * log for what must never be in it.
 */
export function capturingRootLoggerFactory(lines: string[]) {
  return createServiceFactory({
    service: coreServices.rootLogger,
    deps: {},
    factory: () => new CapturingLogger(lines),
  });
}
