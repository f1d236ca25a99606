import express, { NextFunction, Request, Response, Router } from 'express';
import {
  emptyRepository,
  notFound,
  sendGithubError,
  validationFailed,
} from './errors';
import { findRepo } from './repos';
import {
  GithubGitCommit,
  GithubGitIdentity,
  GithubRepo,
  identityOf,
  RepoStore,
} from './store';

/** An author or committer from a request body, or GitHub's default. */
function identityFrom(
  body: unknown,
  fallback: GithubGitIdentity,
): GithubGitIdentity {
  const given = (body ?? {}) as Partial<GithubGitIdentity>;
  return {
    name: typeof given.name === 'string' ? given.name : fallback.name,
    email: typeof given.email === 'string' ? given.email : fallback.email,
    date: typeof given.date === 'string' ? given.date : fallback.date,
  };
}

function commitBody(commit: GithubGitCommit) {
  return {
    sha: commit.sha,
    message: commit.message,
    author: commit.author,
    committer: commit.committer,
    tree: { sha: commit.tree },
    parents: commit.parents.map(sha => ({ sha })),
  };
}

/**
 * The Git Data API under `/repos/:owner/:repo/git`. A repository without
 * commits answers 409, as GitHub does.
 */
export function gitDataRouter(options: {
  store: RepoStore;
  host: string;
}): Router {
  const { store } = options;
  const git = express.Router({ mergeParams: true });
  git.use((req: Request, res: Response, next: NextFunction) => {
    const repo = findRepo(store, req, res);
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
    const sha = store.storeBlob(
      repo,
      Buffer.from(
        String(req.body?.content ?? ''),
        req.body?.encoding === 'base64' ? 'base64' : 'utf-8',
      ),
    );
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
        files[entry.path] = store.storeBlob(repo, Buffer.from(entry.content));
      } else if (entry.sha && repo.git.blobs.has(entry.sha)) {
        files[entry.path] = entry.sha;
      } else {
        validationFailed(res, 'tree.sha');
        return;
      }
    }
    const sha = store.storeTree(repo, files, modes);
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
    const author = identityFrom(
      req.body.author,
      identityOf(res.locals.login, options.host),
    );
    const commit = store.storeCommit(repo, {
      message: String(req.body?.message ?? ''),
      tree: req.body.tree,
      parents,
      author,
      committer: identityFrom(req.body.committer, author),
    });
    res.status(201).json(commitBody(commit));
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
    if (!req.body.force && !store.isAncestor(repo, current, req.body.sha)) {
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

  const router = express.Router();
  router.use('/repos/:owner/:repo/git', git);
  return router;
}
