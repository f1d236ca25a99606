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
