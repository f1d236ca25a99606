import express, { Router } from 'express';
import { Header, Pack, ReadEntry } from 'tar';
import { notFound } from './errors';
import { findRepo } from './repos';
import { GithubRepo, GithubTree, publicRepo, RepoStore } from './store';

/** Where `/tarball` redirects to, as GitHub redirects to codeload.github.com. */
const CODELOAD = '/_codeload';

function entry(
  pack: Pack,
  fields: { path: string; mode: number; mtime: Date; content?: Buffer },
) {
  const content = fields.content;
  const read = new ReadEntry(
    new Header({
      path: fields.path,
      mode: fields.mode,
      mtime: fields.mtime,
      size: content?.length ?? 0,
      type: content ? 'File' : 'Directory',
    }),
  );
  read.end(content ?? Buffer.alloc(0));
  pack.add(read);
}

/**
 * A gzipped tar of one commit's files, shaped as GitHub's tarball: a single
 * top-level folder `OWNER-REPO-SHORTSHA/`, then a folder entry before the
 * files in it, everything dated at the commit.
 */
function tarballOf(repo: GithubRepo, tree: GithubTree): Pack {
  const pack = new Pack({ gzip: true, portable: true });
  const mtime = new Date(tree.commit.committer.date);
  const root = `${repo.owner.login}-${repo.name}-${tree.commit.sha.slice(
    0,
    7,
  )}`;
  entry(pack, { path: `${root}/`, mode: 0o755, mtime });
  const folders = new Set<string>();
  for (const path of Object.keys(tree.files).sort()) {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const folder = segments.slice(0, i).join('/');
      if (!folders.has(folder)) {
        folders.add(folder);
        entry(pack, { path: `${root}/${folder}/`, mode: 0o755, mtime });
      }
    }
    entry(pack, {
      path: `${root}/${path}`,
      mode: tree.modes[path] === '100755' ? 0o755 : 0o644,
      mtime,
      content: repo.git.blobs.get(tree.files[path]),
    });
  }
  pack.end();
  return pack;
}

/**
 * What Backstage's GitHub URL reader needs for `readTree` (TechDocs, the
 * catalog's tree reads): the combined commit status, whose `sha` says
 * whether anything changed and whose `repository.archive_url` says where the
 * tarball is, and the tarball, which redirects to a codeload path on this
 * same server. Unknown repositories and refs answer 404.
 */
export function archiveRouter(store: RepoStore): Router {
  const router = express.Router();

  router.get('/repos/:owner/:repo/commits/*/status', (req, res) => {
    const repo = findRepo(store, req, res);
    if (!repo) {
      return;
    }
    const ref = (req.params as Record<string, string>)[0];
    const tree = store.tree(repo, ref);
    if (!tree) {
      notFound(res);
      return;
    }
    // No commit statuses are ever posted here: GitHub's answer for a
    // commit without any is `pending` with none listed.
    res.json({
      state: 'pending',
      statuses: [],
      sha: tree.commit.sha,
      total_count: 0,
      repository: publicRepo(repo),
      commit_url: `${repo.url}/commits/${tree.commit.sha}`,
      url: `${repo.url}/commits/${tree.commit.sha}/status`,
    });
  });

  // `/tarball` alone is the default branch's.
  router.get(
    ['/repos/:owner/:repo/tarball', '/repos/:owner/:repo/tarball/*'],
    (req, res) => {
      const repo = findRepo(store, req, res);
      if (!repo) {
        return;
      }
      const ref =
        (req.params as Record<string, string | undefined>)[0] ??
        repo.default_branch;
      if (!store.tree(repo, ref)) {
        notFound(res);
        return;
      }
      res.redirect(
        302,
        `${store.baseUrl}${CODELOAD}/${repo.owner.login}/${
          repo.name
        }/legacy.tar.gz/${ref.split('/').map(encodeURIComponent).join('/')}`,
      );
    },
  );

  router.get(`${CODELOAD}/:owner/:repo/legacy.tar.gz/*`, (req, res) => {
    const repo = findRepo(store, req, res);
    if (!repo) {
      return;
    }
    const tree = store.tree(repo, (req.params as Record<string, string>)[0]);
    if (!tree) {
      notFound(res);
      return;
    }
    res.status(200).set({
      'content-type': 'application/x-gzip',
      'content-disposition': `attachment; filename=${repo.owner.login}-${
        repo.name
      }-${tree.commit.sha.slice(0, 7)}.tar.gz`,
      etag: `"${tree.commit.sha}"`,
    });
    tarballOf(repo, tree).pipe(res);
  });

  return router;
}
