import { FieldCause, qualifiedResource, ResourceType } from './resources';

/** A `Status` body as the real API server sends with every failure. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: {};
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: Array<
      FieldCause | { reason: string; message: string; field?: string }
    >;
  };
  code: number;
}

export function failure(
  code: number,
  reason: string,
  message: string,
  details?: KubeStatus['details'],
): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** The Status `reason` the API server gives with an HTTP status. */
export function reasonFor(code: number): string {
  const reasons: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    409: 'Conflict',
    410: 'Gone',
    422: 'Invalid',
    429: 'TooManyRequests',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return reasons[code] ?? 'InternalError';
}

export function notFound(type: ResourceType, name: string): KubeStatus {
  return failure(
    404,
    'NotFound',
    `${qualifiedResource(type)} "${name}" not found`,
    { name, group: type.group || undefined, kind: type.resource },
  );
}

export function alreadyExists(type: ResourceType, name: string): KubeStatus {
  return failure(
    409,
    'AlreadyExists',
    `${qualifiedResource(type)} "${name}" already exists`,
    { name, group: type.group || undefined, kind: type.resource },
  );
}

export function invalid(
  type: ResourceType,
  name: string,
  causes: FieldCause[],
): KubeStatus {
  const summary = causes
    .map(c => (c.field ? `${c.field}: ${c.message}` : c.message))
    .join(', ');
  return failure(
    422,
    'Invalid',
    `${type.kind} "${name}" is invalid: ${summary}`,
    { name, group: type.group || undefined, kind: type.kind, causes },
  );
}

export function forbidden(
  type: ResourceType,
  name: string,
  why: string,
): KubeStatus {
  return failure(
    403,
    'Forbidden',
    `${qualifiedResource(type)} "${name}" is forbidden: ${why}`,
    { name, group: type.group || undefined, kind: type.resource },
  );
}

export function conflict(
  type: ResourceType,
  name: string,
  why: string,
  causes?: Array<{ reason: string; message: string; field?: string }>,
): KubeStatus {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(
      type,
    )} "${name}": ${why}`,
    {
      name,
      group: type.group || undefined,
      kind: type.resource,
      ...(causes ? { causes } : {}),
    },
  );
}
