import { LoggerService } from '@backstage/backend-plugin-api';
import { createConfigSecretEnumerator } from '@backstage/backend-defaults/rootConfig';
import { Config } from '@backstage/config';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  NotImplementedError,
  NotModifiedError,
  ServiceUnavailableError,
  toError,
} from '@backstage/errors';

/**
 * What replaces a secret.
 *
 * @public
 */
export const MASK = '***';

/**
 * Shorter known values are not masked: masking a four-letter word
 * everywhere it occurs would mangle text and tell the reader the secret.
 */
const DEFAULT_MIN_LENGTH = 8;

/**
 * Credential shapes masked even when nobody told us the value (a token in
 * an API's echo, a header in a client's error), each as `(keep)(mask)`: the
 * first group stays, so "Authorization: Bearer ***" still says what it was.
 * Case variants are spelled out because one flag has to fit the known
 * secrets too, and those are case-sensitive.
 */
const SHAPES = [
  // An authorization header in any serialization: `Authorization: token x`,
  // `"authorization":"Bearer x"`, `authorization=Basic x`.
  `((?:[Aa]uthorization|AUTHORIZATION)["']?\\s*[:=]\\s*["']?(?:(?:[Bb]earer|BEARER|[Bb]asic|BASIC|[Tt]oken|TOKEN)\\s+)?)([^\\s"',;}]+)`,
  // A bearer token in prose.
  `((?:[Bb]earer|BEARER)\\s+)([A-Za-z0-9\\-._~+/]{8,}=*)`,
  // GitHub tokens: personal (ghp_), OAuth (gho_), user-to-server (ghu_),
  // installation (ghs_), refresh (ghr_) and fine-grained (github_pat_).
  `()((?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{22,}))`,
  // JSON Web Tokens: Kubernetes service account tokens, Backstage tokens.
  `()(eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*)`,
  // PEM private keys (a GitHub App's privateKey).
  `()(-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?-----END [A-Z ]*PRIVATE KEY-----)`,
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The `@backstage/errors` classes, so a scrubbed error keeps its HTTP meaning. */
const ERROR_CLASSES: Record<string, new (message: string) => Error> = {
  InputError,
  AuthenticationError,
  NotAllowedError,
  NotFoundError,
  ConflictError,
  NotModifiedError,
  NotImplementedError,
  ServiceUnavailableError,
};

type SecretEnumerator = (config: Config) => Iterable<string>;

/**
 * Loading the config schema of every package takes a few seconds, so it
 * happens once per process, however many backends (tests) start.
 */
let enumeratorPromise: Promise<SecretEnumerator> | undefined;

function configSecretEnumerator(
  logger: LoggerService,
): Promise<SecretEnumerator> {
  if (!enumeratorPromise) {
    enumeratorPromise = createConfigSecretEnumerator({ logger });
    enumeratorPromise.catch(() => {
      enumeratorPromise = undefined;
    });
  }
  return enumeratorPromise;
}

/**
 * Masks secrets in text before it reaches any surface: the task log, thrown
 * errors, outputs, checkpoint state, the rollback journal and the backend
 * log. It knows every value app-config marks `@visibility secret`, every
 * value added at runtime (the tokens credentials providers hand out), and
 * the shapes of common credentials, so a remote API that echoes a token back
 * in its error message does not carry it any further.
 *
 * @public
 */
export class SecretScrubber {
  private readonly secrets = new Set<string>();
  private readonly minLength: number;
  private pattern?: RegExp;

  /** A scrubber of credential shapes and the given values. */
  static create(options?: {
    secrets?: Iterable<string | undefined>;
    /** Known values shorter than this are not masked; default 8. */
    minLength?: number;
  }): SecretScrubber {
    const scrubber = new SecretScrubber(
      options?.minLength ?? DEFAULT_MIN_LENGTH,
    );
    scrubber.add(...(options?.secrets ?? []));
    return scrubber;
  }

  /**
   * A scrubber of every value app-config marks `@visibility secret`, found
   * with the enumerator the root logger uses, and kept current as the
   * config changes. Should the config schema not load, the scrubber warns
   * and goes on with the given values, runtime values and shapes.
   */
  static async fromConfig(options: {
    config: Config;
    logger: LoggerService;
    secrets?: Iterable<string | undefined>;
    minLength?: number;
  }): Promise<SecretScrubber> {
    const { config, logger } = options;
    const scrubber = SecretScrubber.create(options);
    try {
      const enumerate = await configSecretEnumerator(logger);
      scrubber.add(...enumerate(config));
      config.subscribe?.(() => scrubber.add(...enumerate(config)));
    } catch (e) {
      logger.warn(
        `Could not load the config schema to find secret config values; only runtime tokens and credential shapes are masked: ${scrubber.scrub(
          toError(e).message,
        )}`,
      );
    }
    return scrubber;
  }

  private constructor(minLength: number) {
    this.minLength = minLength;
    this.rebuild();
  }

  /** Adds values to mask from now on, such as a token just handed out. */
  add(...values: Array<string | undefined>): void {
    let added = false;
    for (const value of values) {
      const secret = value?.trim();
      if (
        secret &&
        secret.length >= this.minLength &&
        !this.secrets.has(secret)
      ) {
        this.secrets.add(secret);
        added = true;
      }
    }
    if (added) {
      this.rebuild();
    }
  }

  /**
   * One pattern for everything, matched as a lookahead at every position,
   * so overlapping secrets are found even where one starts inside another.
   */
  private rebuild(): void {
    const known = [...this.secrets]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp);
    const alternatives = [
      ...(known.length > 0 ? [`()(${known.join('|')})`] : []),
      ...SHAPES,
    ];
    this.pattern = new RegExp(`(?=${alternatives.join('|')})`, 'g');
  }

  /** The text with every secret replaced by `***`. */
  scrub(text: string): string {
    const ranges: Array<{ start: number; end: number }> = [];
    for (const match of text.matchAll(this.pattern!)) {
      // Each alternative has two groups: what stays, and what is masked.
      for (let i = 1; i < match.length; i += 2) {
        const masked = match[i + 1];
        if (masked !== undefined) {
          const start = match.index! + match[i].length;
          ranges.push({ start, end: start + masked.length });
          break;
        }
      }
    }
    if (ranges.length === 0) {
      return text;
    }
    let result = '';
    let cursor = 0;
    let current = ranges[0];
    const flush = () => {
      result += `${text.slice(cursor, current.start)}${MASK}`;
      cursor = current.end;
    };
    for (const range of ranges.slice(1)) {
      if (range.start < current.end) {
        current = {
          start: current.start,
          end: Math.max(current.end, range.end),
        };
      } else {
        flush();
        current = range;
      }
    }
    flush();
    return result + text.slice(cursor);
  }

  /** A copy of a JSON-like value with every string (and key) scrubbed. */
  scrubValue<T>(value: T): T {
    if (typeof value === 'string') {
      return this.scrub(value) as T;
    }
    if (Array.isArray(value)) {
      return value.map(v => this.scrubValue(v)) as T;
    }
    if (
      value !== null &&
      typeof value === 'object' &&
      [Object.prototype, null].includes(Object.getPrototypeOf(value))
    ) {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [
          this.scrub(k),
          this.scrubValue(v),
        ]),
      ) as T;
    }
    return value;
  }

  /**
   * A new error for what was thrown: the same name (and `@backstage/errors`
   * class), a scrubbed message, and nothing else. No cause, response or
   * request of an API client survives, and the stack is only
   * `Name: message`, since the task log shows stacks and frames name
   * server paths.
   */
  scrubError(error: unknown): Error {
    const original = toError(error);
    const name = this.scrub(String(original.name || 'Error'));
    const message = this.scrub(String(original.message ?? ''));
    const ErrorClass = ERROR_CLASSES[name];
    const scrubbed = ErrorClass ? new ErrorClass(message) : new Error(message);
    scrubbed.name = name;
    scrubbed.stack = `${name}: ${message}`;
    return scrubbed;
  }
}
