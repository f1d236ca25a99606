import {
  ServiceNameCheck,
  ServiceNameCheckRequest,
} from '../../api/PlatformApi';
import { ServiceNameFieldUiOptions } from './schema';

/** A form value the field's `ui:options` point to, when it is set text. */
function formValue(
  formData: Record<string, unknown> | undefined,
  field: string | undefined,
): string | undefined {
  const value = field ? formData?.[field] : undefined;
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/**
 * What to ask about a name: the GitHub organisation and the cluster are read
 * from the form fields that the `ui:options` name, at the time of asking.
 */
export function serviceNameCheckRequest(options: {
  name: string;
  formData?: Record<string, unknown>;
  uiOptions?: ServiceNameFieldUiOptions;
}): ServiceNameCheckRequest {
  const { name, formData, uiOptions = {} } = options;
  return {
    name,
    githubOwner: formValue(formData, uiOptions.githubOwnerField),
    githubHost: uiOptions.githubHost,
    cluster: formValue(formData, uiOptions.clusterField),
  };
}

/** The exact names a valid service name gets in each system. */
export interface ServiceNameTargets {
  /** `ORG/NAME`, when the organisation is known. */
  repository?: string;
  namespace: string;
  entity: string;
}

export function serviceNameTargets(
  request: ServiceNameCheckRequest,
): ServiceNameTargets {
  const { name, githubOwner } = request;
  return {
    repository: githubOwner ? `${githubOwner}/${name}` : undefined,
    namespace: name,
    entity: `component:default/${name}`,
  };
}

/** Whether the backend found the name itself valid. */
export function isValidServiceName(check: ServiceNameCheck): boolean {
  return check.checks.some(c => c.system === 'name' && c.free);
}

/** One line of the field's status: a system and what it said. */
export interface ServiceNameCheckLine {
  system: string;
  /** "Catalog", "GitHub", "Cluster prod". */
  label: string;
  /** "free", or why the name cannot be used there. */
  text: string;
  /**
   * `free`; `blocked` when a run with this name would fail; `unchecked`
   * when the system was not asked or did not answer, which the run's
   * preflight step checks again.
   */
  state: 'free' | 'blocked' | 'unchecked';
}

function labelOf(system: string, request: ServiceNameCheckRequest): string {
  switch (system) {
    case 'name':
      return 'Name';
    case 'catalog':
      return 'Catalog';
    case 'github':
      return 'GitHub';
    case 'kubernetes':
      return request.cluster ? `Cluster ${request.cluster}` : 'Default cluster';
    default:
      return system;
  }
}

function targetOf(
  system: string,
  targets: ServiceNameTargets,
): string | undefined {
  switch (system) {
    case 'catalog':
      return targets.entity;
    case 'github':
      return targets.repository;
    case 'kubernetes':
      return `namespace ${targets.namespace}`;
    default:
      return undefined;
  }
}

/**
 * The answer as one line per system, in the order the backend asked them.
 * A valid name says nothing of itself: the name is what the other lines are
 * about. GitHub, when the form has no organisation yet, is said to be not
 * checked rather than left out, so a free-looking list never hides it.
 */
export function describeServiceNameCheck(options: {
  check: ServiceNameCheck;
  request: ServiceNameCheckRequest;
  /** Whether the template names a GitHub organisation field at all. */
  expectsGithub: boolean;
}): ServiceNameCheckLine[] {
  const { check, request, expectsGithub } = options;
  const targets = serviceNameTargets(request);
  const lines: ServiceNameCheckLine[] = [];
  for (const { system, free, kind, message } of check.checks) {
    const label = labelOf(system, request);
    const target = targetOf(system, targets) ?? check.name;
    if (system === 'name' && free) {
      continue;
    }
    if (free) {
      lines.push({ system, label, text: 'free', state: 'free' });
    } else if (kind === 'unchecked') {
      lines.push({
        system,
        label,
        text: `not checked — ${message ?? 'the system did not answer'}`,
        state: 'unchecked',
      });
    } else {
      const why = {
        taken: `${target} is taken`,
        denied: `${target} is not allowed for you`,
        invalid: undefined,
      }[kind ?? 'invalid'];
      const reason = message ?? 'not usable';
      lines.push({
        system,
        label,
        text: why ? `${why} — ${reason}` : reason,
        state: 'blocked',
      });
    }
  }
  if (isValidServiceName(check) && expectsGithub && !request.githubOwner) {
    lines.push({
      system: 'github',
      label: 'GitHub',
      text: 'not checked until the organisation is chosen',
      state: 'unchecked',
    });
  }
  return lines;
}
