import express, { NextFunction, Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  adminRightsRequired,
  badCredentials,
  emptyRepository,
  nameAlreadyExists,
  notFound,
  rateLimited,
  sendGithubError,
  validationFailed,
} from './errors';

/** Who a token belongs to and which OAuth scopes it carries. */
export interface GithubTokenGrant {
  login: string;
  scopes: string[];
}

export interface GithubApiServerOptions {
  /** Token -> grant. Requests with any other token get 401. */
  tokens: Record<string, GithubTokenGrant>;
  /** Organizations that exist; any token may create repositories in them. */
  orgs?: string[];
  /**
   * Team slugs per organization. An organization not named here has every
   * team a request asks for.
   */
  teams?: Record<string, string[]>;
  /** The web host in `html_url`s, as `integrations.github[].host` names it. Default `github.localhost`. */
  host?: string;
  /** Defaults to an ephemeral port on 127.0.0.1. */
  port?: number;
}

/** One request the server answered, for assertions. */
export interface GithubRecordedRequest {
  method: string;
  path: string;
  status: number;
  /** The token's login, never the token. */
  login?: string;
}

export interface GithubFaultOptions {
  /**
   * What the failing requests get: a status (default 502), `rate-limit`
   * (the primary limit: `x-ratelimit-remaining: 0` and `x-ratelimit-reset`),
   * `secondary-rate-limit` (with `retry-after` only when
   * `retryAfterSeconds` is given), both 403 or, with `status: 429`, 429; or
   * `timeout` (no answer until the client gives up).
   */
  kind?: 'status' | 'rate-limit' | 'secondary-rate-limit' | 'timeout';
  status?: number;
  /** The `retry-after` header, in seconds; none unless given. */
  retryAfterSeconds?: number;
  /**
   * For `rate-limit`: how far away `x-ratelimit-reset` is, in seconds.
   * Default 3600, a fresh hour's window.
   */
  resetInSeconds?: number;
  method?: string;
  /** Only requests whose path contains this. */
  pathIncludes?: string;
  /** Only requests to exactly this path, e.g. `/user` but not `/users/x`. */
  path?: string;
  /**
   * Carry out the request, then fail anyway: the client cannot tell whether
   * the change happened (a create that timed out or answered 5xx).
   */
  afterCommit?: boolean;
  /**
   * GitHub's `message` in the failing answer, for a message that echoes
   * something back (a token, a header) the way some GitHub errors do.
   */
  message?: string;
}

interface FaultRule extends GithubFaultOptions {
  remaining: number;
}

export interface GithubGitCommit {
  sha: string;
  message: string;
  tree: string;
  parents: string[];
}

export interface GithubRepo {
  id: number;
  node_id: string;
  name: string;
  full_name: string;
  owner: { login: string; type: 'User' | 'Organization' };
  private: boolean;
  visibility: 'public' | 'private' | 'internal';
  description: string | null;
  homepage: string | null;
  default_branch: string;
  topics: string[];
  html_url: string;
  clone_url: string;
  url: string;
  created_at: string;
  /** Team slug -> permission. */
  teams: Record<string, string>;
  git: {
    blobs: Map<string, Buffer>;
    /** Tree sha -> path -> blob sha. */
    trees: Map<string, Record<string, string>>;
    /** Tree sha -> path -> file mode (`100644`, `100755`). */
    modes: Map<string, Record<string, string>>;
    commits: Map<string, GithubGitCommit>;
    refs: Map<string, string>;
  };
  /** Git Data calls that still answer 404, as right after a real creation. */
  gitNotReadyCalls: number;
}

