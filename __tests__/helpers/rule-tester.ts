/**
 * Table tests for rules (STYLE practice 8, after ESLint's RuleTester): each case is a small repository
 * (head files, optionally base files and a config); the tester runs the whole engine on it with only the
 * rule under test and compares that rule's findings exactly — live findings always, suppressed ones too —
 * by (severity, key, line), order-insensitive. Extra and missing findings both fail.
 *
 *   ruleTester(myRule).run({
 *     valid: [{ name: 'fail-open webhook', files: { 'a.yaml': '…' } }],
 *     invalid: [{ name: 'fail-closed webhook', files: { 'a.yaml': '…' },
 *                 findings: [{ severity: 'high', key: 'x:fail-closed', line: 7 }] }],
 *   });
 *
 * Every finding the rule makes (live or suppressed, in any case) must also follow STYLE practice 5: a
 * message that starts lower-case, ends without a period and has no unfilled `{{placeholder}}`, and a
 * remediation that is one sentence starting upper-case and ending with a period. A rule that throws
 * fails its case (the engine turns a throw into an "internal error" note).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig, type Config } from '../../src/config.js';
import { analyze } from '../../src/engine.js';
import type { History } from '../../src/history.js';
import type { Rule } from '../../src/rule.js';
import { treeFromFiles } from '../../src/tree.js';
import type { ChangedFile, ChangeSet, Finding, ParsedFile, Severity, Tree } from '../../src/types.js';

/** One repository to run the rule on. */
export interface Case {
  /** Unique among the valid and invalid cases of one `run`. */
  name: string;
  /** Head files: path → content. */
  files: Record<string, string>;
  /** Base files (default: none, so every head file is added and every head finding is new). */
  base?: Record<string, string>;
  /** `.blast-radius.yml` content (YAML text) or the same as an object; default: `defaultConfig()`. */
  config?: string | Record<string, unknown>;
  /** Suppressed findings of the rule this case must produce (default: none). */
  suppressed?: ExpectedFinding[];
  /** Git history the engine is given (revert-lock rules; default: none). */
  history?: History;
  /** Verified pull-request labels (default: none). */
  labels?: string[];
}

/** A finding a case expects: matched on severity, key and line; `messageIncludes` are substrings of the message. */
export interface ExpectedFinding {
  severity: Severity;
  key: string;
  line: number;
  messageIncludes?: string[];
}

export interface InvalidCase extends Case {
  /** Live findings of the rule, in any order; must not be empty. */
  findings: ExpectedFinding[];
}

export interface RuleTests {
  valid: Case[];
  invalid: InvalidCase[];
}

/** What one case produced: the rule's live and suppressed findings, and any internal-error notes. */
export interface CaseResult {
  live: Finding[];
  suppressed: Finding[];
  notes: string[];
}

function resolveConfig(rule: Rule, config: Case['config']): Config {
  if (config === undefined) return defaultConfig();
  const text = typeof config === 'string' ? config : JSON.stringify(config);
  const parsed = parseConfig(text, [rule.meta.id]);
  if (!parsed.ok) {
    throw new Error(`rule-tester: invalid config: ${parsed.problems.map((p) => `${p.key}: ${p.message}`).join('; ')}`);
  }
  return parsed.config;
}

/** The change between two file maps: added, modified and deleted paths (sorted). */
export function changeSetOf(base: Record<string, string>, head: Record<string, string>): ChangeSet {
  const files: ChangedFile[] = [];
  for (const path of [...new Set([...Object.keys(base), ...Object.keys(head)])].sort()) {
    if (!(path in base)) files.push({ path, status: 'added' });
    else if (!(path in head)) files.push({ path, status: 'deleted' });
    else if (base[path] !== head[path]) files.push({ path, status: 'modified' });
  }
  return { base: 'base', head: 'head', files };
}

