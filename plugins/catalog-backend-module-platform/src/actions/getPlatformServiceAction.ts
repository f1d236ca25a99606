import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  checkEntity,
  DependencyRow,
  findServiceWarnings,
  readOwnerAndLifecycle,
  readOwnership,
  readRepositoryUrl,
} from '@internal/plugin-platform-common';
import { CatalogDependencyReader } from '../dependencies/CatalogDependencyReader';

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
  dependencies: CatalogDependencyReader;
  lifecycles: ReadonlySet<string>;
}): void {
  const { actionsRegistry, dependencies, lifecycles } = options;
  actionsRegistry.register({
    name: 'get-platform-service',
    title: 'Get a platform service',
    description: `Describes one service of the software catalog: owner team, lifecycle stage, on-call rotation URL, repository, documentation (URL, TechDocs and links), typed dependencies (runtime, build or data; critical or not), dependents (the first ones by name, with their total), blast radius (the services that fail when this one fails, through chains of critical dependencies, nearest first, with their total) and policy warnings (broken platform rules, production without on-call, critical dependencies on experimental or deprecated services, dependencies missing from the catalog). Everything comes from the catalog with the caller's permissions: dependents and blast radius count only services the caller may read, and a dependency the caller may not read shows as missing from the catalog. Find names with catalog:list-platform-services.`,
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
          dependents: z
            .array(edge)
            .describe(
              'What depends on this service: the first ones by name, when there are more than dependentsTotal says',
            ),
          dependentsTotal: z
            .number()
            .describe('How many services depend on it'),
          blastRadius: z
            .array(z.string())
            .describe(
              'Refs of the services that fail with it, nearest first; the nearest ones when there are more than blastRadiusTotal says',
            ),
          blastRadiusTotal: z
            .number()
            .describe('How many services fail with it'),
          warnings: z.array(z.string()).describe('Policy warnings, one each'),
        });
      },
    },
    async action({ input, credentials }) {
      const ref = toServiceRef(input.name);
      const [entity, summary] = await Promise.all([
        dependencies.readEntity(ref, credentials),
        dependencies.summarize(ref, credentials),
      ]);
      const specType = entity.spec?.type;
      const ownership = readOwnership(entity);
      return {
        output: {
          ref: summary.entityRef,
          title: entity.metadata.title ?? entity.metadata.name,
          description: entity.metadata.description,
          type: typeof specType === 'string' ? specType : undefined,
          ...readOwnerAndLifecycle(entity),
          onCall: ownership.onCallUrl,
          repository: readRepositoryUrl(entity),
          docs: {
            url: ownership.docsUrl,
            techdocs: entity.metadata.annotations?.[ANNOTATION_TECHDOCS_REF],
            links: (entity.metadata.links ?? []).map(
              ({ url, title, type }) => ({ url, title, type }),
            ),
          },
          dependencies: summary.dependencies.map(toEdge),
          dependents: summary.dependents.rows.map(toEdge),
          dependentsTotal: summary.dependents.totalItems,
          blastRadius: summary.blastRadius.items.map(item => item.ref),
          blastRadiusTotal: summary.blastRadius.total,
          warnings: [
            ...checkEntity(entity, { lifecycles }).map(p => p.message),
            ...findServiceWarnings(entity),
            ...summary.warnings.map(warning => warning.message),
          ],
        },
      };
    },
  });
}
