// Shared helpers of scripts/bench.mjs: logging, git with a fixed identity, a seeded PRNG, a
// `git fast-import` process, medians.
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { devNull } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';

export function log(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

export function fail(msg, code = 1) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(code);
}

/** The environment of every git process: no user or system config, a fixed identity and date. */
export function gitEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: devNull,
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
    GIT_AUTHOR_DATE: '1704067200 +0000',
    GIT_COMMITTER_DATE: '1704067200 +0000',
  };
}

export function git(dir, ...args) {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: gitEnv(),
  });
}

/** A deterministic PRNG (mulberry32): the generated repos never depend on the clock. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `prng(seed)` with its helpers: `r()` in [0, 1), `int(lo, hi)` inclusive, `pick(arr)`, `hex(n)` digits. */
export function rng(seed) {
  const r = prng(seed);
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  return {
    r,
    int,
    pick: (arr) => arr[Math.floor(r() * arr.length)],
    hex: (n) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join(''),
  };
}

export function median(xs) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * A `git fast-import` process: `write` streams commands; `mark(n)` asks for a mark's sha (`get-mark`,
 * answered on stdout once the commit is written), which a `git revert`-style message must quote.
 */
export function fastImport(dir) {
  const p = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: dir, env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiting = [];
  const answer = () => {
    for (let nl = out.indexOf('\n'); nl >= 0 && waiting.length; nl = out.indexOf('\n')) {
      waiting.shift().resolve(out.slice(0, nl));
      out = out.slice(nl + 1);
    }
  };
  p.stdout.setEncoding('utf8').on('data', (d) => {
    out += d;
    answer();
  });
  p.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  p.stdin.on('error', () => undefined); // a dead fast-import shows in its exit code and stderr
  const closed = new Promise((resolve) => p.on('close', resolve));
  const failed = (code) => new Error(`git fast-import failed (exit ${code}): ${err.trim().slice(-2000)}`);
  closed.then((code) => waiting.splice(0).forEach((w) => w.reject(failed(code))));
  return {
    write: (text) => p.stdin.write(text),
    /** Resolves once the stream's buffer has drained (for large streams: memory stays bounded). */
    drain: () => (p.stdin.writableNeedDrain ? new Promise((resolve) => p.stdin.once('drain', resolve)) : Promise.resolve()),
    mark: (n) =>
      new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        p.stdin.write(`get-mark :${n}\n`);
        answer();
      }),
    async end() {
      p.stdin.end('done\n');
      const code = await closed;
      if (code !== 0) throw failed(code);
    },
  };
}

/** A fast-import `data` block. */
export const dataCmd = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;

/** The first executable `name` on PATH (absolute entries only, as the CLI looks), or null. */
export function onPath(name, env = process.env) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const p = join(dir, name);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}
