/**
 * The engine: runs the rules over the base and head trees, keeps the findings that are new, applies
 * suppressions and settings, and assembles the report. It knows nothing of git or GitHub: callers hand it
 * a change set and two trees.
 */
import type { Config } from './config.js';
import { NO_HISTORY, type History } from './history.js';
import { buildFleet, UNMAPPED, type ResolvedTrees } from './fleet.js';
import { cacheTtlOf, serveStaleOf } from './corefile.js';
import { isClusterDnsConfigMap } from './critical.js';
import { focusGroups, focusPlanner } from './focus.js';
import type { ChangeContext, Fleet, Rule, StateContext } from './rule.js';
import { exitCodeFor, levelOf, scoreOf } from './score.js';
import {
  levelRank,
  type ChangeSet,
  type Finding,
  type KubeObject,
  type Level,
  type RawFinding,
  type Report,
  type ReportCluster,
  type ReportError,
  type RuleMeta,
  type Tree,
} from './types.js';
import { cmp, errorMessage } from './util.js';
import { lineOf } from './yaml/lines.js';
import { asMap, asString } from './yaml/walk.js';
import { ofKind } from './kinds.js';

/** The annotation that silences rules on one object: `<ruleId>[,<ruleId>] -- reason`. */
export const IGNORE_ANNOTATION = 'blast-radius.dev/ignore';

export interface AnalyzeInput {
  changes: ChangeSet;
  base: Tree;
  head: Tree;
  config: Config;
  rules: readonly Rule[];
  /** Verified pull-request labels (the CLI trusts `--labels`; the Action verifies them). */
  labels?: readonly string[];
  /** Findings made outside the rules (an invalid config introduced by the PR). */
  extraFindings?: readonly Finding[];
  /** Notes made outside the engine (config precedence, rendering). */
  notes?: readonly string[];
  /** Start time for `stats.durationMs` (defaults to when analyze was called). */
  startedAt?: number;
  /** Reverts found in the git history (src/history.ts); none when absent. */
  history?: History;
  /** The pull request's own valid `.blast-radius.yml`, when it edits it (takes effect after merge). */
  proposedConfig?: Config;
  /** The fleet and units already built for this change (with real renderings where they were made); built here when absent. */
  resolved?: ResolvedTrees;
  /**
   * Judge only what the change can move, for rules that declare `focus` (src/focus.ts); the default. With
   * `false` every rule judges every object (the reference the fuzzer compares against).
   */
  incremental?: boolean;
}

/** The label that lifts the lock `id` (DESIGN.md: `blast-radius-override:<id>`). */
export function overrideLabel(id: string): string {
  return `blast-radius-override:${id}`;
}

export interface AnalyzeResult {
  report: Report;
  fleet: Fleet;
}

interface Pending {
  rule: RuleMeta;
  raw: RawFinding;
  side: 'base' | 'head';
  tree: Tree;
  finding: Finding;
}

/** Orders rules so that every rule runs after the families / rules its `meta.after` names. */
export function orderRules(rules: readonly Rule[]): Rule[] {
  const done = new Set<Rule>();
  const out: Rule[] = [];
  const visiting = new Set<Rule>();
  const visit = (r: Rule) => {
    if (done.has(r)) return;
    if (visiting.has(r)) throw new Error(`rule ${r.meta.id} is part of a meta.after cycle`);
    visiting.add(r);
    for (const dep of r.meta.after ?? []) for (const d of rules) if (d !== r && (d.meta.id === dep || d.meta.family === dep)) visit(d);
    visiting.delete(r);
    done.add(r);
    out.push(r);
  };
  [...rules].sort((a, b) => cmp(a.meta.id, b.meta.id)).forEach(visit);
  return out;
}

/** Parses the ignore annotation of an object: rule ids / families and the reason. */
export function ignoresOf(object: KubeObject | undefined): { ids: string[]; reason: string } | undefined {
  const annotations = asMap(asMap(object?.doc.metadata)?.annotations);
  const value = asString(annotations?.[IGNORE_ANNOTATION]);
  if (!value) return undefined;
  const sep = value.indexOf('--');
  const ids = (sep >= 0 ? value.slice(0, sep) : value).split(',').map((s) => s.trim()).filter(Boolean);
  const reason = sep >= 0 ? value.slice(sep + 2).trim() : '';
  return { ids, reason };
}

/**
 * One object reached through several units (a shared base under three cluster overlays) yields one
 * finding per unit; the ones that say the same thing about the same source are one finding reaching the
 * union of their clusters.
 */
