import express, { NextFunction, Request, Response, Router } from 'express';
import { GithubRepo, GithubTree, RepoStore } from './store';

/** Markup that is already safe, so `html` does not escape it again. */
class Html {
  constructor(readonly text: string) {}
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function fragment(value: unknown): string {
  if (value instanceof Html) {
    return value.text;
  }
  if (Array.isArray(value)) {
    return value.map(fragment).join('');
  }
  if (value === undefined || value === null || value === false) {
    return '';
  }
  return String(value).replace(/[&<>"']/g, c => ENTITIES[c]);
}

/**
 * Every interpolated value is escaped unless it is `Html` itself, so repository
 * names, file names, file contents and commit messages, which whoever
 * created the repository chose, can never add markup.
 */
function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return new Html(
    strings.reduce((out, text, i) => out + fragment(values[i - 1]) + text),
  );
}

/** A path on the web root, each segment URL-encoded. */
function href(...segments: string[]): string {
  return `/${segments
    .flatMap(s => s.split('/'))
    .map(encodeURIComponent)
    .join('/')}`;
}

function page(title: string, body: Html): string {
  return html`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title}</title>
        <style>
          body {
            font-family: system-ui, sans-serif;
            margin: 2rem auto;
            max-width: 60rem;
            padding: 0 1rem;
            color: #1f2328;
          }
          .local {
            background: #fff8c5;
            border: 1px solid #d4a72c;
            padding: 0.5rem 1rem;
            border-radius: 6px;
          }
          .meta {
            color: #59636e;
          }
          table {
            border-collapse: collapse;
            width: 100%;
          }
          td {
            border-top: 1px solid #d1d9e0;
            padding: 0.3rem 0.5rem;
          }
          td.size {
            text-align: right;
            color: #59636e;
          }
          pre {
            background: #f6f8fa;
            padding: 1rem;
            overflow: auto;
            border-radius: 6px;
          }
        </style>
      </head>
      <body>
        <p class="local">
          Local GitHub: a loopback server that keeps repositories in memory
          until it stops. This is not github.com.
        </p>
        ${body}
      </body>
    </html> `.text;
}

function fileTable(repo: GithubRepo, ref: string, tree: GithubTree): Html {
  const paths = Object.keys(tree.files).sort();
  return html`<table>
    ${paths.map(
      path => html`<tr>
        <td>
          <a href="${href(repo.owner.login, repo.name, 'blob', ref, path)}"
            >${path}</a
          >${tree.modes[path] === '100755' ? ' (executable)' : ''}
        </td>
        <td class="size">
          ${repo.git.blobs.get(tree.files[path])?.length ?? 0} bytes
        </td>
      </tr> `,
    )}
  </table>`;
}

function repoPage(store: RepoStore, repo: GithubRepo): string {
  const head = store.tree(repo);
  const first = store.firstCommit(repo);
  const heading = html`<h1>
      <a href="${href(repo.owner.login, repo.name)}">${repo.full_name}</a>
    </h1>
    <p class="meta">
      ${repo.visibility} · default branch
      ${repo.default_branch}${repo.topics.length > 0
        ? html` · topics ${repo.topics.join(', ')}`
        : ''}
    </p>
    ${repo.description ? html`<p>${repo.description}</p>` : ''}`;
  if (!head || !first) {
    return page(
      repo.full_name,
      html`${heading}
        <p>This repository is empty: it has no commits yet.</p>`,
    );
  }
  const { author } = first.commit;
  return page(
    repo.full_name,
    html`${heading}
      <h2>Files on ${repo.default_branch}</h2>
      ${fileTable(repo, repo.default_branch, head)}
      <h2>First commit</h2>
      <pre>${first.commit.message}</pre>
      <p class="meta">
        ${first.commit.sha} by ${author.name} &lt;${author.email}&gt; on
        ${author.date}
      </p>
      ${fileTable(repo, first.commit.sha, first)}`,
  );
}

function blobPage(options: {
  repo: GithubRepo;
  ref: string;
  path: string;
  content: Buffer;
}): string {
  const { repo, ref, path, content } = options;
  const binary = content.includes(0);
  return page(
    `${path} · ${repo.full_name}`,
    html`<h1>
        <a href="${href(repo.owner.login, repo.name)}">${repo.full_name}</a> /
        ${path}
      </h1>
      <p class="meta">at ${ref} · ${content.length} bytes</p>
      ${binary
        ? html`<p>A binary file; not shown.</p>`
        : html`<pre>${content.toString('utf-8')}</pre>`}`,
  );
}

/** The files under one folder at a ref, as `/tree/` shows them. */
function folderPage(options: {
  repo: GithubRepo;
  ref: string;
  folder: string;
  tree: GithubTree;
}): string {
  const { repo, ref, folder, tree } = options;
  const prefix = folder ? `${folder}/` : '';
  const files = Object.fromEntries(
    Object.entries(tree.files).filter(([path]) => path.startsWith(prefix)),
  );
  return page(
    `${folder || repo.name} · ${repo.full_name}`,
    html`<h1>
        <a href="${href(repo.owner.login, repo.name)}">${repo.full_name}</a>
        ${folder ? html` / ${folder}` : ''}
      </h1>
      <p class="meta">at ${ref} · commit ${tree.commit.sha}</p>
      ${fileTable(repo, ref, { ...tree, files })}`,
  );
}

const NOT_FOUND = page('Not Found', html`<h1>Not Found</h1>`);

/** Paths of the REST API that a first segment would otherwise take for an owner. */
const API_ROOTS = new Set(['user', 'users', 'orgs', 'repos']);

/**
 * The web pages of github.com in miniature, next to the API on the same
 * root as GitHub Enterprise serves them: `/:owner/:repo` shows the default
 * branch's files and the first commit, `/:owner/:repo/tree/:ref/:folder` the
 * files under a folder, `/:owner/:repo/blob/:ref/:path` one file as text.
 * They need no token, as a browser sends none; every other
 * path goes on to the API.
 */
export function pagesRouter(store: RepoStore): Router {
  const router = express.Router();

  // A browser gets an HTML 404; an API client goes on to the API's answer.
  const missing = (req: Request, res: Response, next: NextFunction) => {
    if (req.accepts(['json', 'html']) === 'html') {
      send(res, 404, NOT_FOUND);
    } else {
      next();
    }
  };

  router.use('/:owner', (req, _res, next) => {
    if (API_ROOTS.has(req.params.owner)) {
      next('router');
    } else {
      next();
    }
  });

  router.get('/:owner/:repo', (req, res, next) => {
    const repo = store.get(req.params.owner, req.params.repo);
    if (!repo) {
      missing(req, res, next);
      return;
    }
    send(res, 200, repoPage(store, repo));
  });

  // What the catalog's "View source" names: `/tree/REF/` and a folder in it.
  router.get('/:owner/:repo/tree/*', (req, res, next) => {
    const repo = store.get(req.params.owner, req.params.repo);
    const segments = (req.params as Record<string, string>)[0]
      .replace(/\/+$/, '')
      .split('/');
    for (let i = 1; repo && i <= segments.length; i++) {
      const ref = segments.slice(0, i).join('/');
      const folder = segments.slice(i).join('/');
      const tree = store.tree(repo, ref);
      if (!tree) {
        continue;
      }
      if (tree.files[folder]) {
        // A file: GitHub shows it under /blob/.
        res.redirect(
          302,
          href(repo.owner.login, repo.name, 'blob', ref, folder),
        );
        return;
      }
      if (
        !folder ||
        Object.keys(tree.files).some(path => path.startsWith(`${folder}/`))
      ) {
        send(res, 200, folderPage({ repo, ref, folder, tree }));
        return;
      }
    }
    missing(req, res, next);
  });

  router.get('/:owner/:repo/blob/*', (req, res, next) => {
    const repo = store.get(req.params.owner, req.params.repo);
    const segments = (req.params as Record<string, string>)[0].split('/');
    // A branch name may hold slashes: the first split that names a ref
    // holding the rest as a file wins, as on GitHub.
    for (let i = 1; repo && i < segments.length; i++) {
      const ref = segments.slice(0, i).join('/');
      const path = segments.slice(i).join('/');
      const sha = store.tree(repo, ref)?.files[path];
      const content = sha ? repo.git.blobs.get(sha) : undefined;
      if (content) {
        send(res, 200, blobPage({ repo, ref, path, content }));
        return;
      }
    }
    missing(req, res, next);
  });

  return router;
}

function send(res: Response, status: number, body: string) {
  res
    .status(status)
    .set({
      'content-type': 'text/html; charset=utf-8',
      // Nothing on these pages runs or loads; escaping is the first guard,
      // this the second.
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'",
      'x-content-type-options': 'nosniff',
    })
    .send(body);
}
