import { createHash } from 'node:crypto';

/** A commit's author or committer, as the Git Data API takes and gives it. */
export interface GithubGitIdentity {
  name: string;
  email: string;
  date: string;
}

export interface GithubGitCommit {
  sha: string;
  message: string;
  tree: string;
  parents: string[];
  author: GithubGitIdentity;
  committer: GithubGitIdentity;
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
  /** Where a tarball or zipball of a ref is: `{archive_format}` and `{/ref}` filled in by the client. */
  archive_url: string;
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

/** The files of one commit. */
export interface GithubTree {
  commit: GithubGitCommit;
  /** Path -> blob sha. */
  files: Record<string, string>;
  /** Path -> file mode. */
  modes: Record<string, string>;
}

export function gitSha(type: string, body: Buffer): string {
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]))
    .digest('hex');
}

/** The repository as the REST API shows it, without the server's own bookkeeping. */
export function publicRepo(repo: GithubRepo) {
  const { git: _git, gitNotReadyCalls: _ready, teams: _teams, ...rest } = repo;
  return rest;
}

/** GitHub's default author: the authenticated user, now. */
export function identityOf(login: string, host: string): GithubGitIdentity {
  return {
    name: login,
    email: `${login}@users.noreply.${host}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

/** The repositories of one loopback GitHub, with their Git objects. */
export class RepoStore {
  private readonly repos = new Map<string, GithubRepo>();
  private nextId = 1000;
  /** Set once the server listens, for the API `url`s. */
  baseUrl = '';

  constructor(
    private readonly options: {
      host: string;
      orgs: Set<string>;
      htmlUrlsToOwnPages?: boolean;
    },
  ) {}

  /** The root of `html_url`s: this server's pages, or the configured web host. */
  private get webRoot(): string {
    return this.options.htmlUrlsToOwnPages
      ? this.baseUrl
      : `https://${this.options.host}`;
  }

  private static key(owner: string, name: string) {
    return `${owner.toLowerCase()}/${name.toLowerCase()}`;
  }

  get(owner: string, name: string): GithubRepo | undefined {
    return this.repos.get(RepoStore.key(owner, name));
  }

  list(): GithubRepo[] {
    return [...this.repos.values()];
  }

  set(owner: string, name: string, repo: GithubRepo): void {
    this.repos.set(RepoStore.key(owner, name), repo);
  }

  delete(owner: string, name: string): void {
    this.repos.delete(RepoStore.key(owner, name));
  }

  /** A new repository, not yet stored. */
  make(owner: string, name: string, fields?: Partial<GithubRepo>): GithubRepo {
    const { orgs } = this.options;
    const id = this.nextId++;
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
      html_url: `${this.webRoot}/${owner}/${name}`,
      clone_url: `${this.webRoot}/${owner}/${name}.git`,
      url: `${this.baseUrl}/repos/${owner}/${name}`,
      archive_url: `${this.baseUrl}/repos/${owner}/${name}/{archive_format}{/ref}`,
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

  storeBlob(repo: GithubRepo, content: Buffer): string {
    const sha = gitSha('blob', content);
    repo.git.blobs.set(sha, content);
    return sha;
  }

  storeTree(
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

  storeCommit(
    repo: GithubRepo,
    commit: Omit<GithubGitCommit, 'sha'>,
  ): GithubGitCommit {
    // The author stays out of the sha, so that a repeated create of the
    // same commit (a client retry) gives the same sha.
    const body = `tree ${commit.tree}\n${commit.parents
      .map(p => `parent ${p}\n`)
      .join('')}\n${commit.message}`;
    const stored = { ...commit, sha: gitSha('commit', Buffer.from(body)) };
    repo.git.commits.set(stored.sha, stored);
    return stored;
  }

  /** What `auto_init` makes: a README in an initial commit on the default branch. */
  autoInit(repo: GithubRepo, login: string) {
    const blob = this.storeBlob(repo, Buffer.from(`# ${repo.name}\n`));
    const tree = this.storeTree(
      repo,
      { 'README.md': blob },
      { 'README.md': '100644' },
    );
    const author = identityOf(login, this.options.host);
    const commit = this.storeCommit(repo, {
      message: 'Initial commit',
      tree,
      parents: [],
      author,
      committer: author,
    });
    repo.git.refs.set(`refs/heads/${repo.default_branch}`, commit.sha);
  }

  /** The tree at a branch (default: the default branch) or commit sha. */
  tree(repo: GithubRepo | undefined, ref?: string): GithubTree | undefined {
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
      commit,
      files: repo.git.trees.get(commit.tree) ?? {},
      modes: repo.git.modes.get(commit.tree) ?? {},
    };
  }

  /** The commit a branch's history starts with, following first parents. */
  firstCommit(repo: GithubRepo, ref?: string): GithubTree | undefined {
    let commit = this.tree(repo, ref)?.commit;
    while (commit?.parents.length) {
      commit = repo.git.commits.get(commit.parents[0]);
    }
    return commit && this.tree(repo, commit.sha);
  }

  isAncestor(repo: GithubRepo, ancestor: string, of: string): boolean {
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
}
