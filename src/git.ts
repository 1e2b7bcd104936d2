/**
 * Reading a repository through git: refs, the change set, trees and blobs. Everything is read in bulk
 * (`ls-tree -r`, one `cat-file --batch` for all blobs): never one process per file.
 */
import { execFileSync } from 'node:child_process';
import { UsageError } from './errors.js';
import type { ChangedFile } from './types.js';

const MAX_BUFFER = 2 * 1024 * 1024 * 1024;

export interface TreeEntry {
  path: string;
  blob: string;
  size: number;
  /** `100644`, `100755`, `120000` (symlink) … */
  mode: string;
}

function run(repo: string, args: string[], input?: string | Buffer): Buffer {
  return execFileSync('git', ['-C', repo, ...args], {
    input,
    maxBuffer: MAX_BUFFER,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
  });
}

/** Runs git and returns stdout as text. Throws git's own message on failure. */
export function git(repo: string, args: string[]): string {
  try {
    return run(repo, args).toString('utf8');
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error((err.stderr?.toString('utf8').trim() || err.message).split('\n')[0]);
  }
}

/** Checks that `repo` is a git work tree or repository; exit 2 otherwise. */
export function assertRepo(repo: string): void {
  try {
    run(repo, ['rev-parse', '--git-dir']);
  } catch {
    throw new UsageError(`${repo} is not a git repository`);
  }
}

/** The commit a ref names; exit 2 with one clear line when there is none. */
export function resolveCommit(repo: string, ref: string, what: string): string {
  try {
    return run(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).toString('utf8').trim();
  } catch {
    throw new UsageError(`${what} ref "${ref}" does not exist in ${repo} (fetch it, or pass --${what} with a branch or commit that does)`);
  }
}

/** The repository's default branch: origin/HEAD, else main, else master. */
export function defaultBranch(repo: string): string {
  try {
    return run(repo, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']).toString('utf8').trim();
  } catch {
    for (const b of ['main', 'master', 'origin/main', 'origin/master']) {
      try {
        run(repo, ['rev-parse', '--verify', '--quiet', `${b}^{commit}`]);
        return b;
      } catch {
        /* try the next */
      }
    }
  }
  throw new UsageError(`cannot tell the default branch of ${repo}: pass --base`);
}

/** The merge-base of two commits (the base a pull request is compared against). */
export function mergeBase(repo: string, a: string, b: string): string {
  try {
    return run(repo, ['merge-base', a, b]).toString('utf8').trim();
  } catch {
    throw new UsageError(`${a.slice(0, 12)} and ${b.slice(0, 12)} have no common history`);
  }
}

/** Files changed from `base` to `head` (both commits), with renames detected. */
export function changedFiles(repo: string, base: string, head: string): ChangedFile[] {
  const out = run(repo, ['diff', '--no-ext-diff', '--name-status', '-z', '-M', base, head]).toString('utf8');
  const parts = out.split('\0');
  const files: ChangedFile[] = [];
  for (let i = 0; i < parts.length - 1; ) {
    const status = parts[i++];
    const code = status[0];
    if (code === 'R') {
      const oldPath = parts[i++];
      const path = parts[i++];
      files.push({ path, status: 'renamed', oldPath });
    } else if (code === 'C') {
      i++;
      files.push({ path: parts[i++], status: 'added' });
    } else {
      const path = parts[i++];
      files.push({ path, status: code === 'A' ? 'added' : code === 'D' ? 'deleted' : 'modified' });
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Every blob of a commit's tree (submodules are left out; symlinks are listed with mode 120000). */
export function listTree(repo: string, commit: string): TreeEntry[] {
  const out = run(repo, ['ls-tree', '-r', '-l', '-z', '--full-tree', commit]).toString('utf8');
  const entries: TreeEntry[] = [];
  for (const rec of out.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, blob, size] = rec.slice(0, tab).split(/\s+/);
    if (type !== 'blob') continue;
    entries.push({ path: rec.slice(tab + 1), blob, size: Number(size) || 0, mode });
  }
  return entries;
}

/** Reads many blobs with one `git cat-file --batch`. Missing blobs are absent from the result. */
export function readBlobs(repo: string, blobs: readonly string[]): Map<string, Buffer> {
  const result = new Map<string, Buffer>();
  const unique = [...new Set(blobs)];
  if (unique.length === 0) return result;
  const out = run(repo, ['cat-file', '--batch'], unique.join('\n') + '\n');
  let pos = 0;
  while (pos < out.length) {
    const nl = out.indexOf(0x0a, pos);
    if (nl < 0) break;
    const header = out.toString('utf8', pos, nl);
    pos = nl + 1;
    const [sha, type, size] = header.split(' ');
    if (type === 'missing' || size === undefined) continue;
    const n = Number(size);
    result.set(sha, out.subarray(pos, pos + n));
    pos += n + 1; // content is followed by a newline
  }
  return result;
}
