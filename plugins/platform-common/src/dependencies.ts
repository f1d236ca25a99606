import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';

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
 * entity: the dependencies that are valid, normalised, and one sentence per
 * invalid item.
 *
 * @public
 */
export interface ParsedDependencies {
  dependencies: TypedDependency[];
  problems: string[];
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
  const entityRef = stringifyEntityRef(entity);
  const namespace = entity.metadata.namespace;
  const declared = entity.spec?.dependencies;
  const dependencies: TypedDependency[] = [];
  const problems: string[] = [];

  if (declared !== undefined && !Array.isArray(declared)) {
    problems.push(
      `spec.dependencies of ${entityRef} must be a list of { target, type, critical } items, got ${JSON.stringify(
        declared,
      )}`,
    );
  }

  const items: unknown[] = Array.isArray(declared) ? declared : [];
  items.forEach((item, index) => {
    const at = `spec.dependencies[${index}] of ${entityRef}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.push(
        `${at} must be an object with target, type and critical, got ${JSON.stringify(
          item,
        )}`,
      );
      return;
    }
    const fields = item as Record<string, unknown>;
    const itemProblems: string[] = [];

    // A misspelt key such as "critcal" would otherwise quietly make a
    // critical dependency non-critical.
    for (const key of Object.keys(fields)) {
      if (!ITEM_KEYS.includes(key)) {
        itemProblems.push(
          `${at} has the unknown key "${key}"; allowed keys are ${ITEM_KEYS.join(
            ', ',
          )}`,
        );
      }
    }

    const target =
      typeof fields.target === 'string'
        ? toFullRef(fields.target, namespace)
        : undefined;
    if (!target) {
      itemProblems.push(
        `${at} has the target ${JSON.stringify(
          fields.target,
        )}, which is not an entity ref with a kind such as component:payments`,
      );
    }

    const type = fields.type ?? 'runtime';
    if (!isDependencyType(type)) {
      itemProblems.push(
        `${at} has the type ${JSON.stringify(
          type,
        )}; allowed types are ${DEPENDENCY_TYPES.join(', ')}`,
      );
    }

    const critical = fields.critical ?? false;
    if (typeof critical !== 'boolean') {
      itemProblems.push(
        `${at} has critical set to ${JSON.stringify(
          critical,
        )}; allowed values are true and false`,
      );
    }

    if (itemProblems.length > 0 || !target || !isDependencyType(type)) {
      problems.push(...itemProblems);
      return;
    }
    if (dependencies.some(d => d.target === target && d.type === type)) {
      problems.push(
        `${at} declares the ${type} dependency on ${target} a second time`,
      );
      return;
    }
    dependencies.push({ target, type, critical: critical as boolean });
  });

  const plain = entity.spec?.dependsOn;
  for (const value of Array.isArray(plain) ? plain : []) {
    // Invalid dependsOn entries are reported by the stock processor already.
    const target = typeof value === 'string' ? toFullRef(value, namespace) : '';
    if (target && !dependencies.some(d => d.target === target)) {
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
