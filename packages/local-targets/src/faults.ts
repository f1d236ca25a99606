import { ServerResponse } from 'node:http';

/** Which loopback server a fault is armed on. */
export type FaultTarget = 'github' | 'kubernetes';

/**
 * The steps of the microservice golden path
 * (examples/templates/microservice/template.yaml) that a fault can name, and
 * the server each one writes to. `quota` is not a step of its own there: the
 * `namespace` step writes the ResourceQuota and LimitRange after the
 * Namespace, so a `quota` fault fails that step once its namespace exists.
 */
export const FAULT_STEPS = {
  repo: 'github',
  namespace: 'kubernetes',
  quota: 'kubernetes',
  deploy: 'kubernetes',
} as const;

export type FaultStep = keyof typeof FAULT_STEPS;

/** The target a step writes to, or undefined for a name that is no step. */
export function targetOfStep(step: unknown): FaultTarget | undefined {
  return typeof step === 'string' && Object.hasOwn(FAULT_STEPS, step)
    ? FAULT_STEPS[step as FaultStep]
    : undefined;
}

/** Fault options that no server could act on; the control API answers 400. */
export class InvalidFaultError extends Error {
  name = 'InvalidFaultError';
}

/** A fault as armed: its options, its id and how many uses remain. */
export type ArmedFault<O> = O & {
  id: string;
  /** Matching requests it was armed for. */
  count: number;
  /** Matching requests it will still act on. */
  remaining: number;
};

/** Armed faults of one server, each used up by the requests it matches. */
export class FaultBook<O extends object> {
  private readonly armed: ArmedFault<O>[] = [];
  private nextId = 1;

  constructor(private readonly target: FaultTarget) {}

  arm(count: number, options: O): ArmedFault<O> {
    if (!Number.isInteger(count) || count < 1) {
      throw new InvalidFaultError(
        `count must be a positive integer, not ${JSON.stringify(count)}`,
      );
    }
    const fault: ArmedFault<O> = {
      ...options,
      id: `${this.target}-${this.nextId++}`,
      count,
      remaining: count,
    };
    this.armed.push(fault);
    return { ...fault };
  }

  list(): ArmedFault<O>[] {
    return this.armed.map(fault => ({ ...fault }));
  }

  /** Drops one fault, or every fault without an id; false if none had it. */
  clear(id?: string): boolean {
    if (id === undefined) {
      this.armed.length = 0;
      return true;
    }
    const index = this.armed.findIndex(fault => fault.id === id);
    if (index < 0) {
      return false;
    }
    this.armed.splice(index, 1);
    return true;
  }

  /** The first armed fault that matches, with one use taken off it. */
  take(matches: (fault: O) => boolean): ArmedFault<O> | undefined {
    const fault = this.armed.find(matches);
    if (!fault) {
      return undefined;
    }
    fault.remaining -= 1;
    if (fault.remaining === 0) {
      this.armed.splice(this.armed.indexOf(fault), 1);
    }
    return { ...fault };
  }
}

type FieldType = 'string' | 'number' | 'boolean';

/**
 * Refuses options a server would misread. An unknown field is an error,
 * not ignored: `{"steps":"deploy"}` would otherwise arm a fault that
 * matches every request.
 */
export function checkFaultOptions(
  options: unknown,
  spec: { target: FaultTarget; fields: Record<string, FieldType> },
): void {
  if (
    typeof options !== 'object' ||
    options === null ||
    Array.isArray(options)
  ) {
    throw new InvalidFaultError('A fault is a JSON object');
  }
  const fields = Object.keys(spec.fields);
  for (const [field, value] of Object.entries(options)) {
    if (value === undefined) {
      continue;
    }
    const type = spec.fields[field];
    if (!type) {
      throw new InvalidFaultError(
        `A ${spec.target} fault has no field "${field}"; it takes ${fields.join(
          ', ',
        )}`,
      );
    }
    if (typeof value !== type) {
      throw new InvalidFaultError(
        `Fault field ${field} must be a ${type}, not ${JSON.stringify(value)}`,
      );
    }
  }
  const { step, status, delayMs } = options as Record<string, unknown>;
  if (step !== undefined) {
    const target = targetOfStep(step);
    if (!target) {
      throw new InvalidFaultError(
        `No step "${step}"; steps are ${Object.keys(FAULT_STEPS).join(', ')}`,
      );
    }
    if (target !== spec.target) {
      throw new InvalidFaultError(
        `Step ${step} writes to ${target}, not ${spec.target}: arm it on ${target}`,
      );
    }
  }
  if (
    status !== undefined &&
    (!Number.isInteger(status) ||
      (status as number) < 400 ||
      (status as number) > 599)
  ) {
    throw new InvalidFaultError(
      `status must be an HTTP error status from 400 to 599, not ${status}`,
    );
  }
  if (
    delayMs !== undefined &&
    (!Number.isFinite(delayMs) || (delayMs as number) < 0)
  ) {
    throw new InvalidFaultError(
      `delayMs must be a number of milliseconds, not ${delayMs}`,
    );
  }
}

/**
 * Whether a fault only slows its requests down: it has a delay and none of
 * the fields that shape a failure.
 */
export function onlyDelays(
  fault: { delayMs?: number },
  failureFields: readonly string[],
): boolean {
  return (
    fault.delayMs !== undefined &&
    failureFields.every(
      field => (fault as Record<string, unknown>)[field] === undefined,
    )
  );
}

/**
 * Holds a request for `ms`. Resolves false when the client gave up
 * meanwhile (a cancelled run, a client timeout, the server closing): the
 * request is then dropped unprocessed, as by a slow proxy in front of the
 * server, so a cancelled run leaves nothing behind it did not see created.
 */
export function holdRequest(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise(resolve => {
    let timer: NodeJS.Timeout | undefined = undefined;
    const gone = () => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once('close', gone);
    timer = setTimeout(() => {
      res.off('close', gone);
      resolve(true);
    }, ms);
  });
}
