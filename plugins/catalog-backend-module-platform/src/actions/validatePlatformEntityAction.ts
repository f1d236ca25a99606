import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { checkCatalogFile } from '@internal/plugin-platform-common';

/**
 * `catalog:validate-platform-entity`: the check of `platform validate`, on
 * YAML text, with the lifecycles this backend allows.
 */
export function registerValidatePlatformEntityAction(options: {
  actionsRegistry: ActionsRegistryService;
  lifecycles: ReadonlySet<string>;
}): void {
  const { actionsRegistry, lifecycles } = options;
  actionsRegistry.register({
    name: 'validate-platform-entity',
    title: 'Validate a catalog file against the platform rules',
    description: `Checks the YAML text of a catalog file (catalog-info.yaml; one entity per YAML document) as the catalog would on registration, without registering or reading anything: the catalog's own checks (envelope, name formats, the schemas of the built-in kinds), then the platform's rules (spec.lifecycle one of ${[
      ...lifecycles,
    ].join(
      ', ',
    )}; spec.dependencies items { target: kind:name ref, type: runtime|build|data, critical: boolean }; the platform.internal/on-call-url, docs-url and repository-url annotations absolute http(s) URLs). Each problem has the 1-based line of the offending field in the text. The same check as "platform validate" in the platform CLI.`,
    attributes: { destructive: false, readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z.object({
          yaml: z
            .string()
            .describe('The YAML text of the catalog file, not a path or URL'),
        }),
      output: z =>
        z.object({
          valid: z.boolean().describe('true when there is no problem'),
          entities: z.number().describe('How many entities the text holds'),
          problems: z.array(
            z.object({
              line: z
                .number()
                .optional()
                .describe('1-based line of the offending field'),
              message: z.string(),
            }),
          ),
        }),
    },
    async action({ input }) {
      const { entities, problems } = await checkCatalogFile({
        source: input.yaml,
        lifecycles,
      });
      return {
        output: { valid: problems.length === 0, entities, problems },
      };
    },
  });
}
