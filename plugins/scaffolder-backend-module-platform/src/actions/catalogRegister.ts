import {
  AuthService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { AlphaEntity } from '@backstage/catalog-model/alpha';
import { ConflictError, InputError } from '@backstage/errors';
import { ScmIntegrationRegistry } from '@backstage/integration';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  catalogError,
  describeCatalogFailure,
} from '../catalog/catalogFailure';
import {
  CATALOG_LOCATION_KIND,
  CatalogLocationFacts,
  originOf,
  urlLocationRef,
} from '../catalog/catalogLocationCompensator';
import { rollbackInput } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { readManifestFiles } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import {
  checkpointKeyForIntent,
  findStepEntry,
  RollbackJournal,
  StepIntent,
} from '@internal/plugin-platform-node';
import { examples } from './catalogRegister.examples';

/** How long the action waits for the catalog to process, unless a template says otherwise. */
export const DEFAULT_CATALOG_TIMEOUT_SECONDS = 60;

/**
 * The `status.items` type under which the catalog reports the errors of an
 * entity's latest processing (`ENTITY_STATUS_CATALOG_PROCESSING_TYPE` of
 * `@backstage/catalog-client`).
 */
const PROCESSING_STATUS_TYPE = 'backstage.io/catalog-processing';

/**
 * @public
 *
 * @public
 */
export interface CatalogRegisterActionOptions {
  catalog: CatalogService;
  /** For the module's own credentials, which read what the user may not see. */
  auth: AuthService;
  integrations: ScmIntegrationRegistry;
  journal: RollbackJournal;
  /** Time between looks at the catalog while it processes. Default 1 s. */
  pollIntervalMs?: number;
}

/** An entity as the catalog holds it, and whether the user may read it. */
type Sighting = { entity: Entity; visibleToUser: boolean };

function ownerOf(entity: Entity): string | undefined {
  const owner = (entity.spec as { owner?: unknown } | undefined)?.owner;
  return typeof owner === 'string' ? owner : undefined;
}

/** "owned by group:default/a, from url:https://…", as far as the user may know it. */
function describeHolder({ entity, visibleToUser }: Sighting): string {
  if (!visibleToUser) {
    return 'as an entity you are not allowed to see';
  }
  const owner = ownerOf(entity);
  const location =
    entity.metadata.annotations?.[ANNOTATION_LOCATION] ?? originOf(entity);
  return [owner && `owned by ${owner}`, location && `from ${location}`]
    .filter(Boolean)
    .join(', ');
}

function processingErrors(entity: AlphaEntity): string[] {
  return (entity.status?.items ?? [])
    .filter(i => i.type === PROCESSING_STATUS_TYPE && i.level === 'error')
    .map(i => i.error?.message ?? i.message);
}

/** The entity a template links to: as the stock `catalog:register` picks it. */
function mainEntity(entities: Entity[]): Entity {
  const named = entities.filter(e => !e.metadata.name.startsWith('generated-'));
  return named.find(e => e.kind === 'Component') ?? named[0] ?? entities[0];
}

function resolveCatalogInfoUrl(
  input: {
    catalogInfoUrl?: string;
    repoContentsUrl?: string;
    catalogInfoPath?: string;
  },
  integrations: ScmIntegrationRegistry,
): string {
  const { catalogInfoUrl, repoContentsUrl, catalogInfoPath } = input;
  if ((catalogInfoUrl === undefined) === (repoContentsUrl === undefined)) {
    throw new InputError(
      'Give exactly one of catalogInfoUrl and repoContentsUrl',
    );
  }
  if (catalogInfoPath !== undefined && repoContentsUrl === undefined) {
    throw new InputError(
      `catalogInfoPath ${catalogInfoPath} needs repoContentsUrl; catalogInfoUrl is the whole URL`,
    );
  }
  let url = catalogInfoUrl!;
  if (repoContentsUrl !== undefined) {
    let integration;
    try {
      integration = integrations.byUrl(repoContentsUrl);
    } catch {
      integration = undefined;
    }
    if (!integration) {
      throw new InputError(
        `repoContentsUrl ${repoContentsUrl} has no integration configured for its host`,
      );
    }
    url = integration.resolveUrl({
      base: repoContentsUrl,
      url: catalogInfoPath ?? '/catalog-info.yaml',
    });
  }
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new InputError(
      `The catalog file URL ${url} is not an absolute http or https URL`,
    );
  }
  return url;
}