/** Both trees of a change between two file maps (unchanged files parsed once), and its change set. */
export function changeOf(base: Record<string, string>, head: Record<string, string>): { base: Tree; head: Tree; changes: ChangeSet } {
  const cache = new Map<string, ParsedFile>();
  const toInputs = (files: Record<string, string>) => Object.entries(files).map(([path, text]) => ({ path, text }));
  return { base: treeFromFiles('base', toInputs(base), cache), head: treeFromFiles('head', toInputs(head), cache), changes: changeSetOf(base, head) };
}

/** Runs the engine with only `rule` on one case and returns that rule's findings. */
export function runCase(rule: Rule, c: Case): CaseResult {
  const baseFiles = c.base ?? {};
  const cache = new Map<string, ParsedFile>();
  const toInputs = (files: Record<string, string>) => Object.entries(files).map(([path, text]) => ({ path, text }));
  const base = treeFromFiles('base', toInputs(baseFiles), cache);
  const head = treeFromFiles('head', toInputs(c.files), cache);
  const { report } = analyze({
    changes: changeSetOf(baseFiles, c.files),
    base,
    head,
    config: resolveConfig(rule, c.config),
    rules: [rule],
    ...(c.history ? { history: c.history } : {}),
    ...(c.labels ? { labels: c.labels } : {}),
  });
  const mine = report.findings.filter((f) => f.ruleId === rule.meta.id);
  return {
    live: mine.filter((f) => !f.suppressed),
    suppressed: mine.filter((f) => f.suppressed),
    notes: report.notes.filter((n) => n.startsWith('internal error')),
  };
}

const show = (f: { severity: string; key: string; line: number | null }) => `${f.severity} ${JSON.stringify(f.key)} line ${f.line}`;

/**
 * Differences between expected and actual findings, as readable lines (empty when they agree):
 * missing findings, extra findings, and messages lacking an expected substring.
 */
export function diffFindings(expected: readonly ExpectedFinding[], actual: readonly Finding[]): string[] {
  const problems: string[] = [];
  const left = [...actual];
  for (const e of expected) {
    const i = left.findIndex((a) => a.severity === e.severity && a.key === e.key && a.line === e.line);
    if (i < 0) {
      problems.push(`missing: ${show(e)}`);
      continue;
    }
    const [a] = left.splice(i, 1);
    for (const s of e.messageIncludes ?? []) {
      if (!a.message.includes(s)) problems.push(`message of ${show(e)} lacks ${JSON.stringify(s)}: ${a.message}`);
    }
  }
  for (const a of left) problems.push(`extra: ${show(a)}: ${a.message}`);
  return problems;
}

/** STYLE practice 5 problems of one finding (empty when it is well-formed). */
export function styleProblems(f: Finding): string[] {
  const problems: string[] = [];
  const m = f.message;
  if (m.length === 0) problems.push('empty message');
  if (/^[A-Z]/.test(m)) problems.push(`message starts upper-case: ${m}`);
  if (/[.!]\s*$/.test(m)) problems.push(`message ends with a period: ${m}`);
  if (/\{\{[^}]*\}\}/.test(m)) problems.push(`message has an unfilled placeholder: ${m}`);
  const r = f.remediation;
  if (!/^[A-Z]/.test(r)) problems.push(`remediation does not start upper-case: ${r}`);
  if (!/\.$/.test(r)) problems.push(`remediation does not end with a period: ${r}`);
  // One sentence: no sentence break inside (". " followed by an upper-case letter).
  if (/\.\s+[A-Z]/.test(r.slice(0, -1))) problems.push(`remediation is more than one sentence: ${r}`);
  if (f.file !== null && (f.line === null || f.line < 1)) problems.push(`finding in ${f.file} has no line`);
  return problems;
}

function checkCase(rule: Rule, c: Case, live: readonly ExpectedFinding[]): void {
  const result = runCase(rule, c);
  expect(result.notes, 'the rule threw').toEqual([]);
  expect(diffFindings(live, result.live), 'live findings').toEqual([]);
  expect(diffFindings(c.suppressed ?? [], result.suppressed), 'suppressed findings').toEqual([]);
  expect([...result.live, ...result.suppressed].flatMap(styleProblems), 'message / remediation style').toEqual([]);
}

