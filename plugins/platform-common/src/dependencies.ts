import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { EntityProblem } from './problems';

/**
 * What a dependency is used for: at run time, while building, or as a data
 * source.
 *
 * @public
 */
export const DEPENDENCY_TYPES = ['runtime', 'build', 'data'] as const;

/** @public */
export type DependencyType = (typeof DEPENDENCY_TYPES)[number];

/**
 * One typed dependency as declared in `spec.dependencies` of a catalog
 * entity. After processing, `target` is a full entity ref
 * (`component:default/payments`) and `critical` is always set. A type alias
 * rather than an interface so that it can be written into an entity's JSON.
 *
 * @public
 */
export type TypedDependency = {
  target: string;
  type: DependencyType;
  critical: boolean;
};

/**
 * The outcome of reading `spec.dependencies` and `spec.dependsOn` of an
 * entity: the dependencies that are valid, normalised, and a problem per
 * broken rule.
 *
 * @public
 */
export interface ParsedDependencies {
  dependencies: TypedDependency[];
  problems: EntityProblem[];
}

/**
 * Whether the platform reads typed dependencies of an entity of this kind:
 * Components and Resources, the kinds that have `spec.dependsOn` in the stock
 * model.
 *
 * @public
 */
export function supportsTypedDependencies(entity: Entity): boolean {
  return entity.kind === 'Component' || entity.kind === 'Resource';
}

const ITEM_KEYS = ['target', 'type', 'critical'];

function isDependencyType(value: unknown): value is DependencyType {
  return (DEPENDENCY_TYPES as readonly unknown[]).includes(value);
}

function toFullRef(
  value: string,
  defaultNamespace: string | undefined,
): string | undefined {
  try {
    // No default kind on purpose, as for the stock spec.dependsOn: a bare name
    // would silently guess between a component and a resource.
    return stringifyEntityRef(parseEntityRef(value, { defaultNamespace }));
  } catch {
    return undefined;
  }
}
/**
 * A problem with item `index` of spec.dependencies, or with its `field`.
 * Messages name the entity; its ref is built only when there is a problem,
 * because the catalog runs this for every entity on every processing pass.
 */
function itemProblem(options: {
  entity: Entity;
  index: number;
  field?: string;
  detail: string;
}): EntityProblem {
  const { entity, index, field, detail } = options;
  const path = ['spec', 'dependencies', index];
  return {
    message: `spec.dependencies[${index}] of ${stringifyEntityRef(
      entity,
    )} ${detail}`,
    path: field === undefined ? path : [...path, field],
  };
}

/** Validates one item of spec.dependencies, adding a problem per broken rule. */
function parseItem(
  entity: Entity,
  item: unknown,
  index: number,
  problems: EntityProblem[],
): TypedDependency | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    problems.push(
      itemProblem({
        entity,
        index,
        detail: `must be an object with target, type and critical, got ${JSON.stringify(
          item,
        )}`,
      }),
    );
    return undefined;
  }
  const fields = item as Record<string, unknown>;
  const before = problems.length;

  // A misspelt key such as "critcal" would otherwise quietly make a critical
  // dependency non-critical.
  for (const key of Object.keys(fields)) {
    if (!ITEM_KEYS.includes(key)) {
      problems.push(
        itemProblem({
          entity,
          index,
          field: key,
          detail: `has the unknown key "${key}"; allowed keys are ${ITEM_KEYS.join(
            ', ',
          )}`,
        }),
      );
    }
  }

  const target =
    typeof fields.target === 'string'
      ? toFullRef(fields.target, entity.metadata.namespace)
      : undefined;
  if (!target) {
    problems.push(
      itemProblem({
        entity,
        index,
        field: 'target',
        detail: `has the target ${JSON.stringify(
          fields.target,
        )}, which is not an entity ref with a kind such as component:payments`,
      }),
    );
  }

  const type = fields.type ?? 'runtime';
  if (!isDependencyType(type)) {
    problems.push(
      itemProblem({
        entity,
        index,
        field: 'type',
        detail: `has the type ${JSON.stringify(
          type,
        )}; allowed types are ${DEPENDENCY_TYPES.join(', ')}`,
      }),
    );
  }

  const critical = fields.critical ?? false;
  if (typeof critical !== 'boolean') {
    problems.push(
      itemProblem({
        entity,
        index,
        field: 'critical',
        detail: `has critical set to ${JSON.stringify(
          critical,
        )}; allowed values are true and false`,
      }),
    );
  }

  if (
    problems.length > before ||
    !target ||
    !isDependencyType(type) ||
    typeof critical !== 'boolean'
  ) {
    return undefined;
  }
  return { target, type, critical };
}

/**
 * Reads the typed dependencies of an entity, validating every item of
 * `spec.dependencies` and adding each plain `spec.dependsOn` entry as a
 * non-critical runtime dependency (unless `spec.dependencies` already names
 * that target). Targets become full entity refs in the entity's namespace.
 * Applying it to an entity the catalog has already normalised returns the
 * same list, so the frontend and the processor can share it.
 *
 * @public
 */
export function parseTypedDependencies(entity: Entity): ParsedDependencies {
  const namespace = entity.metadata.namespace;
  const declared = entity.spec?.dependencies;
  const dependencies: TypedDependency[] = [];
  const problems: EntityProblem[] = [];

  if (declared !== undefined && !Array.isArray(declared)) {
    problems.push({
      message: `spec.dependencies of ${stringifyEntityRef(
        entity,
      )} must be a list of { target, type, critical } items, got ${JSON.stringify(
        declared,
      )}`,
      path: ['spec', 'dependencies'],
    });
  }

  // The types each target already has, at most three. Looking a target up
  // rather than scanning the list keeps parsing linear: an entity with 20,000
  // dependencies took seconds with a scan per item (issue #16).
  const typesByTarget = new Map<string, DependencyType[]>();

  const items: unknown[] = Array.isArray(declared) ? declared : [];
  for (const [index, item] of items.entries()) {
    const dependency = parseItem(entity, item, index, problems);
    if (!dependency) {
      continue;
    }
    const { target, type } = dependency;
    const types = typesByTarget.get(target);
    if (types?.includes(type)) {
      problems.push(
        itemProblem({
          entity,
          index,
          detail: `declares the ${type} dependency on ${target} a second time`,
        }),
      );
      continue;
    }
    if (types) {
      types.push(type);
    } else {
      typesByTarget.set(target, [type]);
    }
    dependencies.push(dependency);
  }

  const plain = entity.spec?.dependsOn;
  for (const value of Array.isArray(plain) ? plain : []) {
    // Invalid dependsOn entries are reported by the stock processor already.
    const target = typeof value === 'string' ? toFullRef(value, namespace) : '';
    if (target && !typesByTarget.has(target)) {
      typesByTarget.set(target, ['runtime']);
      dependencies.push({ target, type: 'runtime', critical: false });
    }
  }

  return { dependencies, problems };
}

/**
 * The valid typed dependencies of an entity, for display: see
 * {@link parseTypedDependencies}.
 *
 * @public
 */
export function readTypedDependencies(entity: Entity): TypedDependency[] {
  return parseTypedDependencies(entity).dependencies;
}
