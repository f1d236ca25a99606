import express from 'express';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ArmedFault, FaultBook } from '../faults';
import { archiveRouter } from './archive';
import { contentsRouter } from './contents';
import { badCredentials, notFound } from './errors';
import {
  checkGithubFault,
  GithubFaultOptions,
  githubFaultInjection,
} from './faults';
import { gitDataRouter } from './gitData';
import { pagesRouter } from './pages';
import { reposRouter } from './repos';
import { GithubRepo, RepoStore } from './store';

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
  /**
   * Whether `html_url` and `clone_url` name this server's own pages,
   * `http://127.0.0.1:PORT/OWNER/REPO`, instead of `https://HOST/OWNER/REPO`:
   * for local mode, where a person follows the Repository and View source
   * links the platform takes from them. Backstage reads what those URLs
   * name (the catalog file, TechDocs) only through a GitHub integration
   * whose `host` is `127.0.0.1:PORT` and whose `apiBaseUrl` is this server.
   */
  htmlUrlsToOwnPages?: boolean;
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

/** A running loopback GitHub REST API. */
export interface LocalGithubApiServer {
  /**
   * `http://127.0.0.1:PORT`, for `integrations.github[].apiBaseUrl`; its
   * `/:owner/:repo` pages show a repository in a browser.
   */
  url: string;
  host: string;
  /** Settings a test may change while the server runs. */
  settings: {
    /** Git Data calls that answer 404 right after each repository creation. */
    gitNotReadyCallsAfterCreate: number;
    /** Added before every response. */
    latencyMs: number;
  };
  /**
   * The next `count` matching requests are delayed or fail as `options`
   * says. Throws `InvalidFaultError` for options the server cannot act on.
   */
  armFault(
    count: number,
    options?: GithubFaultOptions,
  ): ArmedFault<GithubFaultOptions>;
  /** `armFault`, for callers that need nothing back. */
  failNext(count: number, options?: GithubFaultOptions): void;
  /** The faults still armed, with the uses each has left. */
  listFaults(): ArmedFault<GithubFaultOptions>[];
  /** Drops one fault by id, or every fault not yet used up; false for an unknown id. */
  clearFaults(id?: string): boolean;
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

/**
 * Starts a loopback server that speaks the GitHub REST API calls the
 * platform makes: users, repository create/get/update/delete, topics, team
 * access, the Git Data API, the Contents API, and the combined commit
 * status and tarballs that Backstage's URL reader reads trees with (TechDocs),
 * with GitHub's status codes
 * and error bodies; and a web page for each repository.
 */
export async function startGithubApiServer(
  options: GithubApiServerOptions,
): Promise<LocalGithubApiServer> {
  const host = options.host ?? 'github.localhost';
  const orgs = new Set(options.orgs ?? []);
  const store = new RepoStore({
    host,
    orgs,
    htmlUrlsToOwnPages: options.htmlUrlsToOwnPages,
  });
  const faults = new FaultBook<GithubFaultOptions>('github');
  const requests: GithubRecordedRequest[] = [];
  const settings = { gitNotReadyCallsAfterCreate: 0, latencyMs: 0 };

  const app = express();
  // Before the API's token check, recording and faults: a browser sends no
  // token, and page views are no API traffic.
  app.use(pagesRouter(store));
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

  app.use(githubFaultInjection(faults));
  app.use(
    reposRouter({
      store,
      orgs,
      teams: options.teams,
      settings,
      isUser: login =>
        Object.values(options.tokens).some(grant => grant.login === login),
    }),
  );
  app.use(contentsRouter(store));
  app.use(archiveRouter(store));
  app.use(gitDataRouter({ store, host }));
  app.use((_req, res) => notFound(res));

  const httpServer: Server = await new Promise(resolve => {
    const s = app.listen(options.port ?? 0, '127.0.0.1', () => resolve(s));
  });
  const { port } = httpServer.address() as AddressInfo;
  store.baseUrl = `http://127.0.0.1:${port}`;

  const filesOf = (owner: string, name: string, branch?: string) => {
    const repo = store.get(owner, name);
    return { repo, tree: store.tree(repo, branch) };
  };

  const instance: LocalGithubApiServer = {
    url: store.baseUrl,
    host,
    settings,
    requests,
    armFault(count, fault = {}) {
      checkGithubFault(fault);
      return faults.arm(count, fault);
    },
    failNext(count, fault) {
      instance.armFault(count, fault);
    },
    listFaults: () => faults.list(),
    clearFaults: id => faults.clear(id),
    getRepo: (owner, name) => store.get(owner, name),
    listRepos: () => store.list(),
    files(owner, name, branch) {
      const { repo, tree } = filesOf(owner, name, branch);
      return Object.fromEntries(
        Object.entries(tree?.files ?? {}).map(([p, sha]) => [
          p,
          repo!.git.blobs.get(sha)!.toString('utf-8'),
        ]),
      );
    },
    fileModes(owner, name, branch) {
      return { ...filesOf(owner, name, branch).tree?.modes };
    },
    seedRepo(owner, name, fields) {
      const repo = store.make(owner, name, fields);
      store.autoInit(repo, owner);
      store.set(owner, name, repo);
      return repo;
    },
    close() {
      httpServer.closeAllConnections();
      return new Promise(resolve => httpServer.close(() => resolve()));
    },
  };
  return instance;
}