function mergeAcrossUnits(found: Pending[]): Pending[] {
  const byId = new Map<string, Pending>();
  for (const p of found) {
    const f = p.finding;
    const source = p.raw.at?.object.source ?? p.raw.at?.object;
    const id = [f.ruleId, f.resource, f.key, f.severity, f.message, f.file, source ? `${source.file}#${source.docIndex}` : '', f.suppressed].join('\u0000');
    const known = byId.get(id);
    if (!known) byId.set(id, p);
    else known.finding.clusters = [...new Set([...known.finding.clusters, ...f.clusters])].sort(cmp);
  }
  return [...byId.values()];
}

/** Runs one rule on one side, catching anything it throws. */
function runRule(rule: Rule, make: (report: (f: RawFinding) => void) => StateContext | ChangeContext, notes: string[]): RawFinding[] {
  const found: RawFinding[] = [];
  try {
    const ctx = make((f) => found.push(f));
    (rule.check as (c: StateContext | ChangeContext) => void)(ctx);
  } catch (e) {
    notes.push(`internal error: rule ${rule.meta.id} failed (${errorMessage(e)}); its findings are missing from this report`);
  }
  return found;
}

/** Finds the parsed file (and so the text) an object came from. */
function fileOf(object: KubeObject, trees: readonly Tree[]) {
  const source = object.source ?? object;
  for (const t of trees) {
    const f = t.files.get(source.file);
    if (f && f.objects.includes(source)) return f;
  }
  return undefined;
}

/** For a finding inside a generated ConfigMap's key: the input file the key was read from. */
function generatedInput(at: RawFinding['at']): string | undefined {
  const o = at && (at.object.source ?? at.object);
  const key = at?.path?.[0] === 'data' ? at.path[1] : undefined;
  return o?.generated && typeof key === 'string' ? o.generated.inputs[key] : undefined;
}

/** For a finding on an object rendered from Helm values: the values file it comes from (no line computed). */
function renderedFile(at: RawFinding['at']): string | undefined {
  const o = at && (at.object.source ?? at.object);
  return at && o?.rendered ? o.rendered.origin(at.path ?? [], at.innerLine).file : undefined;
}

/** For a finding on an object rendered from Helm values: the values file and line it comes from. */
function renderedAt(at: RawFinding['at']): { file: string; line: number } | undefined {
  const o = at && (at.object.source ?? at.object);
  return at && o?.rendered ? o.rendered.locate(at.path ?? [], at.innerLine) : undefined;
}

function lineFor(p: Pending, trees: readonly Tree[]): number | null {
  const at = p.raw.at;
  if (!at) return p.raw.line ?? (p.raw.file ? 1 : null);
  const rendered = renderedAt(at);
  if (rendered) return rendered.line;
  const source = at.object.source ?? at.object;
  if (source.generated) {
    // A generated ConfigMap: a key's content is its input file (line = offset + 1); anything else points
    // at the generator entry in the kustomization.
    if (generatedInput(at)) return (at.innerLine ?? 0) + 1;
    const k = p.tree.files.get(source.file) ?? trees.map((t) => t.files.get(source.file)).find(Boolean);
    return k ? lineOf(k.text, 0, source.generated.entry) : 1;
  }
  const file = fileOf(at.object, [p.tree, ...trees]);
  if (!file) return 1;
  const o = at.object.source ?? at.object;
  const identify = (doc: unknown) => {
    const d = asMap(doc);
    return asString(d?.kind) === o.kind && asString(asMap(d?.metadata)?.name) === o.name;
  };
  return lineOf(file.text, o.docIndex, [...o.docPath, ...(at.path ?? [])], at.innerLine, o.docPath.length ? undefined : identify, file.docs.length);
}

