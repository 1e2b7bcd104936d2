import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLI_PATH, cleanupAll, createRepo, prRepo, runCli } from './git-fixture.js';

afterEach(() => {
  vi.unstubAllEnvs();
  cleanupAll();
});

describe('createRepo', () => {
  it('commits the given files on main with the fixed identity', () => {
    const repo = createRepo({ 'a.yaml': 'a: 1\n', 'deep/dir/b.yaml': 'b: 2\n' });
    expect(repo.git('rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(repo.git('ls-tree', '-r', '--name-only', 'HEAD').split('\n')).toEqual(['a.yaml', 'deep/dir/b.yaml']);
    expect(repo.git('log', '--format=%an <%ae>|%cn|%s')).toBe('Fixture Author <author@fixture.invalid>|Fixture Committer|base');
    expect(readFileSync(join(repo.dir, 'deep/dir/b.yaml'), 'utf8')).toBe('b: 2\n');
    expect(repo.git('status', '--porcelain')).toBe('');
  });

  it('returns the new commit id from commit(), with dates one minute apart', () => {
    const repo = createRepo({ 'a.yaml': 'a: 1\n' });
    const first = repo.git('rev-parse', 'HEAD');
    const second = repo.commit({ 'a.yaml': 'a: 2\n', 'c.yaml': 'c: 3\n' }, 'second');
    expect(second).toMatch(/^[0-9a-f]{40}$/);
    expect(second).toBe(repo.git('rev-parse', 'HEAD'));
    expect(repo.git('rev-parse', `${second}^`)).toBe(first);
    expect(repo.git('show', 'HEAD:a.yaml')).toBe('a: 2');
    expect(repo.git('log', '--format=%ct').split('\n').map(Number)).toEqual([1_704_067_260, 1_704_067_200]);
  });

  it('is deterministic: the same files give the same commit ids', () => {
    const a = createRepo({ 'x.yaml': 'x: 1\n' });
    const b = createRepo({ 'x.yaml': 'x: 1\n' });
    expect(a.git('rev-parse', 'HEAD')).toBe(b.git('rev-parse', 'HEAD'));
    expect(a.commit({ 'y.yaml': 'y\n' }, 'm')).toBe(b.commit({ 'y.yaml': 'y\n' }, 'm'));
  });

  it('deletes files given as null, and refuses to delete what does not exist', () => {
    const repo = createRepo({ 'keep.yaml': 'k\n', 'gone/x.yaml': 'x\n' });
    repo.commit({ 'gone/x.yaml': null }, 'delete');
    expect(repo.git('ls-tree', '-r', '--name-only', 'HEAD')).toBe('keep.yaml');
    expect(existsSync(join(repo.dir, 'gone/x.yaml'))).toBe(false);
    expect(() => repo.commit({ 'missing.yaml': null }, 'nope')).toThrow(/does not exist/);
  });

  it('refuses paths outside the work tree', () => {
    const repo = createRepo({});
    expect(() => repo.commit({ '../evil.yaml': 'x\n' }, 'm')).toThrow(/inside the repo/);
    expect(() => repo.commit({ '/tmp/evil.yaml': 'x\n' }, 'm')).toThrow(/inside the repo/);
  });

  it('creates, switches and starts branches where asked', () => {
    const repo = createRepo({ 'a.yaml': 'v: 1\n' });
    const base = repo.git('rev-parse', 'HEAD');
    repo.branch('feature');
    repo.commit({ 'a.yaml': 'v: 2\n' }, 'change');
    expect(repo.git('rev-parse', '--abbrev-ref', 'HEAD')).toBe('feature');
    repo.checkout('main');
    expect(readFileSync(join(repo.dir, 'a.yaml'), 'utf8')).toBe('v: 1\n');
    repo.branch('from-base', base);
    expect(repo.git('rev-parse', 'HEAD')).toBe(base);
    expect(() => repo.checkout('no-such-branch')).toThrow(/git checkout/);
  });

  it('honours opts.branch and opts.message', () => {
    const repo = createRepo({ 'a.yaml': 'a\n' }, { branch: 'trunk', message: 'initial' });
    expect(repo.git('rev-parse', '--abbrev-ref', 'HEAD')).toBe('trunk');
    expect(repo.git('log', '--format=%s')).toBe('initial');
  });

  it('ignores the caller’s git environment', () => {
    vi.stubEnv('GIT_AUTHOR_NAME', 'Intruder');
    vi.stubEnv('GIT_DIR', '/nonexistent/.git');
    vi.stubEnv('GIT_INDEX_FILE', '/nonexistent/index');
    const repo = createRepo({ 'a.yaml': 'a\n' });
    expect(repo.git('log', '--format=%an')).toBe('Fixture Author');
    expect(repo.git('rev-parse', '--git-dir')).toBe('.git');
  });

  it('cleanup removes the temp dir and can run twice', () => {
    const repo = createRepo({ 'a.yaml': 'a\n' });
    expect(existsSync(repo.dir)).toBe(true);
    repo.cleanup();
    expect(existsSync(repo.dir)).toBe(false);
    expect(() => repo.cleanup()).not.toThrow();
  });
});

describe('prRepo', () => {
  it('puts the base on main and the changes on a checked-out pr branch', () => {
    const repo = prRepo(
      { 'a.yaml': 'a: 1\n', 'b.yaml': 'b: 1\n', 'c.yaml': 'c: 1\n' },
      { 'a.yaml': 'a: 2\n', 'b.yaml': null, 'd/e.yaml': 'e: 1\n' },
    );
    expect(repo.git('rev-parse', '--abbrev-ref', 'HEAD')).toBe('pr');
    expect(repo.git('diff', '--name-status', 'main...pr').split('\n')).toEqual(['M\ta.yaml', 'D\tb.yaml', 'A\td/e.yaml']);
    expect(repo.git('rev-list', '--count', 'main..pr')).toBe('1');
  });
});

describe('runCli', () => {
  it.skipIf(!existsSync(CLI_PATH))('runs dist/cli.js --help', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/check/);
    expect(r.stdout).toMatch(/--fail-on/);
  });
});