/** A running loopback GitHub REST API. */
export interface LocalGithubApiServer {
  /** `http://127.0.0.1:PORT`, for `integrations.github[].apiBaseUrl`. */
  url: string;
  host: string;
  /** Settings a test may change while the server runs. */
  settings: {
    /** Git Data calls that answer 404 right after each repository creation. */
    gitNotReadyCallsAfterCreate: number;
    /** Added before every response. */
    latencyMs: number;
  };
  /** The next `count` matching requests fail as `options` says. */
  failNext(count: number, options?: GithubFaultOptions): void;
  /** Drops every fault not yet used up. */
  clearFaults(): void;
  requests: GithubRecordedRequest[];
  /** A stored repository, or undefined. */
  getRepo(owner: string, name: string): GithubRepo | undefined;
  listRepos(): GithubRepo[];
  /** The files of a branch's head commit, path -> UTF-8 content. */
  files(owner: string, name: string, branch?: string): Record<string, string>;
  /** The file modes of a branch's head commit, path -> `100644` or `100755`. */
  fileModes(
    owner: string,
    name: string,
    branch?: string,
  ): Record<string, string>;
  /** Stores a repository as if someone else had created it before the test. */
  seedRepo(
    owner: string,
    name: string,
    fields?: Partial<GithubRepo>,
  ): GithubRepo;
  close(): Promise<void>;
}

function gitSha(type: string, body: Buffer): string {
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]))
    .digest('hex');
}

function publicRepo(repo: GithubRepo) {
  const { git: _git, gitNotReadyCalls: _ready, teams: _teams, ...rest } = repo;
  return rest;
}

/**
 * Starts a loopback server that speaks the GitHub REST API calls the
 * platform makes: users, repository create/get/update/delete, topics, team
 * access and the Git Data API, with GitHub's status codes and error bodies.
 */
