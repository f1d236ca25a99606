import express, { Router } from 'express';
import { notFound } from './errors';
import { findRepo } from './repos';
import { RepoStore } from './store';

/**
 * The Contents API, read only: what Backstage's GitHub URL reader fetches,
 * for example when catalog:register reads catalog-info.yaml.
 */
export function contentsRouter(store: RepoStore): Router {
  const router = express.Router();
  router.get('/repos/:owner/:repo/contents/*', (req, res) => {
    const repo = findRepo(store, req, res);
    if (!repo) {
      return;
    }
    const filePath = (req.params as Record<string, string>)[0];
    const ref = typeof req.query.ref === 'string' ? req.query.ref : undefined;
    const blobSha = store.tree(repo, ref)?.files[filePath];
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
  return router;
}
