import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamBlobs, type BlobTransport } from '../../src/git.js';
import { withPrefix } from '../../src/util.js';
import { cleanupAll, createRepo } from '../helpers/git-fixture.js';

afterAll(cleanupAll);

/** Text of `n` characters with newlines, which git's batch output must not be split at. */
function text(n: number, seed: number): string {
  let out = '';
  let x = seed;
  while (out.length < n) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += x % 7 === 0 ? '\n' : String.fromCharCode(97 + (x % 26));
  }
  return out.slice(0, n);
}

const files: Record<string, string> = {
  'empty.txt': '',
  'one.txt': 'x',
  'small.yaml': 'a: 1\n',
  'pipe.txt': text(65_536, 1),
  'pipe-plus.txt': text(65_537, 2),
  'large.txt': text(3_000_000, 3),
  'after-large.txt': text(100, 4),
  'utf8.txt': 'é'.repeat(40_000),
  'read-chunk.txt': text(256 * 1024, 6),
  'large2.txt': text(1_500_001, 5),
};

/** Reads every blob of `files` (plus a missing id and a repeat) and checks each arrived once, whole. */
async function readAll(repoDir: string, ids: Record<string, string>, transport?: BlobTransport): Promise<void> {
  const got = new Map<string, string>();
  const missing = '0123456789012345678901234567890123456789';
  await streamBlobs(
    repoDir,
    [...Object.values(ids), missing, ids['one.txt']],
    (blob, content) => {
      expect(got.has(blob)).toBe(false);
      got.set(blob, content.toString('utf8'));
    },
    transport,
  );
  expect(got.size).toBe(new Set(Object.values(ids)).size);
  for (const [path, id] of Object.entries(ids)) expect(got.get(id), path).toBe(files[path]);
}

describe('streamBlobs', () => {
  const repo = createRepo(files);
  const ids = Object.fromEntries(Object.keys(files).map((p) => [p, repo.git('rev-parse', `HEAD:${p}`)]));

  // Sizes around and far above a pipe's 64 KiB and the file reader's 256 KiB, an empty blob, multi-byte UTF-8.
  it.each(['file', 'pipe'] as const)('hands over every blob whole, however the output is split (%s)', async (transport) => {
    await readAll(repo.dir, ids, transport);
  });

  it('leaves no temporary file behind, and uses a pipe where no temporary file can be made', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'blast-radius-test-tmp-'));
    const saved = process.env.TMPDIR;
    try {
      process.env.TMPDIR = tmp;
      await readAll(repo.dir, ids);
      expect(readdirSync(tmp)).toEqual([]);
      process.env.TMPDIR = join(tmp, 'does-not-exist');
      await readAll(repo.dir, ids);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('reads through a pipe what git could not write to the temporary file (a full disk)', async () => {
    // A git that stops after 100 kB with an error when its output is a file, as on a full disk.
    const bin = mkdtempSync(join(tmpdir(), 'blast-radius-test-git-'));
    const real = execFileSync('sh', ['-c', 'command -v git']).toString().trim();
    writeFileSync(join(bin, 'git'), `#!/bin/sh\nif [ -f /dev/stdout ]; then "${real}" "$@" | head -c 100000; exit 1; fi\nexec "${real}" "$@"\n`);
    chmodSync(join(bin, 'git'), 0o755);
    const saved = process.env.PATH;
    try {
      process.env.PATH = `${bin}:${saved}`;
      await readAll(repo.dir, ids);
    } finally {
      process.env.PATH = saved;
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it.each(['file', 'pipe'] as const)("fails with git's message, or with what onBlob threw (%s)", async (transport) => {
    const notRepo = mkdtempSync(join(tmpdir(), 'blast-radius-test-norepo-'));
    try {
      await expect(streamBlobs(notRepo, [ids['one.txt']], () => undefined, transport)).rejects.toThrow(/not a git repository/);
    } finally {
      rmSync(notRepo, { recursive: true, force: true });
    }
    let calls = 0;
    const run = streamBlobs(
      repo.dir,
      Object.values(ids),
      () => {
        calls++;
        throw new Error('onBlob failed');
      },
      transport,
    );
    await expect(run).rejects.toThrow('onBlob failed');
    // The rest is still read (the error is kept, not thrown through git's reading).
    expect(calls).toBe(new Set(Object.values(ids)).size);
  });
});

describe('withPrefix', () => {
  const sorted = ['a', 'a/b', 'a/b/c', 'a/bc', 'a0', 'b', 'b/x'];
  it('gives the paths that start with the prefix, in order', () => {
    expect(withPrefix(sorted, 'a/')).toEqual(['a/b', 'a/b/c', 'a/bc']);
    expect(withPrefix(sorted, 'a/b/')).toEqual(['a/b/c']);
    expect(withPrefix(sorted, '')).toEqual(sorted);
    expect(withPrefix(sorted, 'c/')).toEqual([]);
    expect(withPrefix([], 'a/')).toEqual([]);
  });
  it('agrees with a scan of every path', () => {
    const paths = ['x', 'x/', 'x/y', 'x-y', 'x.y', 'x/y/z', 'y', 'templates/a.yaml', 'charts/c/templates/t.yaml', 'charts/c/values.yaml'].sort();
    for (const prefix of ['x', 'x/', 'x/y', 'charts/c/', 'charts/c/templates/', 'templates/', 'z']) {
      expect(withPrefix(paths, prefix)).toEqual(paths.filter((p) => p.startsWith(prefix)));
    }
  });
});
