/**
 * Noise floor (issue 12, "Real-world goldens"): the whole corpus is the base of one in-memory repository,
 * and ONE pull request adds an annotation to every top-level Deployment / DaemonSet / StatefulSet of it.
 * An annotation-only change must give no live finding at high or critical, and the check must exit 0 at
 * the default fail-on. The count of live findings at each level is printed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { analyze, failOnLevel } from '../../src/engine.js';
import { exitCodeFor } from '../../src/score.js';
import { treeFromFiles } from '../../src/tree.js';
import type { ParsedFile } from '../../src/types.js';
import { RULES } from '../../rules/index.js';
import { CORPUS_DIR, HAS_CORPUS } from '../helpers/corpus.js';
import { changeSetOf } from '../helpers/rule-tester.js';
import { annotateWorkloads, verifyAnnotated } from './workload-annotate.js';

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

describe.skipIf(!HAS_CORPUS)('corpus noise floor: annotate every Deployment / DaemonSet / StatefulSet', () => {
  it('gives no live high or critical finding and exits 0 at the default fail-on', { timeout: 600_000 }, () => {
    const base: Record<string, string> = {};
    for (const abs of walk(CORPUS_DIR).sort()) base[relative(CORPUS_DIR, abs)] = readFileSync(abs, 'utf8');
    const head: Record<string, string> = { ...base };
    let annotated = 0;
    const missed: string[] = [];
    const badEdits: string[] = [];
    let verified = 0;
    for (const [path, text] of Object.entries(base)) {
      if (!/\.ya?ml$/.test(path)) continue;
      const r = annotateWorkloads(text);
      for (const m of r.missed) missed.push(`${path}: ${m}`);
      if (r.count === 0) continue;
      annotated += r.count;
      head[path] = r.text;
      const v = verifyAnnotated(text, r.text);
      if (v !== null) verified++;
      if (v !== null) for (const p of v) badEdits.push(`${path}: ${p}`);
    }
    // The edit must be annotation-only and must reach every top-level workload object.
    expect(missed, 'workload objects the annotator could not reach').toEqual([]);
    expect(badEdits, 'edits that are not annotation-only').toEqual([]);
    expect(annotated).toBeGreaterThan(500);

    const cache = new Map<string, ParsedFile>();
    const toInputs = (files: Record<string, string>) => Object.entries(files).map(([path, text]) => ({ path, text }));
    const config = defaultConfig();
    const { report } = analyze({
      changes: changeSetOf(base, head),
      base: treeFromFiles('base', toInputs(base), cache),
      head: treeFromFiles('head', toInputs(head), cache),
      config,
      rules: RULES,
    });
    const live = report.findings.filter((f) => !f.suppressed);
    const counts = { critical: 0, high: 0, medium: 0, low: 0 };
    for (const f of live) counts[f.severity]++;
    const byRule = new Map<string, number>();
    for (const f of live) byRule.set(`${f.severity} ${f.ruleId}`, (byRule.get(`${f.severity} ${f.ruleId}`) ?? 0) + 1);
    console.log(
      `noise floor: ${Object.keys(base).length} files, ${changeSetOf(base, head).files.length} changed, ${annotated} objects annotated (edit verified annotation-only in ${verified} files); ` +
        `live findings: critical ${counts.critical}, high ${counts.high}, medium ${counts.medium}, low ${counts.low}; ` +
        `suppressed ${report.findings.length - live.length}; level ${report.level}; ` +
        `by rule: ${[...byRule].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'}`,
    );
    const serious = live.filter((f) => f.severity === 'high' || f.severity === 'critical');
    for (const f of serious) console.log(`  ${f.severity} ${f.ruleId} ${f.key} ${f.file}:${f.line} ${f.message}`);
    expect(serious.map((f) => `${f.severity} ${f.ruleId} ${f.file}:${f.line}`)).toEqual([]);
    expect(exitCodeFor(report.level, failOnLevel(undefined, config))).toBe(0);

    // Control: the same pipeline does see a real change (a renamed copy of a corpus DaemonSet is new).
    const dsPath = Object.keys(base).find((p) => /^kind: DaemonSet$/m.test(base[p]) && /^  name: /m.test(base[p]))!;
    const copy = base[dsPath].replace(/^  name: (.*)$/m, '  name: $1-noise-control');
    const control = { ...base, [`noise-control/${dsPath}`]: copy };
    const { report: controlReport } = analyze({
      changes: changeSetOf(base, control),
      base: treeFromFiles('base', toInputs(base), cache),
      head: treeFromFiles('head', toInputs(control), cache),
      config,
      rules: RULES,
    });
    expect(controlReport.findings.some((f) => f.ruleId === 'blast-radius/new-daemonset' && !f.suppressed)).toBe(true);
  });
});
