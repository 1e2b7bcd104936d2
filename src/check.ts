/**
 * `blast-radius check`: the whole job for one change of a git repository. Shared by the CLI (and, later,
 * the Action): refs → change set → config in force → trees → engine → report.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CONFIG_FILE, defaultConfig, formatProblem, parseConfig, type Config } from './config.js';
import { CONFIG_RULE, configFindings } from './config-rule.js';
import { analyze, failOnLevel, stricterFailOn } from './engine.js';
import { UsageError } from './errors.js';
import { changedFiles, defaultBranch, git, mergeBase, resolveCommits } from './git.js';
import { renderJson } from './report/json.js';
import { renderMarkdown } from './report/markdown.js';
import { renderSarif } from './report/sarif.js';
import { renderText } from './report/text.js';
import { resolveWithRendering } from './render/index.js';
import { NO_HISTORY, namesIn, readHistory, type HistoryScope } from './history.js';
import { isTextConfigPath } from './revert.js';
import { duplicateKey, isYamlPath, yaml11Value } from './yaml/parse.js';
import { exitCodeFor } from './score.js';
import { readTrees } from './tree.js';
import { addTime, timed, timedAsync, timings } from './timings.js';
import { performance } from 'node:perf_hooks';
import type { ChangeSet, Finding, Level, Report, ReportContext, RuleMeta, Tree } from './types.js';
import { RULES } from '../rules/index.js';

export type Format = 'text' | 'json' | 'markdown' | 'sarif';

export interface CheckOptions {
  repo: string;
  base?: string;
  head?: string;
  /** A config file on disk, used instead of the base commit's `.blast-radius.yml`. */
  config?: string;
  format: Format;
  output?: string;
  failOn?: Level;
  /**
   * `override` (the CLI): `failOn` wins over the config's `failOn`. `stricter` (the Action): the lower of
   * the two levels is in force, so a config cannot loosen the workflow's input nor the input the config.
   */
  failOnMode?: 'override' | 'stricter';
  /** Path of the config inside the repository, read from the base commit (default `.blast-radius.yml`). */
  configPath?: string;
  /**
   * Verified pull-request labels, or a function that gives them once the config in force is known (the
   * Action verifies only the labels that config gives a meaning: its `acceptLabel` and lock overrides).
   */
  labels: string[] | ((config: Config) => Promise<string[]>);
  /** Colour in text output (the CLI sets it for a TTY). */
  color?: boolean;
}

export interface CheckResult {
  report: Report;
  exitCode: number;
  failOn: Level;
  output: string;
  context: ReportContext;
}

/** Every rule's meta, for SARIF and docs. */
export const RULE_METAS: readonly RuleMeta[] = [...RULES.map((r) => r.meta), CONFIG_RULE];
const KNOWN_RULES = RULE_METAS.map((m) => m.id);

function showFile(repo: string, commit: string, path: string): string | null {
  try {
    return git(repo, ['cat-file', 'blob', `${commit}:${path}`]);
  } catch {
    return null;
  }
}

/** The config in force (DESIGN.md: the base commit's file, so a PR cannot loosen its own check). */
export function configInForce(
  repo: string,
  baseRef: string,
  head: string,
  changes: ChangeSet,
  file?: string,
  configPath: string = CONFIG_FILE,
): { config: Config; findings: Finding[]; notes: string[]; proposed?: Config } {
  const notes: string[] = [];
  const headText = showFile(repo, head, configPath);
  const baseText = showFile(repo, baseRef, configPath);
  const headResult = headText === null ? undefined : parseConfig(headText, KNOWN_RULES);
  let config: Config;
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    const r = parseConfig(text, KNOWN_RULES);
    if (!r.ok) throw new UsageError(`invalid config ${formatProblem(file, r.problems[0])}${r.problems.length > 1 ? ` (and ${r.problems.length - 1} more)` : ''}`);
    config = r.config;
  } else if (baseText === null) {
    config = defaultConfig();
  } else {
    const r = parseConfig(baseText, KNOWN_RULES);
    if (r.ok) config = r.config;
    else if (headResult?.ok) {
      // The fix for a broken config must be able to merge.
      config = headResult.config;
      notes.push(`${configPath} on the base is invalid (${formatProblem(configPath, r.problems[0])}); this check used the pull request's valid version`);
    } else {
      throw new UsageError(`invalid config ${formatProblem(configPath, r.problems[0])} (read from the base commit)${r.problems.length > 1 ? ` (and ${r.problems.length - 1} more)` : ''}`);
    }
  }
  const findings: Finding[] = [];
  let proposed: Config | undefined;
  // Whether this change edits the config comes from the change set: main may have changed the file since
  // the branch was made, and a merge keeps main's version then.
  const edited = changes.files.some((f) => f.path === configPath || f.oldPath === configPath);
  if (headText !== null && edited) {
    if (headResult && !headResult.ok) findings.push(...configFindings(configPath, headResult.problems));
    else {
      notes.push(`this change edits ${configPath}; the new configuration takes effect once merged`);
      if (headResult?.ok) proposed = headResult.config;
    }
  } else if (headText === null && edited && baseText !== null) {
    notes.push(`this change deletes ${configPath}; the defaults take effect once merged`);
    proposed = defaultConfig();
  }
  return { config, findings, notes, ...(proposed ? { proposed } : {}) };
}

