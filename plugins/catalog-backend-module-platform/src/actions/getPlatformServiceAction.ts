import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import {
  ANNOTATION_SOURCE_LOCATION,
  Entity,
  parseEntityRef,
  parseLocationRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  checkEntity,
  createDependencyGraph,
  DependencyRow,
  describeDependencies,
  describeDependencyWarning,
  findServiceWarnings,
  loadDependencyEntities,
  readOwnerAndLifecycle,
  readOwnership,
} from '@internal/plugin-platform-common';

/** Where TechDocs finds an entity's documentation source. */
const ANNOTATION_TECHDOCS_REF = 'backstage.io/techdocs-ref';

function toServiceRef(name: string): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(name, {
        defaultKind: 'component',
        defaultNamespace: 'default',
      }),
    );
  } catch {
    throw new InputError(
      `"${name}" is not a service name or ref such as payments or component:default/payments`,
    );
  }
}

/** The platform's repository annotation, else the stock source location. */
function repositoryOf(entity: Entity): string | undefined {
  const declared = readOwnership(entity).repositoryUrl;
  const source = entity.metadata.annotations?.[ANNOTATION_SOURCE_LOCATION];
  if (declared || !source) {
    return declared;
  }
  try {
    return parseLocationRef(source).target;
  } catch {
    return undefined;
  }
}

function toEdge(row: DependencyRow) {
  return {
    ref: row.ref,
    type: row.type,
    critical: row.critical,
    title: row.node?.title,
    lifecycle: row.node?.lifecycle,
    owner: row.node?.owner,
  };
}

/**
 * `catalog:get-platform-service`: one service as the platform sees it, from
 * what the caller may read in the catalog.
 */
export function registerGetPlatformServiceAction(options: {
  actionsRegistry: ActionsRegistryService;
  catalog: CatalogService;
  lifecycles: ReadonlySet<string>;
}): void {
  const { actionsRegistry, catalog, lifecycles } = options;
  actionsRegistry.register({
    name: 'get-platform-service',
    title: 'Get a platform service',
    description: `Describes one service of the software catalog: owner team, lifecycle stage, on-call rotation URL, repository, documentation (URL, TechDocs and links), typed dependencies (runtime, build or data; critical or not), dependents, blast radius (the services that fail when this one fails, through chains of critical dependencies, nearest first) and policy warnings (broken platform rules, production without on-call, critical dependencies on experimental or deprecated services, dependencies missing from the catalog). Everything comes from the catalog with the caller's permissions: dependents and blast radius count only services the caller may read, and a dependency the caller may not read shows as missing from the catalog. Find names with catalog:list-platform-services.`,
    attributes: { destructive: false, readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z.object({
          name: z
            .string()
            .describe(
              'The service: payments, default/payments or component:default/payments',
            ),
        }),
      output: z => {
        const edge = z.object({
          ref: z.string(),
          type: z.enum(['runtime', 'build', 'data']),
          critical: z.boolean(),
          title: z
            .string()
            .optional()
            .describe('Absent when the catalog has no such entity for you'),
          lifecycle: z.string().optional(),
          owner: z.string().optional(),
        });
        return z.object({
          ref: z.string(),
          title: z.string(),
          description: z.string().optional(),
          type: z.string().optional(),
          lifecycle: z.string().optional(),
          owner: z.string().optional().describe('Full ref of the owning group'),
          onCall: z
            .string()
            .optional()
            .describe('URL of the on-call rotation; absent when none is set'),
          repository: z.string().optional().describe('URL of the repository'),
          docs: z.object({
            url: z.string().optional().describe('The documentation URL'),
            techdocs: z
              .string()
              .optional()
              .describe('The backstage.io/techdocs-ref annotation'),
            links: z.array(
              z.object({
                url: z.string(),
                title: z.string().optional(),
                type: z.string().optional(),
              }),
            ),
          }),
          dependencies: z.array(edge).describe('What this service depends on'),
          dependents: z.array(edge).describe('What depends on this service'),
          blastRadius: z
            .array(z.string())
            .describe('Refs of the services that fail with it, nearest first'),
          warnings: z.array(z.string()).describe('Policy warnings, one each'),
        });
      },
    },
    async action({ input, credentials }) {
      const ref = toServiceRef(input.name);
      const entity = await catalog.getEntityByRef(ref, { credentials });
      if (!entity) {
        throw new NotFoundError(
          `The catalog has no ${ref}, or you may not read it`,
        );
      }
      const graph = createDependencyGraph(
        await loadDependencyEntities({
          catalog: {
            getEntitiesByRefs: request =>
              catalog.getEntitiesByRefs(request, { credentials }),
          },
          entity,
        }),
      );
      const entityRef = stringifyEntityRef(entity);
      const view = describeDependencies({ graph, entityRef });
      const specType = entity.spec?.type;
      const ownership = readOwnership(entity);
      return {
        output: {
          ref: entityRef,
          title: entity.metadata.title ?? entity.metadata.name,
          description: entity.metadata.description,
          type: typeof specType === 'string' ? specType : undefined,
          ...readOwnerAndLifecycle(entity),
          onCall: ownership.onCallUrl,
          repository: repositoryOf(entity),
          docs: {
            url: ownership.docsUrl,
            techdocs: entity.metadata.annotations?.[ANNOTATION_TECHDOCS_REF],
            links: (entity.metadata.links ?? []).map(
              ({ url, title, type }) => ({ url, title, type }),
            ),
          },
          dependencies: view.dependencies.map(toEdge),
          dependents: view.dependents.map(toEdge),
          blastRadius: view.blastRadius.refs,
          warnings: [
            ...checkEntity(entity, { lifecycles }).map(p => p.message),
            ...findServiceWarnings(entity),
            ...view.warnings.map(w => describeDependencyWarning(w, graph)),
          ],
        },
      };
    },
  });
}