/** Runs the rules and builds the report. */
export function analyze(input: AnalyzeInput): AnalyzeResult {
  const started = input.startedAt ?? Date.now();
  const { changes, config } = input;
  // The rules see each side's objects resolved into deployable units; `stats.resources` counts the
  // objects as parsed.
  const { fleet, base, head, notes: unitNotes, sides } = input.resolved ?? buildFleet(config, input.base, input.head, changes);
  const notes: string[] = [...(input.notes ?? []), ...unitNotes];
  const labels = new Set(input.labels ?? []);
  const rules = orderRules(input.rules).filter((r) => config.rules[r.meta.id] !== 'off');

  const focus = input.incremental === false ? undefined : focusPlanner(base, head, sides);
  const focused = focus ? focusGroups(rules) : new Map();
  const pending: Pending[] = [];
  // Every finding made so far on each side (new or not), handed to rules that name them in meta.after.
  const made: Record<'base' | 'head', Pending[]> = { base: [], head: [] };
  const priorFor = (rule: Rule, side: 'base' | 'head') =>
    made[side]
      .filter((p) => (rule.meta.after ?? []).some((a) => a === p.rule.id || a === p.rule.family))
      .filter((p) => !p.finding.suppressed)
      .map((p) => p.finding);

  const finalize = (rule: RuleMeta, raw: RawFinding, side: 'base' | 'head', tree: Tree): Pending => {
    const setting = config.rules[rule.id];
    const severity = (typeof setting === 'object' && setting.severity) || raw.severity || rule.severity;
    const object = raw.at?.object;
    const subject = raw.about ?? object;
    const clusters = [...(raw.clusters ?? (subject ? fleet.clustersOfObject(subject, side) : raw.file ? fleet.clustersOfFile(raw.file, side) : []))].sort(cmp);
    const finding: Finding = {
      ruleId: rule.id,
      family: rule.family,
      severity,
      message: raw.message,
      remediation: raw.remediation ?? rule.remediation,
      file: renderedFile(raw.at) ?? generatedInput(raw.at) ?? object?.file ?? raw.file ?? null,
      line: null,
      resource: subject?.ref ?? null,
      clusters,
      suppressed: false,
      suppressedBy: null,
      key: raw.key,
      ...(raw.data ? { data: raw.data } : {}),
    };
    if (raw.lock) {
      // A lock is lifted only by its own verified label, never by anything the pull request writes.
      const label = overrideLabel(raw.lock.id);
      if (labels.has(label)) {
        finding.suppressed = true;
        finding.suppressedBy = `label ${label} (lock ${raw.lock.id}: ${raw.lock.reason})`;
      }
      return { rule, raw, side, tree, finding };
    }
    // The ignore annotation counts on the object the finding is about and on the one it points at.
    const ignore = ignoresOf(subject) ?? ignoresOf(object);
    if (ignore && ignore.ids.some((id) => id === rule.id || id === rule.family || id === '*')) {
      finding.suppressed = true;
      finding.suppressedBy = `annotation ${IGNORE_ANNOTATION}${ignore.reason ? `: ${ignore.reason}` : ' (no reason given)'}`;
    }
    return { rule, raw, side, tree, finding };
  };

  for (const rule of rules) {
    if (rule.meta.type === 'state') {
      const bySide: Record<'base' | 'head', Pending[]> = { base: [], head: [] };
      // Head first: base findings only ever matter for the resources the head findings name, so the base
      // run is told which (`only`), and a rule may skip everything else there.
      const f = focused.get(rule);
      const view = f && focus ? focus.view(f) : { base, head };
      for (const tree of [view.head, view.base]) {
        const side = tree.side;
        const only = side === 'base' ? new Set(bySide.head.map((p) => p.finding.resource ?? '')) : undefined;
        const raws = only?.size === 0 ? [] : runRule(rule, (report) => ({ side, tree, fleet, config, prior: priorFor(rule, side), report, ...(only ? { only } : {}) }), notes);
        bySide[side] = mergeAcrossUnits(raws.map((r) => finalize(rule.meta, r, side, tree)));
      }
      // A head finding is new unless base findings of the same rule, object and key, at no lower
      // severity, already reached every cluster it reaches (together: an object moved unchanged from
      // per-cluster files into a shared base reaches no new cluster).
      const index = new Map<string, Finding[]>();
      for (const b of bySide.base) {
        const id = `${b.finding.resource}\u0000${b.finding.key}`;
        (index.get(id) ?? index.set(id, []).get(id)!).push(b.finding);
      }
      const fresh = bySide.head.filter((h) => {
        const olds = index.get(`${h.finding.resource}\u0000${h.finding.key}`) ?? [];
        const covered = new Set(olds.filter((b) => levelRank(b.severity) >= levelRank(h.finding.severity)).flatMap((b) => b.clusters));
        return !h.finding.clusters.every((c) => covered.has(c));
      });
      made.base.push(...bySide.base);
      made.head.push(...bySide.head);
      pending.push(...fresh);
    } else {
      const history = input.history ?? NO_HISTORY;
      const proposedConfig = input.proposedConfig;
      const raws = runRule(rule, (report) => ({ base, head, changes, fleet, config, history, ...(proposedConfig ? { proposedConfig } : {}), prior: priorFor(rule, 'head'), report }), notes);
      const found = mergeAcrossUnits(raws.map((r) => finalize(rule.meta, r, 'head', head)));
      made.head.push(...found);
      pending.push(...found);
    }
  }

  const findings: Finding[] = [...(input.extraFindings ?? []).map((f) => ({ ...f }))];
  for (const p of pending) {
    p.finding.line = lineFor(p, [head, base]);
    findings.push(p.finding);
  }
  // acceptLabel: accepts every live finding but revert-lock ones (those need their lock's own override).
  if (config.acceptLabel && labels.has(config.acceptLabel)) {
    for (const f of findings) {
      if (!f.suppressed && f.family !== 'revert-lock') {
        f.suppressed = true;
        f.suppressedBy = `label ${config.acceptLabel}`;
      }
    }
  }
  sortFindings(findings);

  const errors = collectErrors(changes, head);
  const report: Report = {
    schemaVersion: 1,
    score: scoreOf(findings, fleet),
    level: levelOf(findings),
    findings,
    clusters: reportClusters(fleet, changes, base, head, findings),
    errors,
    notes: [...new Set(notes)].sort(cmp),
    stats: {
      changedFiles: changes.files.length,
      resources: input.head.parsedObjects ?? input.head.objects.length,
      unparsedFiles: [...head.files.values()].filter((f) => f.error && !changedPaths(changes).has(f.path)).length,
      durationMs: Date.now() - started,
    },
  };
  return { report, fleet };
}