/** What a change touches, for the revert scan: its paths and the names its changed files mention. */
function historyScope(changes: ChangeSet, trees: { base: Tree; head: Tree }): HistoryScope {
  const names = new Set<string>();
  for (const f of changes.files) {
    for (const [tree, path] of [
      [trees.head, f.path],
      [trees.base, f.oldPath ?? f.path],
    ] as const) {
      // YAML texts are in memory; other files would each cost a git call: only text configs are read.
      if (!isYamlPath(path) && !isTextConfigPath(path)) continue;
      const text = tree.readFile(path);
      if (text) for (const n of namesIn(text)) names.add(n);
    }
  }
  return { paths: changes.files.flatMap((f) => (f.oldPath ? [f.path, f.oldPath] : [f.path])), names };
}

/** Runs the check and renders the report (does not write it). */
export async function runCheck(opts: CheckOptions): Promise<CheckResult> {
  const started = Date.now();
  let head: string;
  let baseTip: string;
  let baseRef: string;
  if (opts.base !== undefined) {
    baseRef = opts.base;
    [head, baseTip] = resolveCommits(opts.repo, [{ ref: opts.head ?? 'HEAD', what: 'head' }, { ref: baseRef, what: 'base' }]);
  } else {
    [head] = resolveCommits(opts.repo, [{ ref: opts.head ?? 'HEAD', what: 'head' }]);
    baseRef = defaultBranch(opts.repo);
    [baseTip] = resolveCommits(opts.repo, [{ ref: baseRef, what: 'base' }]);
  }
  const base = mergeBase(opts.repo, baseTip, head);
  // Start reading both trees now: git lists and streams them while the change set and config are read.
  const readStarted = performance.now();
  const treesRead = readTrees(opts.repo, { base, head, files: [] });
  let files: ChangeSet['files'];
  try {
    files = await changedFiles(opts.repo, base, head);
  } catch (e) {
    treesRead.catch(() => undefined); // the diff's error wins; the read is abandoned
    throw e;
  }
  const changes: ChangeSet = { base, head, files };
  let configured: ReturnType<typeof configInForce>;
  try {
    configured = configInForce(opts.repo, baseTip, head, changes, opts.config, opts.configPath);
  } catch (e) {
    treesRead.catch(() => undefined); // the config error wins; the read is abandoned
    throw e;
  }
  const { config, findings, notes, proposed } = configured;
  // The revert scan runs while the trees are read (its own git processes).
  const historyRead = RULES.some((r) => r.meta.family === 'revert-lock' && config.rules[r.meta.id] !== 'off')
    ? readHistory(opts.repo, { baseTip, head, maxCommits: config.history.maxCommits, scope: treesRead.then((trees) => historyScope(changes, trees)) })
    : Promise.resolve({ history: NO_HISTORY, notes: [] });
  const labelsRead = typeof opts.labels === 'function' ? opts.labels(config) : Promise.resolve(opts.labels);
  const [trees, read, labels] = await Promise.all([
    treesRead.then((t) => (addTime('git', performance.now() - readStarted - (timings().parse ?? 0)), t)),
    timedAsync('history', () => historyRead),
    labelsRead,
  ]);
  // Repeated mapping keys in the changed files: read last-wins (as kubectl and helm do), and said.
  for (const f of changes.files) {
    const parsed = f.status === 'deleted' ? undefined : trees.head.files.get(f.path);
    const dup = parsed && duplicateKey(parsed);
    if (dup) notes.push(`${f.path}:${dup.line}: mapping key "${dup.key}" is repeated; the last value is used, as kubectl and helm do`);
    const old = parsed && yaml11Value(parsed);
    // The value itself is not quoted: a note is printed in every report, and the file may hold secrets.
    if (old) notes.push(`${f.path}:${old.line}: a plain value YAML 1.1 reads as a boolean or an octal number (kubectl) is read as YAML 1.2 here (a string or a decimal number): write true / false, or the number in decimal`);
  }
  // What the change touches is rendered with the real helm / kubectl where they are found (src/render).
  const renderStarted = performance.now();
  const rendering = await resolveWithRendering(config, trees.base, trees.head, changes);
  addTime('render', performance.now() - renderStarted - (timings().units ?? 0));
  const rulesStarted = performance.now();
  const { report } = analyze({
    changes,
    ...trees,
    config,
    rules: RULES,
    labels,
    extraFindings: findings,
    resolved: rendering.resolved,
    notes: [...notes, ...read.notes, ...rendering.notes],
    history: read.history,
    ...(proposed ? { proposedConfig: proposed } : {}),
    startedAt: started,
  });
  addTime('rules', performance.now() - rulesStarted);
  const failOn = opts.failOnMode === 'stricter' ? stricterFailOn(opts.failOn, config) : failOnLevel(opts.failOn, config);
  const exitCode = exitCodeFor(report.level, failOn);
  const context: ReportContext = { rules: RULE_METAS, base, head, failOn, exitCode };
  return { report, exitCode, failOn, context, output: timed('report', () => render(report, context, opts.format, opts.color ?? false)) };
}

/** Renders a report in one of the formats. */
export function render(report: Report, context: ReportContext, format: Format, color = false): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'markdown':
      return renderMarkdown(report, context);
    case 'sarif':
      return renderSarif(report, context);
    default:
      return renderText(report, context, { color });
  }
}

/** Runs the check, writes the report to `--output` or stdout, and returns the exit code. */
export async function check(opts: CheckOptions): Promise<number> {
  const result = await runCheck(opts);
  if (opts.output) writeFileSync(opts.output, result.output);
  else process.stdout.write(result.output);
  return result.exitCode;
}
