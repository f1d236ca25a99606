import {
  ANNOTATION_SOURCE_LOCATION,
  Entity,
  parseLocationRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { EntityProblem } from './problems';

/**
 * Annotations that carry ownership data beside `spec.owner`. Each value must
 * be an absolute URL.
 *
 * @public
 */
export const ANNOTATION_ON_CALL_URL = 'platform.internal/on-call-url';
/** @public */
export const ANNOTATION_DOCS_URL = 'platform.internal/docs-url';
/** @public */
export const ANNOTATION_REPOSITORY_URL = 'platform.internal/repository-url';

/**
 * Where to reach the owners of an entity. Every field is an absolute http or
 * https URL, or absent.
 *
 * @public
 */
export interface Ownership {
  onCallUrl?: string;
  docsUrl?: string;
  repositoryUrl?: string;
}

/**
 * The ownership annotations, the field of {@link Ownership} each fills, and
 * the title and type of the entity link the catalog adds for it.
 *
 * @public
 */
export const OWNERSHIP_ANNOTATIONS = [
  {
    annotation: ANNOTATION_ON_CALL_URL,
    field: 'onCallUrl',
    title: 'On-call',
    linkType: 'on-call',
  },
  {
    annotation: ANNOTATION_DOCS_URL,
    field: 'docsUrl',
    title: 'Documentation',
    linkType: 'documentation',
  },
  {
    annotation: ANNOTATION_REPOSITORY_URL,
    field: 'repositoryUrl',
    title: 'Repository',
    linkType: 'repository',
  },
] as const;

/**
 * The outcome of reading the ownership annotations of an entity.
 *
 * @public
 */
export interface ParsedOwnership {
  ownership: Ownership;
  problems: EntityProblem[];
}

// Only http(s): the frontend renders these as links, and a javascript: or
// data: URL there would run in the user's session.
const WEB_URL_START = /^https?:\/\//i;

function isWebUrl(value: string): boolean {
  return WEB_URL_START.test(value) && URL.canParse(value);
}

/**
 * Reads and validates the ownership annotations of an entity.
 *
 * @public
 */
export function parseOwnership(entity: Entity): ParsedOwnership {
  const annotations = entity.metadata.annotations ?? {};
  const ownership: Ownership = {};
  const problems: EntityProblem[] = [];
  for (const { annotation, field } of OWNERSHIP_ANNOTATIONS) {
    const value = annotations[annotation];
    if (value === undefined) {
      continue;
    }
    if (isWebUrl(value)) {
      ownership[field] = value;
    } else {
      problems.push({
        message: `Annotation ${annotation} of ${stringifyEntityRef(
          entity,
        )} is ${JSON.stringify(
          value,
        )}, which is not an absolute http or https URL`,
        path: ['metadata', 'annotations', annotation],
      });
    }
  }
  return { ownership, problems };
}

/**
 * The valid ownership URLs of an entity, for display: see
 * {@link parseOwnership}.
 *
 * @public
 */
export function readOwnership(entity: Entity): Ownership {
  return parseOwnership(entity).ownership;
}

/**
 * Where an entity's source lives: its `platform.internal/repository-url`,
 * else the web page the catalog read it from (`backstage.io/source-location`,
 * which for a registered repository is the repository's tree). Only http(s)
 * URLs; the golden path leaves the annotation out, because the repository's
 * address is known only once the repository exists, after the entity file
 * was written.
 *
 * @public
 */
export function readRepositoryUrl(entity: Entity): string | undefined {
  const declared = readOwnership(entity).repositoryUrl;
  const source = entity.metadata.annotations?.[ANNOTATION_SOURCE_LOCATION];
  if (declared || !source) {
    return declared;
  }
  try {
    const { type, target } = parseLocationRef(source);
    return type === 'url' && isWebUrl(target) ? target : undefined;
  } catch {
    return undefined;
  }
}
