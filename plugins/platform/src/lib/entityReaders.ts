import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ANNOTATION_DOCS_URL,
  ANNOTATION_ON_CALL_URL,
  ANNOTATION_REPOSITORY_URL,
  DEPENDENCY_TYPES,
  DependencyType,
  TypedDependency,
} from '@internal/plugin-platform-common';

/**
 * The typed dependencies of an entity, with plain `spec.dependsOn` entries
 * counted as runtime and not critical. Targets come back as full refs so they
 * can be compared with catalog refs.
 */
export function readTypedDependencies(entity: Entity): TypedDependency[] {
  const namespace = entity.metadata.namespace;
  const result: TypedDependency[] = [];
  const seen = new Set<string>();
  const add = (dependency: TypedDependency) => {
    if (!seen.has(dependency.target)) {
      seen.add(dependency.target);
      result.push(dependency);
    }
  };
  const declared = entity.spec?.dependencies;
  if (Array.isArray(declared)) {
    for (const raw of declared) {
      const item = (raw ?? {}) as { [key in string]?: unknown };
      const target = toFullRef(item.target, namespace);
      if (target) {
        add({
          target,
          type: isDependencyType(item.type) ? item.type : 'runtime',
          critical: item.critical === true,
        });
      }
    }
  }
  const dependsOn = entity.spec?.dependsOn;
  if (Array.isArray(dependsOn)) {
    for (const ref of dependsOn) {
      const target = toFullRef(ref, namespace);
      if (target) {
        add({ target, type: 'runtime', critical: false });
      }
    }
  }
  return result;
}

/** Ownership data beside `spec.owner`, read from the platform annotations. */
export interface Ownership {
  owner?: string;
  lifecycle?: string;
  onCallUrl?: string;
  docsUrl?: string;
  repositoryUrl?: string;
}

export function readOwnership(entity: Entity): Ownership {
  const annotations = entity.metadata.annotations ?? {};
  const owner = entity.spec?.owner;
  const lifecycle = entity.spec?.lifecycle;
  return {
    owner:
      typeof owner === 'string'
        ? toFullRef(owner, entity.metadata.namespace, 'group')
        : undefined,
    lifecycle: typeof lifecycle === 'string' ? lifecycle : undefined,
    onCallUrl: annotations[ANNOTATION_ON_CALL_URL],
    docsUrl: annotations[ANNOTATION_DOCS_URL],
    repositoryUrl: annotations[ANNOTATION_REPOSITORY_URL],
  };
}

function isDependencyType(value: unknown): value is DependencyType {
  return DEPENDENCY_TYPES.includes(value as DependencyType);
}

function toFullRef(
  ref: unknown,
  defaultNamespace: string | undefined,
  defaultKind = 'component',
): string | undefined {
  if (typeof ref !== 'string') {
    return undefined;
  }
  try {
    return stringifyEntityRef(
      parseEntityRef(ref, { defaultKind, defaultNamespace }),
    );
  } catch {
    return undefined;
  }
}
