/**
 * Real git repositories in temp dirs for tests, and a runner for the bundled CLI.
 *
 * Every git call runs with a fixed identity, fixed and increasing commit dates, no system or user
 * config (HOME is a fresh dir inside the fixture) and no inherited GIT_* variables, so the same
 * files always give the same commit ids and a developer's config or a git hook's environment
 * (GIT_DIR, GIT_INDEX_FILE) cannot leak into a test.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the bundled CLI (`npm run build` writes it). */
export const CLI_PATH = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
/** Absolute path of the project root. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** 2024-01-01T00:00:00Z; each commit of a fixture is one minute after the previous one. */
const EPOCH_SECONDS = 1_704_067_200;

export interface RepoOptions {
  /** Branch of the first commit (default `main`). */
  branch?: string;
  /** Message of the first commit (default `base`). */
  message?: string;
}

export interface Repo {
  /** The work tree (a subdirectory of the fixture's temp dir). */
  readonly dir: string;
  /** Writes (string) or deletes (null) files, commits everything and returns the new commit id. */
  commit(files: Record<string, string | null>, message: string): string;
  /** Creates branch `name` at HEAD (or at `from`) and checks it out. */
  branch(name: string, from?: string): void;
  /** Checks out an existing branch or commit. */
  checkout(ref: string): void;
  /** `git revert --no-edit <ref>` (git's own message: `Revert "<subject>"` / `This reverts commit <sha>.`); returns the new commit id. */
  revert(ref: string): string;
  /** Moves the fixture's clock forward (commit dates), e.g. to make a revert older than a month. */
  advance(seconds: number): void;
  /** Runs git in the repo with the fixture's environment; returns stdout without its final newline. */
  git(...args: string[]): string;
  /** Removes the fixture's temp dir. Safe to call twice. */
  cleanup(): void;
}

/** Process environment without any inherited GIT_* variable. */
function envWithoutGit(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return env;
}

/** Resolves a repository-relative path, refusing anything that would escape the work tree. */
function inside(dir: string, file: string): string {
  const rel = normalize(file);
  if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`) || rel === '.' || rel === '') {
    throw new Error(`git-fixture: path must be relative and inside the repo: ${JSON.stringify(file)}`);
  }
  return join(dir, rel);
}

const live = new Set<Repo>();

/** Builds a git repo whose first commit (on `main` unless told otherwise) holds `files`. */
export function createRepo(files: Record<string, string>, opts: RepoOptions = {}): Repo {
  const root = mkdtempSync(join(tmpdir(), 'blast-radius-fixture-'));
  const dir = join(root, 'repo');
  const home = join(root, 'home');
  mkdirSync(dir);
  mkdirSync(home);
  let commits = 0;
  let offset = 0;

  const baseEnv = {
    ...envWithoutGit(),
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: devNull,
    GIT_AUTHOR_NAME: 'Fixture Author',
    GIT_AUTHOR_EMAIL: 'author@fixture.invalid',
    GIT_COMMITTER_NAME: 'Fixture Committer',
    GIT_COMMITTER_EMAIL: 'committer@fixture.invalid',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
  };

  const git = (...args: string[]): string => {
    const date = `${EPOCH_SECONDS + offset + commits * 60} +0000`;
    try {
      const out = execFileSync('git', args, {
        cwd: dir,
        env: { ...baseEnv, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 256 * 1024 * 1024,
      });
      return out.endsWith('\n') ? out.slice(0, -1) : out;
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`git ${args.join(' ')} failed in ${dir}: ${(err.stderr ?? '').trim() || err.message}`);
    }
  };

  const commit = (changes: Record<string, string | null>, message: string): string => {
    for (const [file, content] of Object.entries(changes)) {
      const path = inside(dir, file);
      if (content === null) {
        if (!existsSync(path)) throw new Error(`git-fixture: cannot delete ${file}: it does not exist`);
        rmSync(path);
      } else {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, content);
      }
    }
    git('add', '--all', '.');
    git('commit', '--quiet', '--allow-empty', '--no-verify', '-m', message);
    commits++;
    return git('rev-parse', 'HEAD');
  };

  const repo: Repo = {
    dir,
    commit,
    git,
    branch: (name, from) => void git('checkout', '--quiet', '-b', name, ...(from ? [from] : [])),
    checkout: (ref) => void git('checkout', '--quiet', ref),
    revert: (ref) => {
      git('revert', '--no-edit', ref);
      commits++;
      return git('rev-parse', 'HEAD');
    },
    advance: (seconds) => {
      offset += seconds;
    },
    cleanup: () => {
      live.delete(repo);
      rmSync(root, { recursive: true, force: true });
    },
  };
  live.add(repo);

  try {
    git('-c', `init.defaultBranch=${opts.branch ?? 'main'}`, 'init', '--quiet', '.');
    // Repo-local config also holds for other git processes in this repo (the CLI's own git calls).
    for (const [key, value] of [
      ['commit.gpgsign', 'false'],
      ['tag.gpgsign', 'false'],
      ['core.autocrlf', 'false'],
      ['core.hooksPath', devNull],
      ['gc.auto', '0'],
    ]) {
      git('config', key, value);
    }
    commit(files, opts.message ?? 'base');
  } catch (e) {
    repo.cleanup();
    throw e;
  }
  return repo;
}

/** Removes every fixture repo not yet cleaned up (for an `afterAll`). */
export function cleanupAll(): void {
  for (const repo of [...live]) repo.cleanup();
}

/**
 * A pull-request shaped repo: `main` holds `base`, branch `pr` (checked out, as in CI) holds one
 * commit with `pr`'s changes (null deletes a file).
 */
export function prRepo(base: Record<string, string>, pr: Record<string, string | null>): Repo {
  const repo = createRepo(base);
  try {
    repo.branch('pr');
    repo.commit(pr, 'pr');
  } catch (e) {
    repo.cleanup();
    throw e;
  }
  return repo;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/cli.js ...args` synchronously (60 s timeout). Inherited GIT_* variables are
 * dropped and system/global git config ignored, so the CLI's git calls see only the fixture.
 * Throws when the CLI is missing, times out or dies from a signal: tests then fail loudly instead
 * of asserting on a `null` exit code.
 */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` first`);
  const r = spawnSync(process.execPath, [CLI_PATH, ...args], {
    cwd: opts.cwd ?? PROJECT_ROOT,
    env: { ...envWithoutGit(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: devNull, ...opts.env },
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.error) throw new Error(`blast-radius ${args.join(' ')}: ${r.error.message}\n${r.stderr ?? ''}`);
  if (r.status === null) {
    throw new Error(`blast-radius ${args.join(' ')} was killed by ${r.signal}\n${r.stderr}`);
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
