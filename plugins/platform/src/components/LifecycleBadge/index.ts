export { LifecycleBadge } from './LifecycleBadge';
export type { LifecycleBadgeProps } from './LifecycleBadge';
