export { OwnerLink } from './OwnerLink';
export type { OwnerLinkProps } from './OwnerLink';
