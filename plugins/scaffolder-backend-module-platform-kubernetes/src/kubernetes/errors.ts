import { NotAllowedError } from '@backstage/errors';
import { errorForStatus } from '@internal/plugin-platform-node';

/**
 * What a failed Kubernetes call means, without the raw error: the client's
 * `ApiException` message embeds the response body and headers, and a
 * network error can embed the request. Only the Status body's reason and
 * message, the HTTP code and a network error code are kept.
 */
export interface KubernetesFailure {
  /** HTTP status; undefined when no answer came back. */
  status?: number;
  /** The Status reason: `AlreadyExists`, `NotFound`, `Invalid`, `Forbidden`… */
  reason?: string;
  message: string;
  /** 5xx, timeouts and lost connections: the outcome of a write is unknown. */
  unknownOutcome: boolean;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

function parseStatus(body: unknown): { reason?: string; message?: string } {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return {};
    }
  }
  if (typeof parsed === 'object' && parsed !== null) {
    const { reason, message } = parsed as {
      reason?: unknown;
      message?: unknown;
    };
    return {
      reason: typeof reason === 'string' ? reason : undefined,
      message: typeof message === 'string' ? message : undefined,
    };
  }
  return {};
}

export function describeKubernetesFailure(error: unknown): KubernetesFailure {
  const e = error as {
    code?: unknown;
    body?: unknown;
    name?: string;
    type?: string;
    errno?: string;
  };
  if (typeof e?.code === 'number') {
    const status = parseStatus(e.body);
    return {
      status: e.code,
      reason: status.reason,
      message: status.message ?? `the API server answered HTTP ${e.code}`,
      unknownOutcome: e.code >= 500,
    };
  }
  const networkCode =
    typeof e?.code === 'string' ? e.code : e?.errno ?? undefined;
  if (e?.name === 'AbortError' || e?.type === 'aborted') {
    return { message: 'the request was aborted', unknownOutcome: true };
  }
  if (networkCode && NETWORK_CODES.has(networkCode)) {
    return {
      message: `the API server could not be reached (${networkCode})`,
      unknownOutcome: true,
    };
  }
  if (e?.name === 'FetchError' || e?.type === 'system') {
    return {
      message: 'the connection to the API server failed',
      unknownOutcome: true,
    };
  }
  return { message: 'the Kubernetes client failed', unknownOutcome: false };
}

export function isKubernetesStatus(error: unknown, status: number): boolean {
  return describeKubernetesFailure(error).status === status;
}

/**
 * The Backstage error a user sees for a failed call, naming what was being
 * done: `Could not create namespace payments on cluster prod: …`.
 */
export function toPlatformError(error: unknown, doing: string): Error {
  const failure = describeKubernetesFailure(error);
  if (failure.status === 401) {
    return new NotAllowedError(
      `Could not ${doing}: the cluster rejected the service account token configured for it`,
    );
  }
  return errorForStatus(
    failure.status,
    `Could not ${doing}: ${failure.message}`,
  );
}

/**
 * Runs a call and turns its failure into the error a user sees.
 *
 * @public
 */
export async function explained<T>(
  call: () => Promise<T>,
  doing: string,
): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw toPlatformError(e, doing);
  }
}