/** What registering a catalog file would add, and whether it is registered already. */
type Prediction = { entities: Entity[]; exists: boolean };

/**
 * The catalog's own dry run: it reads the file at its URL and runs every
 * processor on it and on the entities it leads to, storing nothing.
 */
async function checkWithCatalogDryRun(options: {
  catalog: CatalogService;
  target: string;
  userCredentials: BackstageCredentials;
  log: (message: string) => void;
}): Promise<Prediction> {
  const { catalog, target } = options;
  options.log(`Checking with the catalog's dry run what ${target} would add`);
  try {
    const result = await catalog.addLocation(
      { type: 'url', target, dryRun: true },
      { credentials: options.userCredentials },
    );
    return { entities: result.entities, exists: Boolean(result.exists) };
  } catch (e) {
    const failure = describeCatalogFailure(e);
    if (failure.status === 400) {
      throw new InputError(
        `The catalog would reject ${target}: ${failure.message}`,
      );
    }
    throw catalogError(e, `check ${target} with the catalog's dry run`);
  }
}

/**
 * For a scaffolder dry run: the catalog file as the workspace holds it, which
 * is what the run would push and then register. Each entity goes through
 * the catalog's processors (`validateEntity`), as registering would put it.
 * Undefined when the workspace has no such file.
 */
async function checkWorkspaceFile(options: {
  catalog: CatalogService;
  workspacePath: string;
  catalogInfoPath: string;
  target: string;
  userCredentials: BackstageCredentials;
  serviceCredentials: BackstageCredentials;
  log: (message: string) => void;
}): Promise<Prediction | undefined> {
  const { catalog, workspacePath, target } = options;
  const file = options.catalogInfoPath.replace(/^\/+/, '');
  if (!(await fs.lstat(path.resolve(workspacePath, file)).catch(() => false))) {
    return undefined;
  }
  options.log(
    `Checking ${file} in the workspace, which this run would register as ${target}, with the catalog's processors`,
  );
  const locationRef = urlLocationRef(target);
  const entities: Entity[] = [];
  const problems: string[] = [];
  for (const document of await readManifestFiles(workspacePath, file)) {
    const entity = document as Entity;
    if (
      typeof entity?.kind !== 'string' ||
      typeof entity.metadata?.name !== 'string'
    ) {
      throw new InputError(
        `${file} in the workspace holds a document that is not a catalog entity: it needs kind and metadata.name`,
      );
    }
    const result = await catalog
      .validateEntity(entity, locationRef, {
        credentials: options.userCredentials,
      })
      .catch(e => {
        throw catalogError(e, `check ${file} with the catalog`);
      });
    if (!result.valid) {
      problems.push(...result.errors.map(e => e.message));
    }
    entities.push(entity);
  }
  if (problems.length > 0) {
    throw new InputError(
      `The catalog would reject ${file}, which this run would register as ${target}: ${problems.join(
        '; ',
      )}`,
    );
  }
  const location = await catalog
    .getLocationByRef(locationRef, {
      credentials: options.serviceCredentials,
    })
    .catch(e => {
      throw catalogError(e, `look up location ${locationRef}`);
    });
  return { entities, exists: location !== undefined };
}