/** Rejects malformed test tables before any test runs (so a bad table fails collection, loudly). */
export function validateTests(tests: RuleTests): void {
  if (!Array.isArray(tests.valid) || tests.valid.length === 0) throw new Error('rule-tester: `valid` must hold at least one case');
  if (!Array.isArray(tests.invalid) || tests.invalid.length === 0) throw new Error('rule-tester: `invalid` must hold at least one case');
  const names = new Set<string>();
  for (const c of [...tests.valid, ...tests.invalid]) {
    if (!c.name) throw new Error('rule-tester: every case needs a name');
    if (names.has(c.name)) throw new Error(`rule-tester: duplicate case name ${JSON.stringify(c.name)}`);
    names.add(c.name);
    if (Object.keys(c.files).length === 0) throw new Error(`rule-tester: case ${JSON.stringify(c.name)} has no files`);
  }
  for (const c of tests.invalid) {
    if (!Array.isArray(c.findings) || c.findings.length === 0) {
      throw new Error(`rule-tester: invalid case ${JSON.stringify(c.name)} expects no finding: make it a valid case`);
    }
    for (const f of c.findings) {
      if (!Number.isInteger(f.line) || f.line < 1) throw new Error(`rule-tester: case ${JSON.stringify(c.name)}: every finding needs a line`);
    }
  }
}

/** A table tester for one rule. */
export function ruleTester(rule: Rule) {
  return {
    /** Registers one Vitest test per case under `describe(<rule id>)`. Throws on a malformed table. */
    run(tests: RuleTests): void {
      validateTests(tests);
      describe(rule.meta.id, () => {
        describe('valid', () => {
          for (const c of tests.valid) it(c.name, () => checkCase(rule, c, []));
        });
        describe('invalid', () => {
          for (const c of tests.invalid) it(c.name, () => checkCase(rule, c, c.findings));
        });
      });
    },
  };
}

/** 1-based line of the `nth` line of `text` containing `needle`; throws when absent (a broken test). */
export function lineContaining(text: string, needle: string, nth = 1): number {
  let seen = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].includes(needle) && ++seen === nth) return i + 1;
  }
  throw new Error(`test fixture: ${JSON.stringify(needle)} (#${nth}) not found`);
}

/** An expected finding at the `nth` line of `text` that contains `needle`. */
export function findingAt(severity: Severity, key: string, text: string, needle: string, messageIncludes?: string[], nth = 1): ExpectedFinding {
  return { severity, key, line: lineContaining(text, needle, nth), ...(messageIncludes ? { messageIncludes } : {}) };
}

/** The first ```yaml block after the heading `## <heading>` of a rule's doc (`docs/rules/<ruleId>.md`). */
export function docExample(ruleId: string, heading: string): string {
  const text = readFileSync(new URL(`../../docs/rules/${ruleId}.md`, import.meta.url), 'utf8');
  const from = text.indexOf(`## ${heading}\n`);
  if (from < 0) throw new Error(`docs/rules/${ruleId}.md has no heading "## ${heading}"`);
  const start = text.indexOf('```yaml\n', from) + '```yaml\n'.length;
  return text.slice(start, text.indexOf('```', start));
}

/**
 * Runs the engine with several rules on a small repository (base and head files, a config text) and
 * returns every finding of the report, after checking that no rule threw. For rules that build on another
 * one's findings (`meta.after`).
 */
export function runRules(config: string, base: Record<string, string>, head: Record<string, string>, rules: Rule[]): Finding[] {
  const parsed = parseConfig(config, rules.map((r) => r.meta.id));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const cache = new Map<string, ParsedFile>();
  const toInputs = (files: Record<string, string>) => Object.entries(files).map(([path, text]) => ({ path, text }));
  const { report } = analyze({ changes: changeSetOf(base, head), base: treeFromFiles('base', toInputs(base), cache), head: treeFromFiles('head', toInputs(head), cache), config: parsed.config, rules });
  expect(report.notes.filter((n) => n.startsWith('internal error'))).toEqual([]);
  return report.findings;
}