function changedPaths(changes: ChangeSet): Set<string> {
  return new Set(changes.files.filter((f) => f.status !== 'deleted').map((f) => f.path));
}

/** Deterministic order: file, line, rule, resource, message (findings without a file last). */
export function sortFindings(findings: Finding[]): void {
  findings.sort(
    (a, b) =>
      (a.file === null ? 1 : 0) - (b.file === null ? 1 : 0) ||
      cmp(a.file ?? '', b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      cmp(a.ruleId, b.ruleId) ||
      cmp(a.resource ?? '', b.resource ?? '') ||
      cmp(a.key, b.key) ||
      cmp(a.message, b.message),
  );
}

/** Parse errors of the files the change adds or modifies. */
function collectErrors(changes: ChangeSet, head: Tree): ReportError[] {
  const errors: ReportError[] = [];
  for (const path of changedPaths(changes)) {
    const f = head.files.get(path);
    if (f?.error) errors.push({ file: path, line: f.error.line, message: f.error.message });
  }
  return errors.sort((a, b) => cmp(a.file, b.file) || a.line - b.line);
}

/** Every cluster, with `affected` when a changed Kubernetes file or a finding reaches it. */
function reportClusters(fleet: Fleet, changes: ChangeSet, base: Tree, head: Tree, findings: readonly Finding[]): ReportCluster[] {
  const affected = new Set<string>();
  for (const c of changes.files) {
    for (const [tree, path] of [[head, c.path], [base, c.oldPath ?? c.path]] as const) {
      const f = tree.files.get(path);
      // Only files that deploy something reach a cluster: a CI workflow or a docs config does not.
      if (fleet.isDeployed(path, tree.side) || (f?.error && tree === head)) for (const n of fleet.clustersOfFile(path, tree.side)) affected.add(n);
    }
  }
  for (const f of findings) for (const n of f.clusters) affected.add(n);
  const clusters = [...fleet.clusters];
  if (affected.has(UNMAPPED)) clusters.push(fleet.cluster(UNMAPPED)!);
  const bake = bakeByCluster(fleet, head);
  return clusters.map((c) => ({
    name: c.name,
    nodes: c.nodes,
    nodesAssumed: c.nodesAssumed,
    stage: c.stage,
    affected: affected.has(c.name),
    ...(bake.has(c.name) ? { bakeSeconds: bake.get(c.name)! } : {}),
  }));
}

/**
 * Each cluster's DNS bake time from the head: the CoreDNS Corefile its units deploy (`cache` TTL plus
 * `serve_stale`, the longest over its Corefiles). A failure that breaks name resolution stays hidden from
 * pods with cached answers that long, so a stage has not shown it works before then.
 */
function bakeByCluster(fleet: Fleet, head: Tree): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of ofKind(head.objects, 'ConfigMap')) {
    if (o.name !== 'coredns' || !isClusterDnsConfigMap(o)) continue;
    const text = asString(asMap(o.doc.data)?.Corefile);
    const ttl = text === undefined ? undefined : cacheTtlOf(text);
    if (ttl === undefined) continue;
    const seconds = ttl + serveStaleOf(text!);
    for (const c of fleet.clustersOfObject(o, 'head')) out.set(c, Math.max(out.get(c) ?? 0, seconds));
  }
  return out;
}

/** The fail-on level in force: `--fail-on`, else the config's `failOn`, else `high`. */
export function failOnLevel(flag: Level | undefined, config: Config): Level {
  return flag ?? config.failOn ?? 'high';
}

/**
 * The Action's fail-on level: the stricter (lower) of its input and the config's `failOn` (`none` is the
 * least strict: it never fails). Without either, `high`.
 */
export function stricterFailOn(input: Level | undefined, config: Config): Level {
  const levels = [input, config.failOn].filter((l): l is Level => l !== undefined);
  if (levels.length === 0) return 'high';
  const rank = (l: Level) => (l === 'none' ? Infinity : levelRank(l));
  return levels.reduce((a, b) => (rank(b) < rank(a) ? b : a));
}

export { exitCodeFor };
