import express, { Request, Response, Router } from 'express';
import {
  adminRightsRequired,
  nameAlreadyExists,
  notFound,
  validationFailed,
} from './errors';
import { GithubRepo, publicRepo, RepoStore } from './store';

/** The repository a `/repos/:owner/:repo` path names; answers 404 when there is none. */
export function findRepo(
  store: RepoStore,
  req: Request,
  res: Response,
): GithubRepo | undefined {
  const repo = store.get(req.params.owner, req.params.repo);
  if (!repo) {
    notFound(res);
  }
  return repo;
}

/**
 * Users, repository create/get/update/delete, topics and team access, as
 * the REST API answers them.
 */
export function reposRouter(options: {
  store: RepoStore;
  orgs: Set<string>;
  /** Whether a user of this login exists: one that a token belongs to. */
  isUser(login: string): boolean;
  teams?: Record<string, string[]>;
  settings: { gitNotReadyCallsAfterCreate: number };
}): Router {
  const { store, orgs, settings } = options;
  const router = express.Router();

  router.get('/user', (_req, res) => {
    res.json({ login: res.locals.login, type: 'User' });
  });

  router.get('/users/:name', (req, res) => {
    const name = req.params.name;
    if (!orgs.has(name) && !options.isUser(name)) {
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
    if (store.get(owner, body.name)) {
      nameAlreadyExists(res);
      return;
    }
    const visibility = body.visibility ?? (body.private ? 'private' : 'public');
    if (!['public', 'private', 'internal'].includes(visibility)) {
      validationFailed(res, 'visibility');
      return;
    }
    const repo = store.make(owner, body.name, {
      visibility,
      private: visibility !== 'public',
      description: body.description ?? null,
      homepage: body.homepage ?? null,
      gitNotReadyCalls: settings.gitNotReadyCallsAfterCreate,
    });
    if (body.auto_init) {
      store.autoInit(repo, res.locals.login);
    }
    store.set(owner, body.name, repo);
    res.status(201).json(publicRepo(repo));
  }

  router.post('/orgs/:org/repos', (req, res) => {
    if (!orgs.has(req.params.org)) {
      notFound(res);
      return;
    }
    createRepo(req.params.org, req, res);
  });

  router.post('/user/repos', (req, res) => {
    createRepo(res.locals.login, req, res);
  });

  router.get('/repos/:owner/:repo', (req, res) => {
    const repo = findRepo(store, req, res);
    if (repo) {
      res.json(publicRepo(repo));
    }
  });

  router.patch('/repos/:owner/:repo', (req, res) => {
    const repo = findRepo(store, req, res);
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

  router.delete('/repos/:owner/:repo', (req, res) => {
    const repo = findRepo(store, req, res);
    if (!repo) {
      return;
    }
    if (!(res.locals.scopes as string[]).includes('delete_repo')) {
      adminRightsRequired(res);
      return;
    }
    store.delete(req.params.owner, req.params.repo);
    res.status(204).end();
  });

  router.put('/repos/:owner/:repo/topics', (req, res) => {
    const repo = findRepo(store, req, res);
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

  router.get('/orgs/:org/teams/:team', (req, res) => {
    const { org, team } = req.params;
    if (!teamExists(org, team)) {
      notFound(res);
      return;
    }
    res.json({ slug: team, name: team, organization: { login: org } });
  });

  router.put('/orgs/:org/teams/:team/repos/:owner/:repo', (req, res) => {
    const repo = findRepo(store, req, res);
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

  return router;
}
