// Measuring one case of scripts/bench.mjs: the floor (a node process reading and js-yaml-parsing every
// YAML file of the work tree) and the CLI (a node process: `check --base … --head … --format json`),
// run alternately; the CLI's phase timings (BLAST_RADIUS_TIMINGS); one more CLI run for peak RSS and
// the JSON report.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { devNull } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fail, log, median } from './lib.mjs';

const CLI_TIMEOUT_MS = 600_000;
const GNU_TIME = '/usr/bin/time';

/** The phases the CLI times (src/timings.ts), in the order they run; others follow alphabetically. */
export const PHASES = ['git', 'parse', 'config', 'history', 'units', 'render', 'rules', 'report'];

/**
 * The floor: files, bytes, documents, files js-yaml rejects, and objects — documents with a string
 * `apiVersion` and `kind`, the items of a `…List` document counted instead of the list (as the CLI
 * does, src/yaml/parse.ts) — of every .yaml/.yml file under argv[2].
 */
export function floorScript(jsYamlUrl) {
  return `
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from ${JSON.stringify(jsYamlUrl)};
let files = 0, bytes = 0, docs = 0, errors = 0, objects = 0;
const isObject = (d) => d !== null && typeof d === 'object' && !Array.isArray(d) &&
  typeof d.apiVersion === 'string' && d.apiVersion !== '' && typeof d.kind === 'string' && d.kind !== '';
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === '.git') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.isFile() && /\\.ya?ml$/.test(e.name)) {
      const text = readFileSync(p, 'utf8');
      files++;
      bytes += Buffer.byteLength(text);
      let all;
      try { all = yaml.loadAll(text); } catch { errors++; continue; }
      docs += all.length;
      for (const d of all) {
        if (d && typeof d === 'object' && typeof d.kind === 'string' && /List$/.test(d.kind) && Array.isArray(d.items)) {
          for (const item of d.items) if (isObject(item)) objects++;
        } else if (isObject(d)) objects++;
      }
    }
  }
};
walk(process.argv[2]);
process.stdout.write(JSON.stringify({ files, bytes, docs, errors, objects }));
`;
}

const RSS_PRELOAD = `
import { writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));
`;

export function timed(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: CLI_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(env ? { env } : {}),
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ...r, ms };
}

