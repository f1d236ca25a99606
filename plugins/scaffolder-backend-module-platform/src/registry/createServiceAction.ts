import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BackstageCredentials,
  PermissionsService,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import {
  ANNOTATION_LOCATION,
  Entity,
  parseLocationRef,
} from '@backstage/catalog-model';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  ResponseError,
  toError,
} from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import { taskCreatePermission } from '@backstage/plugin-scaffolder-common/alpha';
import { ScaffolderService } from '@backstage/plugin-scaffolder-node';

/** The golden path people mean when they name none. */
const DEFAULT_TEMPLATE = 'template:default/microservice';

type TemplateFile = { path: string; base64Content: string };

/**
 * The files beside a registered template, as a dry run takes them: read
 * from disk for a `file:` location (as the scaffolder itself reads them),
 * through the URL readers otherwise.
 */
async function readTemplateFiles(
  template: Entity,
  urlReader: UrlReaderService,
): Promise<TemplateFile[]> {
  const location = template.metadata.annotations?.[ANNOTATION_LOCATION];
  if (!location) {
    throw new InputError(
      `Template ${template.metadata.name} has no ${ANNOTATION_LOCATION} annotation, so its files cannot be read for a plan`,
    );
  }
  const { type, target } = parseLocationRef(location);
  if (type === 'file') {
    const dir = path.dirname(
      target.startsWith('file:') ? fileURLToPath(target) : target,
    );
    const entries = await fs.readdir(dir, {
      recursive: true,
      withFileTypes: true,
    });
    return Promise.all(
      entries
        .filter(entry => entry.isFile())
        .map(async entry => {
          const absolute = path.join(entry.parentPath, entry.name);
          return {
            path: path.relative(dir, absolute),
            base64Content: (await fs.readFile(absolute)).toString('base64'),
          };
        }),
    );
  }
  const tree = await urlReader.readTree(new URL('.', target).toString());
  return Promise.all(
    (await tree.files()).map(async file => ({
      path: file.path,
      base64Content: (await file.content()).toString('base64'),
    })),
  );
}

/**
 * `scaffolder:create-service`: a service from a golden path, or, with
 * `plan`, what the run would do and whether the platform's preflight would
 * refuse it, without a single write. Unlike the stock `dry-run-template`,
 * the caller names a registered template and gives only its values.
 */
export function registerCreateServiceAction(options: {
  actionsRegistry: ActionsRegistryService;
  scaffolder: ScaffolderService;
  catalog: CatalogService;
  urlReader: UrlReaderService;
  permissions: PermissionsService;
}): void {
  const { actionsRegistry, scaffolder, catalog, urlReader, permissions } =
    options;

  // The scaffolder refuses too, but its client turns the refusal into a
  // plain Error that reaches an assistant as a server failure; asked here,
  // the caller learns it was not permitted, and which permission it lacks.
  const assertMayCreate = async (credentials: BackstageCredentials) => {
    const [decision] = await permissions.authorize(
      [{ permission: taskCreatePermission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You may not start a run (${taskCreatePermission.name}), so no service was created`,
      );
    }
  };

  const planOf = async (
    templateRef: string,
    values: Record<string, unknown>,
    credentials: BackstageCredentials,
  ) => {
    const template = await catalog.getEntityByRef(templateRef, {
      credentials,
    });
    if (!template || template.kind !== 'Template') {
      throw new NotFoundError(`No template ${templateRef} in the catalog`);
    }
    const directoryContents = await readTemplateFiles(template, urlReader);
    try {
      const result = await scaffolder.dryRun(
        {
          template: template as TemplateEntityV1beta3,
          values: values as any,
          directoryContents,
        },
        { credentials },
      );
      const failed = result.log.filter(entry => entry.body.status === 'failed');
      return {
        accepted: failed.length === 0,
        steps: result.steps.map(step => ({
          id: step.id,
          name: step.name,
          action: step.action,
        })),
        log: result.log.map(entry => entry.body.message),
      };
    } catch (error) {
      // The scaffolder answers a refused dry run with an error body; its
      // message is the preflight's list of problems.
      const reason =
        error instanceof ResponseError
          ? error.body.error.message
          : toError(error).message;
      return { accepted: false, steps: [], log: [reason] };
    }
  };

  actionsRegistry.register({
    name: 'create-service',
    title: 'Create a service from a golden path',
    description: `Creates a service from a golden-path template registered in the catalog (default ${DEFAULT_TEMPLATE}), with the caller's credentials and permissions: a repository, a namespace with a quota, a first deployment and a catalog entry. If any step fails, everything the run created is removed again. With plan: true nothing is created: the answer lists the steps, what each would do, and whether the platform's preflight would refuse the run (a name taken, a step not permitted, a namespace not writable, a quota over the maximum). Use catalog.get-catalog-entity on the template to learn its parameters. Follow a started run with scaffolder.get-scaffolder-task-logs.`,
    attributes: { destructive: true, idempotent: false, readOnly: false },
    schema: {
      input: z =>
        z.object({
          templateRef: z
            .string()
            .default(DEFAULT_TEMPLATE)
            .describe(
              'The golden-path template, e.g. template:default/microservice',
            ),
          values: z
            .record(z.unknown())
            .describe("The template's parameter values"),
          plan: z
            .boolean()
            .default(false)
            .describe('Only say what the run would do; create nothing'),
        }),
      output: z =>
        z.object({
          taskId: z
            .string()
            .optional()
            .describe('The started run; absent for a plan'),
          accepted: z
            .boolean()
            .optional()
            .describe(
              'For a plan: false when the run would be refused before any write',
            ),
          steps: z
            .array(
              z.object({
                id: z.string(),
                name: z.string(),
                action: z.string(),
              }),
            )
            .optional()
            .describe("For a plan: the run's steps"),
          log: z
            .array(z.string())
            .optional()
            .describe('For a plan: what each step would do, or why not'),
        }),
    },
    async action({ input, credentials }) {
      if (input.plan) {
        return {
          output: await planOf(input.templateRef, input.values, credentials),
        };
      }
      await assertMayCreate(credentials);
      const { taskId } = await scaffolder.scaffold(
        { templateRef: input.templateRef, values: input.values as any },
        { credentials },
      );
      return { output: { taskId } };
    },
  });
}
