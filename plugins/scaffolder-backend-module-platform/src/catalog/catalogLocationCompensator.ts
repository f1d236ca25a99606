import { AuthService } from '@backstage/backend-plugin-api';
import {
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyLocationRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { JsonObject } from '@backstage/types';
import {
  JournalEntry,
  ResourceCompensator,
  TransientCompensationError,
} from '@internal/plugin-platform-node';
import { describeCatalogFailure } from './catalogFailure';

/** The journal kind of a location registered by `platform:catalog:register`. */
export const CATALOG_LOCATION_KIND = 'catalog:location';

/** What the action journals about a location it registers. */
export interface CatalogLocationFacts extends JsonObject {
  /** The URL of the catalog file: the location's target. */
  target: string;
  /** The entities the catalog's dry run said the location would add. */
  entityRefs: string[];
  /**
   * The id the catalog assigned to the location, once the action saw it
   * registered: the proof of ownership, since nobody can choose it.
   */
  locationId?: string;
  /** The uids the catalog gave those entities, by ref, once it processed them. */
  entityUids?: { [ref: string]: string };
}

/** `url:<target>`, as the catalog names a location and annotates what it adds. */
export function urlLocationRef(target: string): string {
  return stringifyLocationRef({ type: 'url', target });
}

/** The registered location an entity came from. */
export function originOf(entity: Entity): string | undefined {
  return entity.metadata.annotations?.[ANNOTATION_ORIGIN_LOCATION];
}

function failed(error: unknown, doing: string): Error {
  const failure = describeCatalogFailure(error);
  const message = `Could not ${doing}: ${failure.message}`;
  if (failure.transient) {
    return new TransientCompensationError(message);
  }
  if (failure.status === 401 || failure.status === 403) {
    return new Error(
      `${message}. The scaffolder's service credentials need permission to ${doing}; otherwise unregister it by hand`,
    );
  }
  return new Error(message);
}

/**
 * Unregisters a location a run registered, and with it the entities it
 * added: the catalog removes the entities that only that location kept
 * (eager pruning) when the location goes, which this checks. It deletes only
 * the location whose id the journal recorded; for an intent whose outcome
 * was never seen there is no proof (a location's target is public), so a
 * location with that target is reported for a person to check, never
 * deleted. Rollback runs without a user, so it acts with the module's own
 * service credentials.
 *
 * @public
 */
export function createCatalogLocationCompensator(options: {
  catalog: CatalogService;
  auth: AuthService;
}): ResourceCompensator {
  const { catalog, auth } = options;
  return {
    kind: CATALOG_LOCATION_KIND,
    async compensate(entry: JournalEntry) {
      const facts = entry.data as CatalogLocationFacts;
      const locationRef = urlLocationRef(facts.target);
      const credentials = await auth.getOwnServiceCredentials();

      if (!facts.locationId) {
        let found;
        try {
          found = await catalog.getLocationByRef(locationRef, { credentials });
        } catch (e) {
          throw failed(e, `look up location ${locationRef}`);
        }
        if (!found) {
          return 'already_gone';
        }
        throw new Error(
          `The run recorded no id for location ${locationRef}, so it cannot prove that location ${found.id} is the one it registered; if it is the run's, unregister it by hand`,
        );
      }

      let result: 'deleted' | 'already_gone' = 'deleted';
      try {
        await catalog.removeLocationById(facts.locationId, { credentials });
      } catch (e) {
        if (describeCatalogFailure(e).status !== 404) {
          throw failed(e, `unregister location ${locationRef}`);
        }
        result = 'already_gone';
      }

      // The catalog prunes the location's entities in the same request; one
      // still there means something else holds it. An entity is the run's by
      // its uid once the action saw it, before that by its origin location.
      const left: string[] = [];
      for (const ref of facts.entityRefs ?? []) {
        let entity: Entity | undefined;
        try {
          entity = await catalog.getEntityByRef(ref, { credentials });
        } catch (e) {
          throw failed(e, `look up ${ref}`);
        }
        const uid = facts.entityUids?.[ref];
        if (
          entity &&
          (uid ? entity.metadata.uid === uid : originOf(entity) === locationRef)
        ) {
          left.push(ref);
        }
      }
      if (left.length > 0) {
        throw new TransientCompensationError(
          `Location ${locationRef} is unregistered, but the catalog still holds ${left.join(
            ', ',
          )} from it`,
        );
      }
      return result;
    },
  };
}