export async function startGithubApiServer(
  options: GithubApiServerOptions,
): Promise<LocalGithubApiServer> {
  const host = options.host ?? 'github.localhost';
  const orgs = new Set(options.orgs ?? []);
  const repos = new Map<string, GithubRepo>();
  const faults: FaultRule[] = [];
  const requests: GithubRecordedRequest[] = [];
  const settings = { gitNotReadyCallsAfterCreate: 0, latencyMs: 0 };
  let nextId = 1000;
  let baseUrl = '';
  const key = (owner: string, name: string) =>
    `${owner.toLowerCase()}/${name.toLowerCase()}`;

  function makeRepo(
    owner: string,
    name: string,
    fields?: Partial<GithubRepo>,
  ): GithubRepo {
    const id = nextId++;
    const visibility = fields?.visibility ?? 'public';
    return {
      id,
      node_id: Buffer.from(`010:Repository${id}`).toString('base64'),
      name,
      full_name: `${owner}/${name}`,
      owner: { login: owner, type: orgs.has(owner) ? 'Organization' : 'User' },
      private: visibility !== 'public',
      visibility,
      description: null,
      homepage: null,
      default_branch: 'main',
      topics: [],
      html_url: `https://${host}/${owner}/${name}`,
      clone_url: `https://${host}/${owner}/${name}.git`,
      url: `${baseUrl}/repos/${owner}/${name}`,
      created_at: new Date().toISOString(),
      teams: {},
      git: {
        blobs: new Map(),
        trees: new Map(),
        modes: new Map(),
        commits: new Map(),
        refs: new Map(),
      },
      gitNotReadyCalls: 0,
      ...fields,
    };
  }

  function storeTree(
    repo: GithubRepo,
    files: Record<string, string>,
    modes: Record<string, string>,
  ): string {
    const sorted = Object.keys(files)
      .sort()
      .map(p => `${modes[p]} ${p}\0${files[p]}`)
      .join('\n');
    const sha = gitSha('tree', Buffer.from(sorted));
    repo.git.trees.set(sha, { ...files });
    repo.git.modes.set(sha, { ...modes });
    return sha;
  }

  function storeCommit(
    repo: GithubRepo,
    commit: Omit<GithubGitCommit, 'sha'>,
  ): GithubGitCommit {
    const body = `tree ${commit.tree}\n${commit.parents
      .map(p => `parent ${p}\n`)
      .join('')}\n${commit.message}`;
    const stored = { ...commit, sha: gitSha('commit', Buffer.from(body)) };
    repo.git.commits.set(stored.sha, stored);
    return stored;
  }

  function autoInit(repo: GithubRepo) {
    const readme = Buffer.from(`# ${repo.name}\n`);
    const blob = gitSha('blob', readme);
    repo.git.blobs.set(blob, readme);
    const tree = storeTree(
      repo,
      { 'README.md': blob },
      { 'README.md': '100644' },
    );
    const commit = storeCommit(repo, {
      message: 'Initial commit',
      tree,
      parents: [],
    });
    repo.git.refs.set(`refs/heads/${repo.default_branch}`, commit.sha);
  }

  const app = express();
  app.use(express.json({ limit: '50mb' }));

  // Latency, then request recording.
  app.use((req, res, next) => {
    res.on('finish', () => {
      requests.push({
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        login: res.locals.login,
      });
    });
    if (settings.latencyMs > 0) {
      setTimeout(next, settings.latencyMs);
    } else {
      next();
    }
  });

  // Authentication: a known token, as `token X` or `Bearer X`.
  app.use((req, res, next) => {
    const token = req.headers.authorization?.replace(/^(token|bearer)\s+/i, '');
    const grant = token ? options.tokens[token] : undefined;
    if (!grant) {
      badCredentials(res);
      return;
    }
    res.locals.login = grant.login;
    res.locals.scopes = grant.scopes;
    res.setHeader('x-oauth-scopes', grant.scopes.join(', '));
    next();
  });

  function fail(rule: FaultRule, res: Response) {
    const kind = rule.kind ?? 'status';
    if (kind === 'timeout') {
      // Never answer: the client's own timeout decides.
      return;
    }
    if (kind === 'rate-limit' || kind === 'secondary-rate-limit') {
      rateLimited(res, {
        status: rule.status === 429 ? 429 : 403,
        retryAfterSeconds: rule.retryAfterSeconds,
        resetInSeconds: rule.resetInSeconds,
        secondary: kind === 'secondary-rate-limit',
      });
      return;
    }
    const status = rule.status ?? 502;
    if (rule.retryAfterSeconds !== undefined) {
      res.setHeader('retry-after', String(rule.retryAfterSeconds));
    }
    sendGithubError(
      res,
      status,
      rule.message ?? (status >= 500 ? 'Server Error' : 'Failed'),
    );
  }

  // Fault injection: fail before, or carry out and fail after.
  app.use((req, res, next) => {
    const rule = faults.find(
      f =>
        f.remaining > 0 &&
        (!f.method || f.method.toUpperCase() === req.method) &&
        (!f.pathIncludes || req.path.includes(f.pathIncludes)) &&
        (!f.path || req.path === f.path),
    );
    if (!rule) {
      next();
      return;
    }
    rule.remaining--;
    if (!rule.afterCommit) {
      fail(rule, res);
      return;
    }
    // Let the handler do its work, swallow its answer and fail instead.
    const real = { json: res.json, send: res.send, end: res.end };
    const failInstead = () => {
      Object.assign(res, real);
      fail(rule, res);
      return res;
    };
    res.json = failInstead as typeof res.json;
    res.send = failInstead as typeof res.send;
    res.end = failInstead as typeof res.end;
    next();
  });

  app.get('/user', (_req, res) => {
    res.json({ login: res.locals.login, type: 'User' });
  });

  app.get('/users/:name', (req, res) => {
    const name = req.params.name;
    const known =
      orgs.has(name) ||
      Object.values(options.tokens).some(g => g.login === name);
    if (!known) {
      notFound(res);
      return;
    }
    res.json({ login: name, type: orgs.has(name) ? 'Organization' : 'User' });
  });

  function createRepo(owner: string, req: Request, res: Response) {
    const body = req.body ?? {};
    if (typeof body.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(body.name)) {
      validationFailed(res, 'name');
      return;
    }
    if (repos.has(key(owner, body.name))) {
      nameAlreadyExists(res);
      return;
    }
    const visibility = body.visibility ?? (body.private ? 'private' : 'public');
    if (!['public', 'private', 'internal'].includes(visibility)) {
      validationFailed(res, 'visibility');
      return;
    }
    const repo = makeRepo(owner, body.name, {
      visibility,
      private: visibility !== 'public',
      description: body.description ?? null,
      homepage: body.homepage ?? null,
      gitNotReadyCalls: settings.gitNotReadyCallsAfterCreate,
    });
    if (body.auto_init) {
      autoInit(repo);
    }
    repos.set(key(owner, body.name), repo);
    res.status(201).json(publicRepo(repo));
  }

  app.post('/orgs/:org/repos', (req, res) => {
    if (!orgs.has(req.params.org)) {
      notFound(res);
      return;
    }
    createRepo(req.params.org, req, res);
  });

  app.post('/user/repos', (req, res) => {
    createRepo(res.locals.login, req, res);
  });

  function findRepo(req: Request, res: Response): GithubRepo | undefined {
    const repo = repos.get(key(req.params.owner, req.params.repo));
    if (!repo) {
      notFound(res);
    }
    return repo;
  }

  app.get('/repos/:owner/:repo', (req, res) => {
    const repo = findRepo(req, res);
    if (repo) {
      res.json(publicRepo(repo));
    }
  });

  app.patch('/repos/:owner/:repo', (req, res) => {
    const repo = findRepo(req, res);
    if (!repo) {
      return;
    }
    const body = req.body ?? {};
    if (
      body.default_branch !== undefined &&
      !repo.git.refs.has(`refs/heads/${body.default_branch}`) &&
      repo.git.refs.size > 0
    ) {
      validationFailed(res, 'default_branch');
      return;
    }
    for (const field of [
      'description',
      'homepage',
      'default_branch',
    ] as const) {
      if (body[field] !== undefined) {
        repo[field] = body[field];
      }
    }
    res.json(publicRepo(repo));
  });

  app.delete('/repos/:owner/:repo', (req, res) => {
    const repo = findRepo(req, res);
    if (!repo) {
      return;
    }
    if (!(res.locals.scopes as string[]).includes('delete_repo')) {
      adminRightsRequired(res);
      return;
    }
    repos.delete(key(req.params.owner, req.params.repo));
    res.status(204).end();
  });

  app.put('/repos/:owner/:repo/topics', (req, res) => {
    const repo = findRepo(req, res);
    if (!repo) {
      return;
    }
    const names: unknown = req.body?.names;
    if (
      !Array.isArray(names) ||
      names.some(
        n => typeof n !== 'string' || !/^[a-z0-9][a-z0-9-]{0,49}$/.test(n),
      )
    ) {
      validationFailed(res, 'names');
      return;
    }
    repo.topics = names as string[];
    res.json({ names: repo.topics });
  });

  const teamExists = (org: string, team: string) =>
    orgs.has(org) && (options.teams?.[org]?.includes(team) ?? true);

  app.get('/orgs/:org/teams/:team', (req, res) => {
    const { org, team } = req.params;
    if (!teamExists(org, team)) {
      notFound(res);
      return;
    }
    res.json({ slug: team, name: team, organization: { login: org } });
  });

  app.put('/orgs/:org/teams/:team/repos/:owner/:repo', (req, res) => {
    const repo = findRepo(req, res);
    if (!repo) {
      return;
    }
    if (!teamExists(req.params.org, req.params.team)) {
      notFound(res);
      return;
    }
    repo.teams[req.params.team] = req.body?.permission ?? 'push';
    res.status(204).end();
  });

  // Contents API, read only: what Backstage's GitHub URL reader fetches,
  // for example when catalog:register reads catalog-info.yaml.
  app.get('/repos/:owner/:repo/contents/*', (req, res) => {
    const repo = findRepo(req, res);
    if (!repo) {
      return;
    }
    const filePath = (req.params as Record<string, string>)[0];
    const ref = typeof req.query.ref === 'string' ? req.query.ref : undefined;
    const blobSha = headTree(repo, ref)?.files[filePath];
    const content = blobSha ? repo.git.blobs.get(blobSha) : undefined;
    if (!blobSha || !content) {
      notFound(res);
      return;
    }
    res.setHeader('etag', `"${blobSha}"`);
    if (String(req.headers.accept ?? '').includes('raw')) {
      res.type('application/vnd.github.v3.raw').send(content);
      return;
    }
    res.json({
      type: 'file',
      encoding: 'base64',
      size: content.length,
      name: filePath.split('/').pop(),
      path: filePath,
      sha: blobSha,
      content: content.toString('base64'),
    });
  });

  // Git Data API. A repository without commits answers 409, as GitHub does.
  const git = express.Router({ mergeParams: true });
  git.use((req: Request, res: Response, next: NextFunction) => {
    const repo = findRepo(req, res);
    if (!repo) {
      return;
    }
    if (repo.gitNotReadyCalls > 0) {
      repo.gitNotReadyCalls--;
      notFound(res);
      return;
    }
    if (repo.git.commits.size === 0) {
      emptyRepository(res);
      return;
    }
    res.locals.repo = repo;
    next();
  });

  git.post('/blobs', (req, res) => {
    const repo: GithubRepo = res.locals.repo;
    const content = Buffer.from(
      String(req.body?.content ?? ''),
      req.body?.encoding === 'base64' ? 'base64' : 'utf-8',
    );
    const sha = gitSha('blob', content);
    repo.git.blobs.set(sha, content);
    res.status(201).json({ sha, url: `${repo.url}/git/blobs/${sha}` });
  });

  git.post('/trees', (req, res) => {
    const repo: GithubRepo = res.locals.repo;
    const base = req.body?.base_tree
      ? repo.git.trees.get(req.body.base_tree)
      : {};
    if (!base) {
      validationFailed(res, 'base_tree');
      return;
    }
    const files = { ...base };
    const modes = {
      ...(req.body?.base_tree ? repo.git.modes.get(req.body.base_tree) : {}),
    };
    for (const entry of req.body?.tree ?? []) {
      const mode = entry.mode ?? '100644';
      if (!['100644', '100755'].includes(mode)) {
        validationFailed(res, 'tree.mode');
        return;
      }
      modes[entry.path] = mode;
      if (typeof entry.content === 'string') {
        const content = Buffer.from(entry.content);
        const sha = gitSha('blob', content);
        repo.git.blobs.set(sha, content);
        files[entry.path] = sha;
      } else if (entry.sha && repo.git.blobs.has(entry.sha)) {
        files[entry.path] = entry.sha;
      } else {
        validationFailed(res, 'tree.sha');
        return;
      }
    }
    const sha = storeTree(repo, files, modes);
    res.status(201).json({ sha, url: `${repo.url}/git/trees/${sha}` });
  });

  git.post('/commits', (req, res) => {
    const repo: GithubRepo = res.locals.repo;
    const parents: string[] = req.body?.parents ?? [];
    if (
      !repo.git.trees.has(req.body?.tree) ||
      parents.some(p => !repo.git.commits.has(p))
    ) {
      validationFailed(res, 'tree');
      return;
    }
    const commit = storeCommit(repo, {
      message: String(req.body?.message ?? ''),
      tree: req.body.tree,
      parents,
    });
    res.status(201).json({
      sha: commit.sha,
      message: commit.message,
      tree: { sha: commit.tree },
      parents: commit.parents.map(sha => ({ sha })),
    });
  });

  const refBody = (repo: GithubRepo, ref: string) => ({
    ref,
    url: `${repo.url}/git/${ref}`,
    object: { type: 'commit', sha: repo.git.refs.get(ref) },
  });

  git.get('/ref/*', (req, res) => {
    const repo: GithubRepo = res.locals.repo;
    const ref = `refs/${(req.params as Record<string, string>)[0]}`;
    if (!repo.git.refs.has(ref)) {
      notFound(res);
      return;
    }
    res.json(refBody(repo, ref));
  });

  git.post('/refs', (req, res) => {
    const repo: GithubRepo = res.locals.repo;
    const ref = String(req.body?.ref ?? '');
    if (!ref.startsWith('refs/') || !repo.git.commits.has(req.body?.sha)) {
      validationFailed(res, 'ref');
      return;
    }
    if (repo.git.refs.has(ref)) {
      sendGithubError(res, 422, 'Reference already exists');
      return;
    }
    repo.git.refs.set(ref, req.body.sha);
    res.status(201).json(refBody(repo, ref));
  });

  function isAncestor(repo: GithubRepo, ancestor: string, of: string): boolean {
    const seen = new Set<string>();
    const queue = [of];
    while (queue.length) {
      const sha = queue.pop()!;
      if (sha === ancestor) {
        return true;
      }
      if (!seen.has(sha)) {
        seen.add(sha);
        queue.push(...(repo.git.commits.get(sha)?.parents ?? []));
      }
    }
    return false;
  }

  git.patch('/refs/*', (req, res) => {
    const repo: GithubRepo = res.locals.repo;
    const ref = `refs/${(req.params as Record<string, string>)[0]}`;
    const current = repo.git.refs.get(ref);
    if (!current) {
      sendGithubError(res, 422, 'Reference does not exist');
      return;
    }
    if (!repo.git.commits.has(req.body?.sha)) {
      validationFailed(res, 'sha');
      return;
    }
    if (!req.body.force && !isAncestor(repo, current, req.body.sha)) {
      sendGithubError(res, 422, 'Update is not a fast forward');
      return;
    }
    repo.git.refs.set(ref, req.body.sha);
    res.json(refBody(repo, ref));
  });

  git.delete('/refs/*', (req, res) => {
    const repo: GithubRepo = res.locals.repo;
    const ref = `refs/${(req.params as Record<string, string>)[0]}`;
    if (!repo.git.refs.delete(ref)) {
      sendGithubError(res, 422, 'Reference does not exist');
      return;
    }
    res.status(204).end();
  });

  app.use('/repos/:owner/:repo/git', git);
  app.use((_req, res) => notFound(res));

  /** The tree at a branch (default: the default branch) or commit sha. */
  function headTree(repo: GithubRepo | undefined, ref?: string) {
    if (!repo) {
      return undefined;
    }
    const head =
      repo.git.refs.get(`refs/heads/${ref ?? repo.default_branch}`) ??
      (ref && repo.git.commits.has(ref) ? ref : undefined);
    const commit = head ? repo.git.commits.get(head) : undefined;
    if (!commit) {
      return undefined;
    }
    return {
      repo,
      files: repo.git.trees.get(commit.tree) ?? {},
      modes: repo.git.modes.get(commit.tree) ?? {},
    };
  }

  const httpServer: Server = await new Promise(resolve => {
    const s = app.listen(options.port ?? 0, '127.0.0.1', () => resolve(s));
  });
  const { port } = httpServer.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    host,
    settings,
    requests,
    failNext(count, fault) {
      faults.push({ ...fault, remaining: count });
    },
    clearFaults() {
      faults.length = 0;
    },
    getRepo: (owner, name) => repos.get(key(owner, name)),
    listRepos: () => [...repos.values()],
    files(owner, name, branch) {
      const head = headTree(repos.get(key(owner, name)), branch);
      return Object.fromEntries(
        Object.entries(head?.files ?? {}).map(([p, sha]) => [
          p,
          head!.repo.git.blobs.get(sha)!.toString('utf-8'),
        ]),
      );
    },
    fileModes(owner, name, branch) {
      return { ...headTree(repos.get(key(owner, name)), branch)?.modes };
    },
    seedRepo(owner, name, fields) {
      const repo = makeRepo(owner, name, fields);
      autoInit(repo);
      repos.set(key(owner, name), repo);
      return repo;
    },
    close() {
      httpServer.closeAllConnections();
      return new Promise(resolve => httpServer.close(() => resolve()));
    },
  };
}
