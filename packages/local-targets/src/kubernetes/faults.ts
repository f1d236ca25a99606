import { Request, RequestHandler } from 'express';
import {
  checkFaultOptions,
  FaultBook,
  FaultStep,
  holdRequest,
  InvalidFaultError,
  onlyDelays,
} from '../faults';
import {
  isWrite,
  KubernetesVerb,
  parseResourcePath,
  VERBS,
  verbOf,
} from './objects';
import { RESOURCE_TYPES } from './resources';
import { failure, KubeStatus, reasonFor } from './status';

export interface FaultOptions {
  /**
   * Only the writes of this golden-path step: create, update and patch
   * (server-side apply included) of its kinds, never a read, a dry run
   * (the preflight's) or a delete (the rollback's). `namespace`: the
   * Namespace; `quota`: ResourceQuota and LimitRange; `deploy`:
   * Deployment, Service and Ingress.
   */
  step?: FaultStep;
  /** Only requests for this kind of object, as `kind` names it: `Deployment`. */
  kind?: string;
  /** Only requests with this RBAC verb: get, list, watch, create, update, patch (apply too) or delete. */
  verb?: KubernetesVerb;
  /** Defaults to 503. */
  status?: number;
  method?: string;
  /** Only requests whose path contains this. */
  pathIncludes?: string;
  /** Only requests that would change state: no reads, no dry runs. */
  writesOnly?: boolean;
  /**
   * Apply the write, then answer with the failure anyway: the outcome the
   * client sees is unknown although the change happened.
   */
  afterCommit?: boolean;
  /**
   * The Status `message` to answer with, for example one that echoes a
   * credential as a misbehaving admission webhook can.
   */
  message?: string;
  /**
   * Hold each matching request this long first. Alone, without `status`,
   * `message` or `afterCommit`, the request is then answered as usual.
   */
  delayMs?: number;
}

const FIELDS = {
  step: 'string',
  kind: 'string',
  verb: 'string',
  status: 'number',
  method: 'string',
  pathIncludes: 'string',
  writesOnly: 'boolean',
  afterCommit: 'boolean',
  message: 'string',
  delayMs: 'number',
} as const;

const FAILURE_FIELDS = ['status', 'message', 'afterCommit'];

const STEP_KINDS: Record<FaultStep, string[]> = {
  repo: [],
  namespace: ['Namespace'],
  quota: ['ResourceQuota', 'LimitRange'],
  deploy: ['Deployment', 'Service', 'Ingress'],
};

const STEP_VERBS: KubernetesVerb[] = ['create', 'update', 'patch'];

export function checkKubernetesFault(options: FaultOptions): void {
  checkFaultOptions(options, { target: 'kubernetes', fields: FIELDS });
  const { step, kind, verb } = options;
  if (kind !== undefined && !RESOURCE_TYPES.some(t => t.kind === kind)) {
    throw new InvalidFaultError(
      `No kind ${kind} on this cluster; it serves ${RESOURCE_TYPES.map(
        t => t.kind,
      ).join(', ')}`,
    );
  }
  if (verb !== undefined && !VERBS.includes(verb)) {
    throw new InvalidFaultError(
      `No verb ${verb}; verbs are ${VERBS.join(', ')}`,
    );
  }
  if (step && kind && !STEP_KINDS[step].includes(kind)) {
    throw new InvalidFaultError(
      `Step ${step} writes no ${kind}, only ${STEP_KINDS[step].join(', ')}`,
    );
  }
  if (step && verb && !STEP_VERBS.includes(verb)) {
    throw new InvalidFaultError(
      `Step ${step} faults match only ${STEP_VERBS.join(', ')}, never ${verb}`,
    );
  }
}

/** What a fault matches a request by. */
interface Attempt {
  method: string;
  path: string;
  write: boolean;
  kind?: string;
  verb?: KubernetesVerb;
}

function attemptOf(req: Request): Attempt {
  const resource = parseResourcePath(req.path);
  return {
    method: req.method,
    path: req.path,
    write: isWrite(req),
    kind: resource?.type.kind,
    verb: resource && verbOf(req, resource.name),
  };
}

function matches(fault: FaultOptions, attempt: Attempt): boolean {
  return (
    (!fault.method || fault.method.toUpperCase() === attempt.method) &&
    (!fault.pathIncludes || attempt.path.includes(fault.pathIncludes)) &&
    (!fault.writesOnly || attempt.write) &&
    (!fault.kind || fault.kind === attempt.kind) &&
    (!fault.verb || fault.verb === attempt.verb) &&
    (!fault.step ||
      (attempt.write &&
        STEP_KINDS[fault.step].includes(attempt.kind ?? '') &&
        STEP_VERBS.includes(attempt.verb!)))
  );
}

/** The Status of an injected failure, worded as the API server words its own. */
function faultStatus(status: number, message?: string): KubeStatus {
  if (message !== undefined) {
    return failure(status, reasonFor(status), message);
  }
  if (status === 504) {
    return failure(
      504,
      'Timeout',
      'the server was unable to return a response in the time allotted, but may still be processing the request',
    );
  }
  if (status >= 500) {
    return failure(
      status,
      reasonFor(status),
      'an error on the server ("injected fault") has prevented the request from succeeding',
    );
  }
  // A refusal, as the API server words one: not an error on the server.
  return failure(
    status,
    reasonFor(status),
    `the request was refused as ${reasonFor(status)} ("injected fault")`,
  );
}

/** Delays or fails the requests that armed faults match, before or after the handler. */
export function kubernetesFaultInjection(
  faults: FaultBook<FaultOptions>,
): RequestHandler {
  return async (req, res, next) => {
    const attempt = attemptOf(req);
    const fault = faults.take(f => matches(f, attempt));
    if (!fault) {
      next();
      return;
    }
    if (
      fault.delayMs !== undefined &&
      !(await holdRequest(res, fault.delayMs))
    ) {
      return;
    }
    if (onlyDelays(fault, FAILURE_FIELDS)) {
      next();
      return;
    }
    const status = fault.status ?? 503;
    const body = faultStatus(status, fault.message);
    if (!fault.afterCommit) {
      res.status(status).json(body);
      return;
    }
    const send = res.json.bind(res);
    res.json = () => {
      res.status(status);
      return send(body);
    };
    next();
  };
}