/** Why a CLI run failed: the error, the signal or the exit code, and its last line of stderr. */
export function whyFailed(r) {
  const why = r.error ? r.error.message : r.status === null ? `killed by ${r.signal}` : `exit code ${r.status}`;
  const lines = (r.stderr ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  const fatal = lines.find((l) => /FATAL ERROR|heap out of memory|internal error/i.test(l)) ?? lines.at(-1);
  return fatal ? `${why}: ${fatal.slice(0, 300)}` : why;
}

export function cliFailed(r, what) {
  const why = r.error ? r.error.message : r.status === null ? `killed by ${r.signal}` : `exit code ${r.status}`;
  process.stderr.write((r.stderr ?? '').slice(-4000));
  fail(`the CLI failed (${what}): ${why}`);
}

export function hasGnuTime() {
  return existsSync(GNU_TIME) && /^\d+\s*$/.test(spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' }).stderr ?? '');
}

/** Runs the floor script once on `dir`. */
export function runFloor(script, dir) {
  const f = timed(process.execPath, [script, dir]);
  if (f.status !== 0) {
    process.stderr.write(f.stderr ?? '');
    fail(`the floor script failed: ${f.error?.message ?? `exit code ${f.status}`}`);
  }
  return { ...JSON.parse(f.stdout), ms: f.ms };
}

/** Median per phase over the runs that wrote timings; null when none did (a CLI without them). */
function medianPhases(all) {
  if (!all.length) return null;
  const keys = new Set(all.flatMap((p) => Object.keys(p)));
  const order = [...PHASES.filter((k) => keys.has(k)), ...[...keys].filter((k) => !PHASES.includes(k)).sort()];
  return Object.fromEntries(order.map((k) => [k, Math.round(median(all.map((p) => p[k] ?? 0)))]));
}

/** The JSON report's shape, as far as the benchmark relies on it; fails the bench otherwise. */
export function checkReport(report, what) {
  const problems = [];
  if (report?.schemaVersion !== 1) problems.push('schemaVersion is not 1');
  if (typeof report?.score !== 'number') problems.push('score is not a number');
  if (typeof report?.level !== 'string') problems.push('level is not a string');
  for (const k of ['findings', 'clusters', 'errors', 'notes']) if (!Array.isArray(report?.[k])) problems.push(`${k} is not an array`);
  if (typeof report?.stats?.changedFiles !== 'number') problems.push('stats.changedFiles is not a number');
  if (problems.length) fail(`the CLI's JSON report (${what}) is invalid: ${problems.join('; ')}`);
}

/**
 * One case: the floor on the work tree (checked out at the head by the caller) and the CLI on
 * `base...head`, alternately `runs` times, the first discarded as warm-up; then one more CLI run for
 * peak RSS (GNU time's `%M`, or the preload) and the JSON report.
 * `name` labels the log lines ('' for the tracked case, whose lines stay as they always were).
 * A failing CLI run (exit code other than 0 or 1, a crash, a timeout) ends the bench when `fatal`;
 * otherwise it ends the case: the result then has `failed` (why, and after how long) and no CLI figures.
 */
export function measureCase({ name, repo, base = 'main', head, runs, tmp, floor, cli, rssMethod, extraArgs = [], fatal = true }) {
  const tag = name ? `${name}: ` : '';
  const cliArgs = ['check', '--repo', repo, '--base', base, '--head', head, '--format', 'json', ...extraArgs];
  const timingsFile = join(tmp, 'timings.json');
  const env = { ...process.env, BLAST_RADIUS_TIMINGS: timingsFile };
  const floorMs = [];
  const cliMs = [];
  const phases = [];
  let floorInfo;
  let cliCode;
  for (let i = 0; i < runs; i++) {
    const f = runFloor(floor, repo);
    floorInfo = f;
    rmSync(timingsFile, { force: true });
    const c = timed(process.execPath, [cli, ...cliArgs, '--output', devNull], env);
    if (c.error || (c.status !== 0 && c.status !== 1)) {
      if (fatal) cliFailed(c, `${tag}run ${i + 1}`);
      const why = whyFailed(c);
      log(`${tag}run ${i + 1}/${runs}: floor ${Math.round(f.ms)} ms, cli FAILED after ${Math.round(c.ms)} ms (${why}); the case stops here`);
      return {
        files: f.files, bytes: f.bytes, docs: f.docs, errors: f.errors, objects: f.objects,
        floorMs: floorMs.length ? median(floorMs) : f.ms,
        failed: { run: i + 1, ms: Math.round(c.ms), why },
      };
    }
    cliCode = c.status;
    let t = null;
    try {
      t = JSON.parse(readFileSync(timingsFile, 'utf8')).phases ?? null;
    } catch {
      // a CLI without BLAST_RADIUS_TIMINGS: no breakdown
    }
    log(`${tag}run ${i + 1}/${runs}: floor ${Math.round(f.ms)} ms, cli ${Math.round(c.ms)} ms (exit ${c.status})${i === 0 ? ' — warm-up, discarded' : ''}`);
    if (i > 0) {
      floorMs.push(f.ms);
      cliMs.push(c.ms);
      if (t) phases.push(t);
    }
  }

  // One more CLI run, for peak RSS and to check the report itself.
  const reportFile = join(tmp, 'report.json');
  const rssFile = join(tmp, 'rss');
  rmSync(rssFile, { force: true });
  let rr;
  if (rssMethod === 'time') {
    rr = timed(GNU_TIME, ['-f', '%M', '-o', rssFile, process.execPath, cli, ...cliArgs, '--output', reportFile]);
  } else {
    const preload = join(tmp, 'rss-preload.mjs');
    writeFileSync(preload, RSS_PRELOAD);
    rr = timed(process.execPath, ['--import', pathToFileURL(preload).href, cli, ...cliArgs, '--output', reportFile], { ...process.env, BENCH_RSS_FILE: rssFile });
  }
  if (rr.error || (rr.status !== 0 && rr.status !== 1)) {
    if (fatal) cliFailed(rr, `${tag}peak-RSS run`);
    const why = whyFailed(rr);
    log(`${tag}peak-RSS run: cli FAILED after ${Math.round(rr.ms)} ms (${why})`);
    return {
      files: floorInfo.files, bytes: floorInfo.bytes, docs: floorInfo.docs, errors: floorInfo.errors, objects: floorInfo.objects,
      floorMs: median(floorMs), failed: { run: runs + 1, ms: Math.round(rr.ms), why },
    };
  }
  const rssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
  if (!Number.isFinite(rssKb) || rssKb <= 0) fail(`could not read the peak RSS (${rssMethod})`);
  let report;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8'));
  } catch (e) {
    fail(`the CLI's JSON report${name ? ` (${name})` : ''} is not valid JSON: ${e.message}`);
  }
  checkReport(report, name || 'corpus');
  if (rr.stdout) log(`${tag}note: the CLI wrote ${rr.stdout.length} bytes to stdout although --output was given`);
  if (rr.status !== cliCode) log(`${tag}note: exit code changed between runs (${cliCode} → ${rr.status})`);
  return {
    files: floorInfo.files,
    bytes: floorInfo.bytes,
    docs: floorInfo.docs,
    errors: floorInfo.errors,
    objects: floorInfo.objects,
    floorMs: median(floorMs),
    cliMs: median(cliMs),
    floorRunsMs: floorMs.map(Math.round),
    cliRunsMs: cliMs.map(Math.round),
    phases: medianPhases(phases),
    rssKb,
    exitCode: rr.status,
    report,
  };
}

/** The report's notes about rendering (kubectl kustomize / helm template), for the log. */
export function renderNotes(report) {
  return (report.notes ?? []).filter((n) => /render|KUBECTL_BIN|HELM_BIN/i.test(n));
}
