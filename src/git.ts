/**
 * Reading a repository through git: refs, the change set, trees and blobs. Everything is read in bulk
 * (`ls-tree -r`, one `cat-file --batch` for all blobs): never one process per file.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
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
function assertRepo(repo: string): void {
  try {
    run(repo, ['rev-parse', '--git-dir']);
  } catch {
    throw new UsageError(`${repo} is not a git repository`);
  }
}

/** The commit a ref names; exit 2 with one clear line when there is none. */
function resolveCommit(repo: string, ref: string, what: string): string {
  try {
    return run(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).toString('utf8').trim();
  } catch {
    throw new UsageError(`${what} ref "${ref}" does not exist in ${repo} (fetch it, or pass --${what} with a branch or commit that does)`);
  }
}

/**
 * Checks that `repo` is a repository and resolves refs to commits in one git process; on any failure, the
 * one-by-one checks give the clear message (exit 2). Refs that look like options are resolved one by one.
 */
export function resolveCommits(repo: string, refs: ReadonlyArray<{ ref: string; what: string }>): string[] {
  if (!refs.some((r) => r.ref.startsWith('-'))) {
    try {
      const lines = run(repo, ['rev-parse', '--git-dir', ...refs.map((r) => `${r.ref}^{commit}`)]).toString('utf8').trim().split('\n');
      const shas = lines.slice(1);
      if (shas.length === refs.length && shas.every((x) => /^[0-9a-f]{40,64}$/.test(x))) return shas;
    } catch {
      /* the checks below say what is wrong */
    }
  }
  assertRepo(repo);
  return refs.map((r) => resolveCommit(repo, r.ref, r.what));
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

/** Files changed from `base` to `head` (both commits), with renames detected; read while the trees stream. */
export async function changedFiles(repo: string, base: string, head: string): Promise<ChangedFile[]> {
  return parseNameStatus((await runAsync(repo, ['diff', '--no-ext-diff', '--name-status', '-z', '-M', base, head])).toString('utf8'));
}

function parseNameStatus(out: string): ChangedFile[] {
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
function parseTree(out: string): TreeEntry[] {
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

/** Runs git asynchronously (with `input` on stdin) and returns stdout. */
export function runAsync(repo: string, args: string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', repo, ...args], { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(Buffer.concat(err).toString('utf8').trim().split('\n')[0] || `git ${args[0]} exited ${code}`))));
    if (input !== undefined) {
      child.stdin!.on('error', () => {
        /* git exited early: reported by 'close' */
      });
      child.stdin!.end(input);
    }
  });
}

/** listTree, without blocking: both sides of a change are listed at once. */
export async function listTreeAsync(repo: string, commit: string): Promise<TreeEntry[]> {
  return parseTree((await runAsync(repo, ['ls-tree', '-r', '-l', '-z', '--full-tree', commit])).toString('utf8'));
}

/**
 * A reader of `git cat-file --batch` output: fed chunks as they come, it calls `onBlob` with each blob
 * once the blob is whole. An error thrown by `onBlob` is kept (`failure`) and the reading goes on.
 */
function batchReader(onBlob: (blob: string, content: Buffer) => void): { feed(chunk: Buffer): void; readonly failure: unknown } {
  let pending: Buffer = Buffer.alloc(0);
  // A blob larger than a read arrives in many chunks: they wait here until it is whole, then are joined
  // once (joining at every chunk copies a large blob over and over).
  const parts: Buffer[] = [];
  let partsLength = 0;
  let need = 0;
  let failure: unknown;
  const feed = (chunk: Buffer): void => {
    if (need) {
      parts.push(chunk);
      partsLength += chunk.length;
      if (pending.length + partsLength < need) return;
      pending = Buffer.concat([pending, ...parts]);
      parts.length = 0;
      partsLength = 0;
      need = 0;
    } else pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const nl = pending.indexOf(0x0a, pos);
      if (nl < 0) break;
      const [sha, type, size] = pending.toString('utf8', pos, nl).split(' ');
      if (type === 'missing' || size === undefined) {
        pos = nl + 1;
        continue;
      }
      const n = Number(size);
      if (pending.length < nl + 1 + n + 1) {
        need = nl + 1 + n + 1 - pos; // the blob is not complete yet
        break;
      }
      try {
        onBlob(sha, pending.subarray(nl + 1, nl + 1 + n));
      } catch (e) {
        failure ??= e;
      }
      pos = nl + 1 + n + 1; // content is followed by a newline
    }
    pending = pos ? Buffer.from(pending.subarray(pos)) : pending;
  };
  return {
    feed,
    get failure() {
      return failure;
    },
  };
}

/** Bytes read from git's output at a time. */
const READ_CHUNK = 256 * 1024;
/** The longest the blob reader holds the thread before letting other I/O (the change set, history) run. */
const YIELD_MS = 10;

