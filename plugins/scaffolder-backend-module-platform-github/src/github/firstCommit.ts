import { InputError } from '@backstage/errors';
import { Octokit } from '@octokit/rest';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isGithubStatus } from './client';

/** A workspace file for the first commit, content in base64. */
export type WorkspaceFile = {
  path: string;
  content: string;
  mode: '100644' | '100755';
};

/** The default of `platform.github.maxFirstCommitBytes`: 50 MiB. */
export const DEFAULT_MAX_FIRST_COMMIT_BYTES = 50 * 1024 * 1024;

/**
 * Every file under `root`, sorted by path, for the first commit. Nothing is
 * read before the whole folder passed the checks: a symbolic link anywhere
 * is refused, since following it could publish files from outside the
 * workspace; `.git` is skipped in any letter case and at any depth, as git
 * itself refuses such a path; and the files must add up to at most
 * `maxBytes`.
 */
export async function readWorkspaceFiles(
  root: string,
  options: { maxBytes: number },
): Promise<WorkspaceFile[]> {
  const found: { rel: string; full: string; executable: boolean }[] = [];
  let totalBytes = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      if (entry.name.toLowerCase() === '.git') {
        continue;
      }
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full).split(path.sep).join('/');
      if (entry.isDirectory()) {
        await walk(full);
      } else if (entry.isFile()) {
        const stat = await fs.lstat(full);
        totalBytes += stat.size;
        // Scripts such as gradlew must stay executable in the repository.
        found.push({ rel, full, executable: (stat.mode & 0o111) !== 0 });
      } else {
        throw new InputError(
          `Workspace path ${JSON.stringify(rel)} is ${
            entry.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'
          }; the first commit takes only regular files and folders`,
        );
      }
    }
  };
  await walk(root);
  if (totalBytes > options.maxBytes) {
    throw new InputError(
      `The files to commit add up to ${totalBytes} bytes, more than the limit of ${options.maxBytes} bytes (platform.github.maxFirstCommitBytes)`,
    );
  }

  const files: WorkspaceFile[] = [];
  for (const { rel, full, executable } of found) {
    // Not following links: a file swapped for one since the walk fails here.
    const handle = await fs.open(
      full,
      fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW,
    );
    try {
      files.push({
        path: rel,
        content: (await handle.readFile()).toString('base64'),
        mode: executable ? '100755' : '100644',
      });
    } finally {
      await handle.close();
    }
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** Tries of the first Git Data call while a new repository answers 404. */
const READY_ATTEMPTS = 5;

/**
 * `fn` again while it answers 404, as GitHub's Git Data API briefly does
 * right after a repository is created, pausing 0.5, 1, 2 and 4 s. No plugin
 * retries a 404, which is final everywhere else; 5xx and rate limits are
 * the client's to retry, inside each call.
 */
async function whileNotReady<T>(
  fn: () => Promise<T>,
  options: { signal?: AbortSignal; retryAfterBaseValue: number },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isGithubStatus(e, 404) || attempt >= READY_ATTEMPTS) {
        throw e;
      }
      await delay(
        (options.retryAfterBaseValue / 2) * 2 ** (attempt - 1),
        undefined,
        { signal: options.signal },
      );
    }
  }
}

type PushOptions = {
  client: Octokit;
  owner: string;
  repo: string;
  files: WorkspaceFile[];
  message: string;
  initialBranch: string;
  defaultBranch: string;
  signal?: AbortSignal;
  /** Milliseconds in a second of the waits for a new repository: 1000. */
  retryAfterBaseValue?: number;
  log(message: string): void;
};

const dataOf = <T>(call: Promise<{ data: T }>) => call.then(r => r.data);

/**
 * Writes the files as one parentless commit through the Git Data API and
 * points the default branch at it, replacing GitHub's auto-init commit.
 * Every call is safe to repeat, so the client's plugin-retry may send any
 * of them again: blobs, trees and the commit are content addressed and the
 * branch is force-updated to the same commit.
 */
export async function pushFirstCommit(options: PushOptions): Promise<string> {
  const { client, owner, repo, files } = options;
  options.log(
    `Pushing ${files.length} file(s) to ${owner}/${repo} as the first commit`,
  );
  await untilReady(options);
  const tree = await writeTree(options);
  const commit = await dataOf(
    client.git.createCommit({
      owner,
      repo,
      message: options.message,
      tree,
      parents: [],
    }),
  );
  await pointBranchAt({ ...options, sha: commit.sha });
  if (options.defaultBranch !== options.initialBranch) {
    await replaceInitialBranch(options);
  }
  return commit.sha;
}

/**
 * Waits until the new repository answers. A replay after an interrupted
 * push may find the initial branch already replaced by the default branch,
 * which shows the repository is just as ready.
 */
async function untilReady(options: PushOptions): Promise<void> {
  const { client, owner, repo } = options;
  await whileNotReady(
    async () => {
      try {
        return await client.git.getRef({
          owner,
          repo,
          ref: `heads/${options.initialBranch}`,
        });
      } catch (e) {
        if (!isGithubStatus(e, 404)) {
          throw e;
        }
        return await client.git.getRef({
          owner,
          repo,
          ref: `heads/${options.defaultBranch}`,
        });
      }
    },
    {
      signal: options.signal,
      retryAfterBaseValue: options.retryAfterBaseValue ?? 1000,
    },
  );
}

/** Uploads every file as a blob and returns the sha of their tree. */
async function writeTree(options: PushOptions): Promise<string> {
  const { client, owner, repo } = options;
  const tree: {
    path: string;
    mode: WorkspaceFile['mode'];
    type: 'blob';
    sha: string;
  }[] = [];
  for (const file of options.files) {
    const blob = await dataOf(
      client.git.createBlob({
        owner,
        repo,
        content: file.content,
        encoding: 'base64',
      }),
    );
    tree.push({
      path: file.path,
      mode: file.mode,
      type: 'blob',
      sha: blob.sha,
    });
  }
  return (await dataOf(client.git.createTree({ owner, repo, tree }))).sha;
}

/** Points the default branch at `sha`, creating the branch if need be. */
async function pointBranchAt(options: PushOptions & { sha: string }) {
  const { client, owner, repo, sha } = options;
  const ref = `heads/${options.defaultBranch}`;
  const forceBranch = () =>
    dataOf(client.git.updateRef({ owner, repo, ref, sha, force: true }));
  try {
    await dataOf(client.git.getRef({ owner, repo, ref }));
    await forceBranch();
  } catch (e) {
    if (!isGithubStatus(e, 404)) {
      throw e;
    }
    await dataOf(
      client.git.createRef({ owner, repo, ref: `refs/${ref}`, sha }),
    ).catch(async createError => {
      // A retry after a create whose answer was lost finds the branch made.
      if (!isGithubStatus(createError, 422)) {
        throw createError;
      }
      await forceBranch();
    });
  }
}

/** Makes the default branch GitHub's default and deletes the initial one. */
async function replaceInitialBranch(options: PushOptions): Promise<void> {
  const { client, owner, repo } = options;
  await dataOf(
    client.repos.update({
      owner,
      repo,
      default_branch: options.defaultBranch,
    }),
  );
  // 422: already gone, after a replay.
  await dataOf(
    client.git.deleteRef({
      owner,
      repo,
      ref: `heads/${options.initialBranch}`,
    }),
  ).catch(e => {
    if (!isGithubStatus(e, 422)) {
      throw e;
    }
  });
}
