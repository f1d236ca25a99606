import {
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  DefaultNamespaceEntityPolicy,
  domainEntityV1alpha1Validator,
  Entity,
  EntityPolicies,
  FieldFormatEntityPolicy,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  NoForeignRootFieldsEntityPolicy,
  resourceEntityV1alpha1Validator,
  SchemaValidEntityPolicy,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} from '@backstage/catalog-model';
import { toError } from '@backstage/errors';
import {
  Document,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
} from 'yaml';
import { EntityProblem } from './problems';
import { checkEntity } from './rules';

/**
 * One problem found in a catalog file; `line` is 1-based, and absent when
 * the problem is not at a line (a file that cannot be read).
 *
 * @public
 */
export interface CatalogFileProblem {
  line?: number;
  message: string;
}

/**
 * What {@link checkCatalogFile} found: how many entities the file holds and
 * its problems in the order of the file.
 *
 * @public
 */
export interface CatalogFileCheck {
  entities: number;
  problems: CatalogFileProblem[];
}

// The policies the catalog applies to every entity before any processor, in
// the catalog's order.
const stockPolicy = EntityPolicies.allOf([
  new SchemaValidEntityPolicy(),
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
]);

// The kind schemas of the catalog's BuiltinKindsEntityProcessor. Other kinds
// (Template, say) are validated by processors this command does not have.
const stockKindValidators = [
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
];

/**
 * What the catalog checks of every entity before any processor sees it: its
 * policies, then the schema of a built-in kind. Throws the catalog's own
 * error; a kind without a built-in schema passes, as which other kinds an
 * app knows depends on its processors.
 *
 * @public
 */
export async function enforceStockEntityChecks(
  entity: Entity,
): Promise<Entity> {
  const checked = (await stockPolicy.enforce(entity)) ?? entity;
  for (const validator of stockKindValidators) {
    if (await validator.check(checked)) {
      break;
    }
  }
  return checked;
}

/**
 * The field a stock validation message is about, where its wording says:
 * schema messages start with a JSON pointer (`/spec/dependsOn must be
 * array`), field format messages with a quoted dotted path.
 */
function pathInStockMessage(message: string): Array<string | number> {
  const pointer = /^(?:Malformed envelope, )?\/(\S*) /.exec(message);
  if (pointer) {
    return pointer[1]
      .split('/')
      .map(segment => (/^\d+$/.test(segment) ? Number(segment) : segment));
  }
  const dotted = /^"([\w.]+)" is not valid/.exec(message);
  return dotted ? dotted[1].split('.') : [];
}

/**
 * The offset in the source of the value at `path`, or of the nearest
 * enclosing field that exists: a missing `spec.lifecycle` points at `spec`.
 * For a key of a mapping it is the key, so that an unknown key points at
 * itself rather than at a value on a later line.
 */
function offsetOf(document: Document, path: Array<string | number>): number {
  let node: unknown = document.contents;
  let offset = document.contents?.range?.[0] ?? 0;
  for (const segment of path) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find(
        item => isScalar(item.key) && item.key.value === segment,
      );
      if (isScalar(pair?.key)) {
        offset = pair.key.range?.[0] ?? offset;
        next = pair.value;
      }
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (isNode(item)) {
        offset = item.range?.[0] ?? offset;
        next = item;
      }
    }
    if (next === undefined) {
      break;
    }
    node = next;
  }
  return offset;
}

async function checkDocument(options: {
  value: unknown;
  lifecycles: ReadonlySet<string>;
}): Promise<EntityProblem[]> {
  const { value, lifecycles } = options;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [
      {
        message: `Expected a catalog entity, a mapping with apiVersion, kind, metadata and spec, got ${JSON.stringify(
          value,
        )}`,
        path: [],
      },
    ];
  }

  // As in the catalog, an entity the stock checks reject never reaches the
  // platform's rules, which assume a well-formed entity.
  let entity: Entity;
  try {
    entity = await enforceStockEntityChecks(value as Entity);
  } catch (error) {
    const message = toError(error).message;
    return [{ message, path: pathInStockMessage(message) }];
  }
  return checkEntity(entity, { lifecycles });
}

/**
 * Checks every entity in the YAML text of a catalog file (one document per
 * entity) with the catalog's stock checks and the platform's rules, as the
 * catalog would on registration: an entity the stock checks reject is not
 * checked against the platform's rules. Each problem carries the line of the
 * offending field, or of the nearest field that exists (`spec:` for a
 * missing `spec.lifecycle`).
 *
 * @public
 */
export async function checkCatalogFile(options: {
  source: string;
  lifecycles: ReadonlySet<string>;
}): Promise<CatalogFileCheck> {
  const { source, lifecycles } = options;
  const lineCounter = new LineCounter();
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const problems: CatalogFileProblem[] = [];
  let entities = 0;
  const documents = parseAllDocuments(source, {
    lineCounter,
    // The message alone: the default adds a code excerpt on further lines.
    prettyErrors: false,
  });
  for (const document of Array.isArray(documents) ? documents : []) {
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        problems.push({
          line: lineAt(error.pos[0]),
          message: `Invalid YAML: ${error.message}`,
        });
      }
      continue;
    }
    const value = document.toJS();
    // An empty document, such as after a trailing ---, holds no entity.
    if (value === null || value === undefined) {
      continue;
    }
    entities += 1;
    for (const { message, path } of await checkDocument({
      value,
      lifecycles,
    })) {
      problems.push({
        line: lineAt(offsetOf(document, path)),
        message,
      });
    }
  }
  // The rules run in the catalog's order; a reader goes down the file.
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { entities, problems };
}