/** How `streamBlobs` takes git's output: through a temporary file (see there), or a pipe. */
export type BlobTransport = 'file' | 'pipe';

/**
 * Streams blobs out of one `git cat-file --batch`, calling `onBlob` as each arrives, so parsing one blob
 * overlaps with git reading the next (git runs on the other core). git writes into an unlinked temporary
 * file rather than a pipe: a pipe holds 64 KiB, so git would stop whenever the parser fell behind and
 * the parser would then wait for git (about 200 ms of a 100 MB fleet's read went to that waiting). Where
 * no temporary file can be made, or git cannot write it to the end (a full disk), the blobs not yet
 * handed over come through a pipe.
 */
export async function streamBlobs(repo: string, blobs: readonly string[], onBlob: (blob: string, content: Buffer) => void, transport: BlobTransport = 'file'): Promise<void> {
  const unique = [...new Set(blobs)];
  if (unique.length === 0) return;
  const args = ['-C', repo, 'cat-file', '--batch'];
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  const delivered = new Set<string>();
  const deliver = (blob: string, content: Buffer) => {
    delivered.add(blob);
    onBlob(blob, content);
  };
  if (transport === 'file' && (await fileBlobs(args, env, unique, batchReader(deliver)))) return;
  const rest = delivered.size ? unique.filter((b) => !delivered.has(b)) : unique;
  if (rest.length) await pipeBlobs(args, env, rest, batchReader(deliver));
}

/**
 * streamBlobs through a temporary file: true once every blob is handed over, false when the file could
 * not be made or git failed (the caller reads the rest through a pipe, which reports git's own error).
 * Throws what `onBlob` threw.
 */
async function fileBlobs(args: string[], env: NodeJS.ProcessEnv, blobs: readonly string[], reader: ReturnType<typeof batchReader>): Promise<boolean> {
  let dir: string | undefined;
  let readFd: number | undefined;
  let writeFd: number | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'blast-radius-blobs-'));
    const file = join(dir, 'batch');
    writeFd = openSync(file, 'w');
    readFd = openSync(file, 'r');
  } catch {
    for (const fd of [writeFd, readFd]) if (fd !== undefined) closeSync(fd);
    removeQuietly(dir);
    return false;
  }
  let child: ReturnType<typeof spawn> | undefined;
  let ended: { code: number | null } | undefined;
  try {
    try {
      // git's message, if it fails, comes from the pipe's second try.
      child = spawn('git', args, { stdio: ['pipe', writeFd, 'ignore'], env });
    } finally {
      closeSync(writeFd); // git holds its own copy
    }
    // Nothing is left on disk if the process dies: the open descriptor keeps the data (where the
    // platform refuses to remove an open file, `finally` removes it).
    removeQuietly(dir);
    const exited = new Promise<void>((resolve) => {
      child!.on('close', (code) => ((ended ??= { code }), resolve()));
      child!.on('error', () => ((ended ??= { code: null }), resolve()));
    });
    child.stdin?.on('error', () => {
      /* git exited early: reported by 'close' */
    });
    child.stdin?.end(blobs.join('\n') + '\n');
    let slice = performance.now();
    let chunk = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      // Seen gone before this read: everything git wrote is in the file, so an empty read is the end.
      const gone = ended !== undefined;
      const n = readSync(readFd, chunk, 0, READ_CHUNK, null);
      if (n > 0) {
        // A full chunk is handed on as it is (blobs may keep slices of it); a short read is copied.
        if (n < READ_CHUNK) reader.feed(Buffer.from(chunk.subarray(0, n)));
        else {
          reader.feed(chunk);
          chunk = Buffer.allocUnsafe(READ_CHUNK);
        }
        if (performance.now() - slice > YIELD_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          slice = performance.now();
        }
        continue;
      }
      if (gone) break;
      await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 1))]);
      slice = performance.now();
    }
    if (reader.failure) throw reader.failure;
    return (ended as { code: number | null } | undefined)?.code === 0;
  } finally {
    if (child && !ended) child.kill();
    closeSync(readFd);
    removeQuietly(dir);
  }
}

/** Removes a temporary directory, ignoring failure (a platform that keeps an open file busy). */
function removeQuietly(dir: string | undefined): void {
  if (dir === undefined) return;
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    /* nothing more to do */
  }
}

/** streamBlobs through a pipe. */
function pipeBlobs(args: string[], env: NodeJS.ProcessEnv, blobs: readonly string[], reader: ReturnType<typeof batchReader>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => reader.feed(chunk));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (reader.failure) reject(reader.failure);
      else if (code !== 0) reject(new Error(Buffer.concat(err).toString('utf8').trim() || `git cat-file exited ${code}`));
      else resolve();
    });
    child.stdin?.on('error', () => {
      /* git exited early: reported by 'close' */
    });
    child.stdin?.end(blobs.join('\n') + '\n');
  });
}
