import {
  BackstageCredentials,
  PermissionsRegistryService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef, parseEntityRef } from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  toError,
} from '@backstage/errors';
import {
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createConditionAuthorizer } from '@backstage/plugin-permission-node';
import { actionExecutePermission } from '@backstage/plugin-scaffolder-common/alpha';
import { scaffolderActionPermissionResourceRef } from '@backstage/plugin-scaffolder-node/alpha';
import { JsonObject } from '@backstage/types';
import { KubernetesObject } from '@kubernetes/client-node';
import { Octokit } from '@octokit/rest';
import {
  createGithubClient,
  describeGithubFailure,
  GithubRequestPolicy,
  isGithubStatus,
} from '@internal/plugin-scaffolder-backend-module-platform-github';
import {
  assertOwnerLogin,
  checkRepositoryInput,
} from '@internal/plugin-scaffolder-backend-module-platform-github';
import {
  resolveQuota,
  selectCluster,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { assertDeploymentPolicy } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { explained } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { toQuotaRequest } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import {
  checkManifests,
  readManifestFiles,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import {
  assertAdoptable,
  toNamespaceResource,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import {
  assertDns1123Label,
  isManagedByPlatform,
  LABEL_SERVICE,
  ownerLabelValue,
} from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import { PlatformKubernetes } from '@internal/plugin-scaffolder-backend-module-platform-kubernetes';
import {
  checkDatabaseCreate,
  DatabaseCreateInput,
  PlatformDatabases,
} from '@internal/plugin-scaffolder-backend-module-platform-database';
import { PlatformPermissions } from '@internal/plugin-platform-node';

/**
 * A step the run will take, with the input it will get.
 *
 * @public
 */
export interface PlannedStep {
  action: string;
  input?: JsonObject;
}

/**
 * Something that would make the run fail. `denied`: the user may not;
 * `taken`: a name exists already; `invalid`: the input is wrong;
 * `unchecked`: a system that must be asked did not answer.
 *
 * @public
 */
export interface PreflightProblem {
  kind: 'denied' | 'taken' | 'invalid' | 'unchecked';
  message: string;
}

/** One check; what it returns is of no interest, only whether it throws. */
type Check = () => unknown;

/**
 * A service name, and whether each system has it free.
 *
 * @public
 */
export interface ServiceNameCheck {
  name: string;
  checks: Array<{
    system: string;
    free: boolean;
    kind?: PreflightProblem['kind'];
    message?: string;
  }>;
}

/** What a step that writes into a namespace needs to know of it. */
interface NamespacePlan {
  cluster: string;
  service: string;
}

/**
 * Looks at everything that can be known before a run writes anything: the
 * permission to run each platform step with its input, every name it will
 * create being free (in the catalog, on GitHub, on the cluster, on the
 * database server, which must answer), every
 * namespace it writes into being the user's, its quotas within bounds and
 * its manifests within the deployment policy. It only reads.
 *
 * @public
 */
export class PlatformPreflight {
  private readonly isActionAllowed;

  constructor(
    private readonly options: {
      integrations: ScmIntegrationRegistry;
      credentialsProvider: GithubCredentialsProvider;
      kubernetes: PlatformKubernetes;
      /** The servers of `platform.databases`, where database steps create. */
      databases: PlatformDatabases;
      access: PlatformPermissions;
      permissions: PermissionsService;
      permissionsRegistry: PermissionsRegistryService;
      catalog: CatalogService;
      /** How GitHub calls wait and try again, as the actions' own. */
      githubPolicy?: GithubRequestPolicy;
    },
  ) {
    this.isActionAllowed = createConditionAuthorizer(
      options.permissionsRegistry.getPermissionRuleset(
        scaffolderActionPermissionResourceRef,
      ),
    );
  }

  /** Every problem the run would meet, in the order of its steps. */
  async check(request: {
    credentials: BackstageCredentials;
    workspacePath: string;
    entityRef?: string;
    steps: PlannedStep[];
    signal?: AbortSignal;
  }): Promise<PreflightProblem[]> {
    const problems: PreflightProblem[] = [];
    const run = async (check: Check) => {
      try {
        await check();
      } catch (e) {
        problems.push(toProblem(e));
      }
    };
    if (request.entityRef) {
      await run(() =>
        this.checkEntityFree(request.entityRef!, request.credentials),
      );
    }
    const [decision] = await this.options.permissions.authorizeConditional(
      [{ permission: actionExecutePermission }],
      { credentials: request.credentials },
    );
    // Namespaces an earlier step of the same run creates, by cluster/name.
    const planned = new Map<string, NamespacePlan>();
    for (const step of request.steps) {
      const input = step.input ?? {};
      if (!this.isActionAllowed(decision, { action: step.action, input })) {
        problems.push({
          kind: 'denied',
          message: `You may not run ${step.action} with these inputs (scaffolder.action.execute)`,
        });
        continue;
      }
      const checks = this.checksFor(step.action, input, planned, request);
      for (const check of checks) {
        await run(check);
      }
    }
    return problems;
  }

  private checksFor(
    action: string,
    input: JsonObject,
    planned: Map<string, NamespacePlan>,
    request: {
      credentials: BackstageCredentials;
      workspacePath: string;
      signal?: AbortSignal;
    },
  ): Check[] {
    switch (action) {
      case 'platform:github:repo:create':
        return [() => this.checkRepository(input, request.signal)];
      case 'platform:kubernetes:namespace:create':
        return [() => this.checkNewNamespace(input, planned, request)];
      case 'platform:kubernetes:apply':
        return [
          async () => {
            const { service } = await this.checkWritableNamespace(
              input,
              planned,
              request.credentials,
              'deploy into',
            );
            const manifests = checkManifests({
              documents: Array.isArray(input.manifests)
                ? input.manifests
                : await readManifestFiles(
                    request.workspacePath,
                    String(input.manifestPath ?? ''),
                  ),
              namespace: String(input.namespace),
              public: input.public as boolean | undefined,
            });
            assertDeploymentPolicy({
              manifests,
              service,
              settings: this.options.kubernetes.settings.policy,
            });
          },
        ];
      case 'platform:database:create':
        return [
          () =>
            checkDatabaseCreate({
              ...this.options,
              input: input as unknown as DatabaseCreateInput,
              credentials: async () => request.credentials,
              namespaceCreatedByRun: planned.has(
                `${this.clusterOf(input)}/${String(input.namespace ?? '')}`,
              ),
            }),
        ];
      case 'platform:kubernetes:quota:apply':
        return [
          () =>
            resolveQuota(
              this.options.kubernetes.settings,
              toQuotaRequest((input.quota ?? {}) as JsonObject),
            ),
          () =>
            this.checkWritableNamespace(
              input,
              planned,
              request.credentials,
              'change the quota of',
            ),
        ];
      default:
        return [];
    }
  }

  private async checkEntityFree(
    ref: string,
    credentials: BackstageCredentials,
  ): Promise<void> {
    let entityRef: string;
    try {
      entityRef = stringifyEntityRef(
        parseEntityRef(ref, { defaultKind: 'component' }),
      );
    } catch {
      throw new InputError(`${ref} is not an entity ref`);
    }
    const existing = await this.options.catalog.getEntityByRef(entityRef, {
      credentials,
    });
    if (existing) {
      const owner = (existing.spec as { owner?: string } | undefined)?.owner;
      throw new ConflictError(
        `${entityRef} already exists in the catalog${
          owner ? `, owned by ${owner}` : ''
        }; choose another name`,
      );
    }
  }

  private async checkRepository(
    input: JsonObject,
    signal?: AbortSignal,
  ): Promise<void> {
    const teamAccess = (input.teams ?? []) as Array<{ team: string }>;
    const { host, owner, repo } = checkRepositoryInput(
      {
        repoUrl: String(input.repoUrl ?? ''),
        defaultBranch:
          typeof input.defaultBranch === 'string'
            ? input.defaultBranch
            : undefined,
        topics: input.topics as string[] | undefined,
        teams: teamAccess,
      },
      this.options.integrations,
    );
    const teams = teamAccess.map(t => t.team);

    const client = await this.checkRepositoryFree({
      host,
      owner,
      repo,
      signal,
    });
    const exists = (what: string, call: () => Promise<unknown>) =>
      githubExists(host, what, call);
    const ownerExists = await exists(`owner ${owner}`, () =>
      client.users.getByUsername({ username: owner }),
    );
    if (!ownerExists) {
      throw new InputError(`Owner ${owner} does not exist on ${host}`);
    }
    for (const team of teams) {
      const found = await exists(`team ${team} of ${owner}`, () =>
        client.teams.getByName({ org: owner, team_slug: team }),
      );
      if (!found) {
        throw new InputError(
          `Team ${team} does not exist in organization ${owner}, or the ${host} credentials cannot see it`,
        );
      }
    }
  }

  /** Refuses a repository name that is taken; returns the client it used. */
  private async checkRepositoryFree(options: {
    host: string;
    owner: string;
    repo: string;
    signal?: AbortSignal;
  }): Promise<Octokit> {
    const { host, owner, repo } = options;
    const client = await createGithubClient({
      ...this.options.githubPolicy,
      integrations: this.options.integrations,
      credentialsProvider: this.options.credentialsProvider,
      ...options,
    });
    const found = await githubExists(host, `${owner}/${repo}`, () =>
      client.repos.get({ owner, repo }),
    );
    if (found) {
      throw new ConflictError(
        `Repository ${owner}/${repo} already exists on ${host}; choose another name`,
      );
    }
    return client;
  }

  /**
   * What the Create page shows while a user types a service name: the exact
   * name, and whether it is free in the catalog, on GitHub and on the
   * cluster, each in a sentence.
   */
  async checkServiceName(request: {
    credentials: BackstageCredentials;
    name: string;
    githubHost?: string;
    githubOwner?: string;
    cluster?: string;
  }): Promise<ServiceNameCheck> {
    const { name, credentials } = request;
    const checks: ServiceNameCheck['checks'] = [];
    const run = async (system: string, check: Check) => {
      try {
        await check();
        checks.push({ system, free: true });
      } catch (e) {
        checks.push({ system, free: false, ...toProblem(e) });
      }
    };
    await run('name', () => assertDns1123Label(name, 'Service name'));
    if (checks[0].free) {
      await run('catalog', () =>
        this.checkEntityFree(`component:default/${name}`, credentials),
      );
      if (request.githubOwner) {
        const host = request.githubHost ?? 'github.com';
        await run('github', async () => {
          assertOwnerLogin(request.githubOwner!);
          await this.checkRepositoryFree({
            host,
            owner: request.githubOwner!,
            repo: name,
          });
        });
      }
      await run('kubernetes', async () => {
        const cluster = this.clusterOf({ cluster: request.cluster });
        if (await this.readNamespace(cluster, name)) {
          throw new ConflictError(
            `Namespace ${name} already exists on cluster ${cluster}; choose another name`,
          );
        }
      });
    }
    return { name, checks };
  }

  private async checkNewNamespace(
    input: JsonObject,
    planned: Map<string, NamespacePlan>,
    request: { credentials: BackstageCredentials },
  ): Promise<void> {
    const { kubernetes, access } = this.options;
    const name = String(input.name ?? '');
    const service = String(input.service ?? '');
    assertDns1123Label(name, 'Namespace name');
    assertDns1123Label(service, 'Service name');
    ownerLabelValue(String(input.owner ?? ''));
    resolveQuota(
      kubernetes.settings,
      input.quota ? toQuotaRequest(input.quota as JsonObject) : undefined,
    );
    const cluster = this.clusterOf(input);
    // Later steps write into the namespace this step makes: a problem with
    // it is reported here once, not again for each of them.
    planned.set(`${cluster}/${name}`, { cluster, service });
    const existing = await this.readNamespace(cluster, name);
    if (existing) {
      await assertAdoptable({
        existing,
        cluster,
        service,
        adopt: input.adopt === true,
        access,
        credentials: async () => request.credentials,
      });
    }
  }

  /** The namespace a later step writes into: created by this run, or the user's. */
  private async checkWritableNamespace(
    input: JsonObject,
    planned: Map<string, NamespacePlan>,
    credentials: BackstageCredentials,
    doing: string,
  ): Promise<NamespacePlan> {
    const name = String(input.namespace ?? '');
    assertDns1123Label(name, 'Namespace name');
    const cluster = this.clusterOf(input);
    const ownRun = planned.get(`${cluster}/${name}`);
    if (ownRun) {
      return ownRun;
    }
    const existing = await this.readNamespace(cluster, name);
    if (!existing) {
      throw new InputError(
        `Namespace ${name} does not exist on cluster ${cluster}, and no earlier step creates it`,
      );
    }
    if (!isManagedByPlatform(existing)) {
      throw new NotAllowedError(
        `Namespace ${name} on cluster ${cluster} is not managed by this platform`,
      );
    }
    await this.options.access.assertNamespaceWrite({
      credentials,
      namespace: toNamespaceResource(cluster, existing),
      doing,
    });
    return {
      cluster,
      service: existing.metadata?.labels?.[LABEL_SERVICE] ?? name,
    };
  }

  private clusterOf(input: JsonObject): string {
    const { kubernetes } = this.options;
    return selectCluster(
      kubernetes.clusters,
      kubernetes.settings,
      input.cluster as string | undefined,
    ).name;
  }

  private readNamespace(
    cluster: string,
    name: string,
  ): Promise<KubernetesObject | undefined> {
    return explained(
      () =>
        this.options.kubernetes.clientFor(cluster).read({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name },
        }),
      `read namespace ${name} on cluster ${cluster}`,
    );
  }
}

/** Whether a GitHub lookup finds something; a failure other than 404 says so in words. */
function githubExists(
  host: string,
  what: string,
  call: () => Promise<unknown>,
): Promise<boolean> {
  return call().then(
    () => true,
    e => {
      if (isGithubStatus(e, 404)) {
        return false;
      }
      throw new Error(
        `Could not look up ${what} on ${host}: ${
          describeGithubFailure(e).message
        }`,
      );
    },
  );
}

function toProblem(error: unknown): PreflightProblem {
  const e = toError(error);
  const kind = (
    {
      NotAllowedError: 'denied',
      ConflictError: 'taken',
      InputError: 'invalid',
      NotFoundError: 'invalid',
    } as const
  )[e.name];
  return { kind: kind ?? 'unchecked', message: e.message };
}

/**
 * One error for all the problems, of the class of the most telling one: a
 * denial, then a name taken, then bad input, then a system that did not
 * answer.
 */
export function preflightError(problems: PreflightProblem[]): Error {
  const lines = problems.map(p => `- ${p.message}`).join('\n');
  const message = `Nothing was created: the run would fail, so it stopped before its first write. ${
    problems.length
  } problem${problems.length === 1 ? '' : 's'}:\n${lines}`;
  const kinds = new Set(problems.map(p => p.kind));
  if (kinds.has('denied')) {
    return new NotAllowedError(message);
  }
  if (kinds.has('taken')) {
    return new ConflictError(message);
  }
  if (kinds.has('invalid')) {
    return new InputError(message);
  }
  return new Error(message);
}
