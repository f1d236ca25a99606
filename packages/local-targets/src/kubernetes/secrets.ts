import { FieldCause, KubeObject } from './resources';

/** What `kubectl create secret` and the API server call the size limit. */
const MAX_SECRET_BYTES = 1024 * 1024;

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** Keys a Secret of a built-in type must carry, as the API server requires them. */
const REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

type SecretFields = {
  type?: string;
  immutable?: boolean;
  data?: Record<string, unknown>;
  stringData?: Record<string, unknown>;
};

/**
 * Where Go's standard base64 decoder, which decodes a Secret's `data`,
 * gives up on a value: the first byte that is not of the alphabet, or the
 * start of an incomplete last quantum. Undefined for a valid value.
 */
function base64ErrorAt(value: string): number | undefined {
  const text = value.replace(/[\r\n]/g, '');
  const padding = /=*$/.exec(text)![0].length;
  const body = text.slice(0, text.length - padding);
  const bad = body.search(/[^A-Za-z0-9+/]/);
  if (bad >= 0) {
    return bad;
  }
  if (padding > 2 || text.length % 4 !== 0) {
    return text.length - (text.length % 4 || 4);
  }
  return undefined;
}

/**
 * What the API server does with a Secret it is sent before validating it:
 * `data` is decoded from base64 (a value that is not base64 makes the whole
 * body undecodable, 400), `stringData` is written into `data` and is never
 * stored or returned, and a Secret without a type is `Opaque`. Returns the
 * decoding error, worded as the API server words it.
 */
export function prepareSecret(object: KubeObject): string | undefined {
  const secret = object as KubeObject & SecretFields;
  for (const value of Object.values(secret.data ?? {})) {
    if (typeof value !== 'string') {
      continue;
    }
    const at = base64ErrorAt(value);
    if (at !== undefined) {
      return `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte ${at}`;
    }
  }
  if (secret.stringData) {
    secret.data = { ...secret.data };
    for (const [key, value] of Object.entries(secret.stringData)) {
      secret.data[key] = Buffer.from(String(value)).toString('base64');
    }
    delete secret.stringData;
  }
  secret.type = secret.type || 'Opaque';
  return undefined;
}

/**
 * The API server's own Secret validation: keys of `data`, its total size,
 * the keys its type requires, and, on an update, an unchanged type and no
 * change at all to a Secret marked `immutable`.
 */
export function secretRules(
  object: KubeObject,
  previous: KubeObject | undefined,
): FieldCause[] {
  const secret = object as KubeObject & SecretFields;
  const data = (secret.data ?? {}) as Record<string, string>;
  const causes: FieldCause[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(data)) {
    size += Buffer.from(String(value), 'base64').length;
    if (!CONFIG_KEY.test(key) || key === '.' || key === '..') {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${key}": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
        field: `data[${key}]`,
      });
    }
  }
  if (size > MAX_SECRET_BYTES) {
    causes.push({
      reason: 'FieldValueTooLong',
      message: `Too long: must have at most ${MAX_SECRET_BYTES} bytes`,
      field: 'data',
    });
  }
  for (const key of REQUIRED_KEYS[secret.type ?? ''] ?? []) {
    if (data[key] === undefined) {
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: `data[${key}]`,
      });
    }
  }
  if (!previous) {
    return causes;
  }
  const before = previous as KubeObject & SecretFields;
  if (before.type !== secret.type) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${secret.type}": field is immutable`,
      field: 'type',
    });
  }
  if (before.immutable) {
    const forbidden = (field: string) =>
      causes.push({
        reason: 'FieldValueForbidden',
        message: 'Forbidden: field is immutable when `immutable` is set',
        field,
      });
    const previousData = (before.data ?? {}) as Record<string, string>;
    const unchanged =
      Object.keys(previousData).length === Object.keys(data).length &&
      Object.entries(data).every(([key, value]) => previousData[key] === value);
    if (!unchanged) {
      forbidden('data');
    }
    if (secret.immutable !== true) {
      forbidden('immutable');
    }
  }
  return causes;
}
