import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { readOwnerAndLifecycle } from '@internal/plugin-platform-common';

/** The value of `type` that lists Components of every type. */
const ALL_TYPES = 'all';

/** What a listed service is made of, to keep each page small. */
const LISTED_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'metadata.description',
  'spec.type',
  'spec.owner',
  'spec.lifecycle',
];

function toTeamRef(team: string): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(team, {
        defaultKind: 'group',
        defaultNamespace: 'default',
      }),
    );
  } catch {
    throw new InputError(
      `The team "${team}" is not a group name or ref such as team-payments or group:default/team-payments`,
    );
  }
}

/**
 * `catalog:list-platform-services`: one page of the Components the caller
 * may read, filtered by team, lifecycle and type, in name order.
 */
export function registerListPlatformServicesAction(options: {
  actionsRegistry: ActionsRegistryService;
  catalog: CatalogService;
}): void {
  const { actionsRegistry, catalog } = options;
  actionsRegistry.register({
    name: 'list-platform-services',
    title: 'List platform services',
    description: `Lists the services in the software catalog that the caller may read, in name order, with owner team, lifecycle stage and type. Filter by team (owner), lifecycle (experimental, development, production, deprecated unless the platform configures others) and type (default service; "${ALL_TYPES}" for every Component). totalItems counts every match; when nextCursor is set, call again with only that cursor (and limit) for the next page. Use catalog:get-platform-service for one service's on-call, repository, docs, dependencies, dependents, blast radius and policy warnings.`,
    attributes: { destructive: false, readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z.object({
          team: z
            .string()
            .optional()
            .describe(
              'Only services owned by this group: team-payments or group:default/team-payments',
            ),
          lifecycle: z
            .string()
            .optional()
            .describe('Only services in this lifecycle stage, e.g. production'),
          type: z
            .string()
            .default('service')
            .describe(
              `Only Components of this spec.type; "${ALL_TYPES}" for every type`,
            ),
          limit: z
            .number()
            .int()
            .min(1)
            .max(200)
            .default(50)
            .describe('At most this many services in the answer'),
          cursor: z
            .string()
            .optional()
            .describe(
              'nextCursor of the previous answer; it carries the filters, which are then ignored',
            ),
        }),
      output: z =>
        z.object({
          services: z.array(
            z.object({
              ref: z.string().describe('e.g. component:default/payments'),
              title: z.string(),
              description: z.string().optional(),
              type: z.string().optional(),
              lifecycle: z.string().optional(),
              owner: z
                .string()
                .optional()
                .describe('Full ref of the owning group'),
            }),
          ),
          totalItems: z
            .number()
            .describe('How many services match, across all pages'),
          nextCursor: z
            .string()
            .optional()
            .describe('Pass as cursor for the next page; absent on the last'),
        }),
    },
    async action({ input, credentials }) {
      const { team, lifecycle, type, limit, cursor } = input;
      const request = cursor
        ? { cursor, limit, fields: LISTED_FIELDS }
        : {
            filter: {
              kind: 'component',
              ...(type !== ALL_TYPES && { 'spec.type': type }),
              // The relation holds the full ref however spec.owner is written.
              ...(team && { 'relations.ownedBy': toTeamRef(team) }),
              ...(lifecycle && { 'spec.lifecycle': lifecycle }),
            },
            orderFields: { field: 'metadata.name', order: 'asc' as const },
            fields: LISTED_FIELDS,
            limit,
          };
      const page = await catalog.queryEntities(request, { credentials });
      return {
        output: {
          services: page.items.map(entity => {
            const specType = entity.spec?.type;
            return {
              ref: stringifyEntityRef(entity),
              title: entity.metadata.title ?? entity.metadata.name,
              description: entity.metadata.description,
              type: typeof specType === 'string' ? specType : undefined,
              ...readOwnerAndLifecycle(entity),
            };
          }),
          totalItems: page.totalItems,
          nextCursor: page.pageInfo.nextCursor,
        },
      };
    },
  });
}
