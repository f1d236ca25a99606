import { parseEntityRef } from '@backstage/catalog-model';
import {
  EntityRefLink,
  humanizeEntityRef,
} from '@backstage/plugin-catalog-react';

/** @public */
export interface OwnerLinkProps {
  /** A full ref such as `group:default/team-payments`; undefined if none. */
  ownerRef?: string;
}

/** The owning team as a link to its group page, or "no owner" in words. */
export function OwnerLink(props: OwnerLinkProps) {
  const { ownerRef } = props;
  if (!ownerRef) {
    return <>no owner</>;
  }
  return (
    <EntityRefLink entityRef={ownerRef}>
      {humanizeEntityRef(parseEntityRef(ownerRef), { defaultKind: 'group' })}
    </EntityRefLink>
  );
}
