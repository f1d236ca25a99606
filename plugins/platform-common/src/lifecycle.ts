import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { EntityProblem } from './problems';

/**
 * The lifecycle stages a service moves through, in order. Platform teams may
 * replace the list with `platform.catalog.lifecycles` in app-config.
 *
 * @public
 */
export const DEFAULT_LIFECYCLES = [
  'experimental',
  'development',
  'production',
  'deprecated',
] as const;

/** @public */
export type DefaultLifecycle = (typeof DEFAULT_LIFECYCLES)[number];

/**
 * Why a list of lifecycle stages cannot be used, or undefined when it can.
 * `source` names where the list was set, such as
 * `platform.catalog.lifecycles`, for the message.
 *
 * @public
 */
export function lifecycleListProblem(
  lifecycles: readonly string[],
  source: string,
): string | undefined {
  if (lifecycles.length === 0) {
    return `${source} must name at least one lifecycle`;
  }
  const seen = new Set<string>();
  for (const [index, lifecycle] of lifecycles.entries()) {
    if (lifecycle.trim() === '') {
      return `${source}[${index}] must not be empty`;
    }
    if (seen.has(lifecycle)) {
      return `${source} lists the lifecycle "${lifecycle}" more than once`;
    }
    seen.add(lifecycle);
  }
  return undefined;
}

/**
 * Checks that `spec.lifecycle` of a Component or API, and of a Resource that
 * sets one, is one of the allowed stages.
 *
 * @public
 */
export function checkLifecycle(
  entity: Entity,
  lifecycles: ReadonlySet<string>,
): EntityProblem[] {
  const lifecycle = entity.spec?.lifecycle;
  // The stock model requires a lifecycle on Components and APIs only, so on a
  // Resource it is checked when present.
  const checked =
    entity.kind === 'Component' ||
    entity.kind === 'API' ||
    (entity.kind === 'Resource' && lifecycle !== undefined);
  if (
    !checked ||
    (typeof lifecycle === 'string' && lifecycles.has(lifecycle))
  ) {
    return [];
  }
  return [
    {
      message: `${stringifyEntityRef(
        entity,
      )} has the lifecycle ${JSON.stringify(
        lifecycle,
      )}, which is not one of the configured lifecycles: ${[...lifecycles].join(
        ', ',
      )}`,
      path: ['spec', 'lifecycle'],
    },
  ];
}