/**
 * `platform:catalog:register`: registers a catalog file as a location, as the
 * stock `catalog:register` does, but only once the catalog's dry run shows
 * that every entity it adds is new, and ends only once the catalog has
 * processed them: a name taken by another location, a file the catalog
 * rejects or processing errors fail the run instead of leaving the catalog
 * as it was. The location is journaled, so rollback unregisters it.
 *
 * @public
 */
export function createCatalogRegisterAction(
  options: CatalogRegisterActionOptions,
) {
  const { catalog, auth, integrations, journal } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;

  return createTemplateAction({
    id: 'platform:catalog:register',
    description:
      "Registers a catalog file in the software catalog and waits until the catalog has processed its entities. Fails before registering anything when an entity's name is taken by another location or the catalog rejects the file, and fails when processing reports errors. The location is unregistered again if the run fails, unless rollback is false.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        catalogInfoUrl: z =>
          z
            .string({
              description:
                'Absolute URL of the catalog file, instead of repoContentsUrl',
            })
            .optional(),
        repoContentsUrl: z =>
          z
            .string({
              description:
                'Absolute URL of the root of a repository tree, such as the repoContentsUrl output of platform:github:repo:create; its host needs an integration',
            })
            .optional(),
        catalogInfoPath: z =>
          z
            .string({
              description:
                'Path of the catalog file below repoContentsUrl. Default /catalog-info.yaml',
            })
            .optional(),
        timeoutSeconds: z =>
          z
            .number({
              description: `How long to wait for the catalog to process the new entities. Default ${DEFAULT_CATALOG_TIMEOUT_SECONDS}`,
            })
            .int()
            .positive()
            .optional(),
        rollback: rollbackInput,
      },
      output: {
        entityRef: z =>
          z.string({
            description:
              "The main entity the file adds: its first Component, else its first entity that is not a generated Location, as the stock catalog:register's output",
          }),
        catalogInfoUrl: z =>
          z.string({ description: 'The URL of the registered catalog file' }),
      },
    },

    async handler(ctx) {
      const target = resolveCatalogInfoUrl(ctx.input, integrations);
      const locationRef = urlLocationRef(target);
      const timeoutSeconds =
        ctx.input.timeoutSeconds ?? DEFAULT_CATALOG_TIMEOUT_SECONDS;
      const keep = ctx.input.rollback === false;
      // Registering acts as the user, so the catalog's own permissions apply;
      // the checks also read as the module, because a name is taken even by
      // an entity the user is not allowed to see.
      const userCredentials = await ctx.getInitiatorCredentials();
      const serviceCredentials = await auth.getOwnServiceCredentials();
      const intent: StepIntent = {
        taskId: ctx.task.id,
        stepId: ctx.step?.id ?? 'unknown',
        kind: CATALOG_LOCATION_KIND,
        identity: target,
      };
      const lookup = async (ref: string): Promise<Sighting | undefined> => {
        const seen = await catalog.getEntityByRef(ref, {
          credentials: userCredentials,
        });
        if (seen) {
          return { entity: seen, visibleToUser: true };
        }
        const hidden = await catalog.getEntityByRef(ref, {
          credentials: serviceCredentials,
        });
        return hidden && { entity: hidden, visibleToUser: false };
      };

      // A location already registered is this step's own only when an
      // earlier execution of the step (task recovery, a retried run whose
      // rollback could not remove it) journaled its id, which the catalog
      // assigned and nobody can choose.
      const prior = await findStepEntry(journal, intent);
      const priorId = (prior?.data as CatalogLocationFacts | undefined)
        ?.locationId;
      let ownLocationId: string | undefined;
      if (priorId) {
        const location = await catalog
          .getLocationById(priorId, { credentials: serviceCredentials })
          .catch(e => {
            throw catalogError(e, `look up location ${priorId}`);
          });
        ownLocationId = location?.target === target ? priorId : undefined;
      }

      // Everything below must hold before the first write. In a scaffolder
      // dry run the earlier steps pushed nothing, so the file is checked as
      // it is in the workspace.
      const dryRun =
        (ctx.isDryRun && ctx.input.repoContentsUrl !== undefined
          ? await checkWorkspaceFile({
              catalog,
              workspacePath: ctx.workspacePath,
              catalogInfoPath:
                ctx.input.catalogInfoPath ?? '/catalog-info.yaml',
              target,
              userCredentials,
              serviceCredentials,
              log: message => ctx.logger.info(message),
            })
          : undefined) ??
        (await checkWithCatalogDryRun({
          catalog,
          target,
          userCredentials,
          log: message => ctx.logger.info(message),
        }));
      if (dryRun.exists && !ownLocationId) {
        throw new ConflictError(
          `${target} is already registered in the catalog, by someone other than this run`,
        );
      }
      const refs = dryRun.entities.map(e => stringifyEntityRef(e));
      const taken: string[] = [];
      for (const ref of refs) {
        const existing = await lookup(ref).catch(e => {
          throw catalogError(e, `look up ${ref} in the catalog`);
        });
        const ours =
          ownLocationId !== undefined &&
          existing !== undefined &&
          originOf(existing.entity) === locationRef;
        if (existing && !ours) {
          taken.push(
            `${ref} already exists in the catalog, ${describeHolder(existing)}`,
          );
        }
      }
      if (taken.length > 0) {
        throw new ConflictError(`${taken.join('; ')}; choose another name`);
      }
      const entityRef = stringifyEntityRef(mainEntity(dryRun.entities));

      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would register ${target}, adding ${refs.join(', ')}`,
        );
        ctx.output('entityRef', entityRef);
        ctx.output('catalogInfoUrl', target);
        return;
      }

      // Registered once per run, even when the step runs again; a retry
      // after a rollback registers again: the key follows the attempt.
      const { locationId } = await ctx.checkpoint<{ locationId: string }>({
        key: await checkpointKeyForIntent(
          journal,
          intent,
          `platform.catalog.location.register.${target}`,
        ),
        fn: async () => {
          const facts: CatalogLocationFacts = { target, entityRefs: refs };
          const entry = await journal.recordIntent({
            ...intent,
            url: target,
            data: facts,
          });
          const settle = async (id: string) => {
            await journal.markCreated(entry.id, { data: { locationId: id } });
            if (keep) {
              await journal.markKept(entry.id);
              ctx.logger.info(
                `Keeping ${target} in the catalog even if the run fails, because rollback is false`,
              );
            }
            return { locationId: id };
          };
          if (ownLocationId) {
            ctx.logger.info(
              `${target} was already registered by this run, as location ${ownLocationId}`,
            );
            return settle(ownLocationId);
          }
          ctx.logger.info(`Registering ${target} in the catalog`);
          try {
            const { location } = await catalog.addLocation(
              { type: 'url', target },
              { credentials: userCredentials },
            );
            return await settle(location.id);
          } catch (e) {
            const failure = describeCatalogFailure(e);
            if (failure.transient) {
              // The catalog may have registered it all the same. The intent
              // stays pending; rollback looks for the location and, having no
              // id to prove it is the run's, reports it rather than guess.
              throw new Error(
                `Could not register ${target} in the catalog: ${failure.message}. It may be registered all the same; rollback checks`,
              );
            }
            await journal.discard(entry.id);
            throw catalogError(e, `register ${target} in the catalog`);
          }
        },
      });

      const processed = await waitForProcessing({
        lookup,
        refs,
        target,
        timeoutMs: timeoutSeconds * 1000,
        pollIntervalMs,
        explain: () =>
          catalog.addLocation(
            { type: 'url', target, dryRun: true },
            { credentials: userCredentials },
          ),
        log: message => ctx.logger.info(message),
        signal: ctx.signal,
      });
      // The uids prove to rollback which entities were this run's.
      const entry = await findStepEntry(journal, intent);
      if (entry && entry.data.locationId === locationId) {
        await journal.markCreated(entry.id, {
          data: {
            entityUids: Object.fromEntries(
              [...processed].flatMap(([ref, entity]) =>
                entity.metadata.uid ? [[ref, entity.metadata.uid]] : [],
              ),
            ),
          },
        });
      }
      ctx.output('entityRef', entityRef);
      ctx.output('catalogInfoUrl', target);
    },
  });
}

/**
 * Waits until the catalog holds every entity of the location, processed
 * without errors, and returns them. Fails when one of them is another
 * location's entity (the catalog keeps the entity it had and only logs the
 * conflict), when processing reported errors for one, or at the deadline.
 */
async function waitForProcessing(options: {
  lookup: (ref: string) => Promise<Sighting | undefined>;
  refs: string[];
  target: string;
  timeoutMs: number;
  pollIntervalMs: number;
  /** The catalog's dry run of the file, which says why processing rejects it. */
  explain: () => Promise<unknown>;
  log: (message: string) => void;
  signal?: AbortSignal;
}): Promise<Map<string, Entity>> {
  const { lookup, refs, target, log } = options;
  const locationRef = urlLocationRef(target);
  const deadline = Date.now() + options.timeoutMs;
  log(
    `Waiting up to ${Math.round(
      options.timeoutMs / 1000,
    )} s for the catalog to process ${refs.join(', ')}`,
  );
  let last = '';
  for (;;) {
    if (options.signal?.aborted) {
      throw new Error(
        `Stopped waiting for the catalog to process ${target}: the run was cancelled`,
      );
    }
    const found = new Map<string, Sighting>();
    try {
      for (const ref of refs) {
        const sighting = await lookup(ref);
        if (sighting) {
          found.set(ref, sighting);
        }
      }
    } catch (e) {
      // A passing failure does not end the wait; the deadline does. A
      // refusal would only repeat until the deadline and hide its reason.
      const failure = describeCatalogFailure(e);
      if (!failure.transient) {
        throw catalogError(e, `read the entities of ${target}`);
      }
      log(`Could not read the catalog (${failure.message}); trying again`);
    }
    for (const [ref, sighting] of found) {
      if (originOf(sighting.entity) !== locationRef) {
        throw new ConflictError(
          `${ref} in the catalog is not the new entity but one that already existed, ${describeHolder(
            sighting,
          )}; the catalog ignored the one in ${target}, so choose another name`,
        );
      }
      const errors = processingErrors(sighting.entity);
      if (errors.length > 0) {
        throw new InputError(
          `The catalog could not process ${ref} from ${target}: ${errors.join(
            '; ',
          )}`,
        );
      }
    }
    const missing = refs.filter(ref => !found.has(ref));
    if (missing.length === 0) {
      log(`The catalog has processed ${refs.join(', ')} from ${target}`);
      return new Map([...found].map(([ref, s]) => [ref, s.entity]));
    }
    const waiting = `Waiting for the catalog to process ${missing.join(', ')}`;
    if (waiting !== last) {
      log(waiting);
      last = waiting;
    }
    if (Date.now() >= deadline) {
      // A new entity that fails processing never appears, and the catalog
      // says why only to a dry run, which reads the file afresh.
      let reason = '';
      try {
        await options.explain();
      } catch (e) {
        const failure = describeCatalogFailure(e);
        if (failure.status === 400) {
          throw new InputError(
            `The catalog could not process ${target}: ${failure.message}`,
          );
        }
        reason = `; the catalog's dry run of it failed too: ${failure.message}`;
      }
      throw new Error(
        `The catalog did not finish processing ${missing.join(
          ', ',
        )} from ${target} within ${Math.round(
          options.timeoutMs / 1000,
        )} s${reason}`,
      );
    }
    await delay(options.pollIntervalMs, undefined, {
      signal: options.signal,
    }).catch(() => undefined);
  }
}
