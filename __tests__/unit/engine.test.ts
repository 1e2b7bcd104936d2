/** The engine's contracts with fake rules: new-finding semantics, meta.after, settings, suppression. */
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import { analyze, ignoresOf, orderRules } from '../../src/engine.js';
import type { ChangeRule, Rule, StateRule } from '../../src/rule.js';
import { treeFromFiles } from '../../src/tree.js';
import type { ChangeSet, Severity } from '../../src/types.js';

const CONFIG = `fleet:
  clusters:
    - { name: canary-1, nodes: 60, stage: canary, paths: ["clusters/canary-1/**"] }
    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }
rollout: { stages: [canary, prod] }
`;

function config(extra = ''): Config {
  const r = parseConfig(CONFIG + extra, ['test/flag-ds', 'test/after', 'test/change']);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
}

const ds = (name: string, severity = 'high', annotations = '') => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
  namespace: mon
  annotations: { severity: ${severity}${annotations} }
spec:
  template:
    spec:
      containers:
        - name: agent
          image: agent:1
`;

/** Flags every DaemonSet with the severity its annotation names. */
const flagDs: StateRule = {
  meta: { id: 'test/flag-ds', family: 'watch-all', type: 'state', severity: 'high', description: 'd', docs: 'd.md', remediation: 'Fix it.' },
  check(ctx) {
    for (const o of ctx.tree.objects) {
      if (o.kind !== 'DaemonSet') continue;
      const sev = (o.doc as any).metadata.annotations.severity as Severity;
      ctx.report({ key: 'agent', message: `daemonset ${o.name}`, severity: sev, at: { object: o, path: ['spec', 'template', 'spec', 'containers', 0, 'image'] } });
    }
  },
};

function run(base: Record<string, string>, head: Record<string, string>, rules: Rule[] = [flagDs], cfg = config(), labels: string[] = []) {
  const cache = new Map();
  const b = treeFromFiles('base', Object.entries(base).map(([path, text]) => ({ path, text })), cache);
  const h = treeFromFiles('head', Object.entries(head).map(([path, text]) => ({ path, text })), cache);
  const paths = new Set([...Object.keys(base), ...Object.keys(head)]);
  const changes: ChangeSet = {
    base: 'b',
    head: 'h',
    files: [...paths].filter((p) => base[p] !== head[p]).map((p) => ({ path: p, status: !(p in base) ? 'added' : !(p in head) ? 'deleted' : 'modified' })),
  };
  return analyze({ changes, base: b, head: h, config: cfg, rules, labels }).report;
}

describe('state rules: a head finding is new unless the base already had it as wide and as severe', () => {
  it('reports a new DaemonSet with its line and clusters', () => {
    const r = run({}, { 'clusters/prod-us/ds.yaml': ds('a') });
    expect(r.findings).toMatchObject([{ ruleId: 'test/flag-ds', severity: 'high', file: 'clusters/prod-us/ds.yaml', line: 12, resource: 'DaemonSet/mon/a', clusters: ['prod-us'] }]);
  });

  it('stays quiet for an old problem the PR does not make worse', () => {
    const files = { 'clusters/prod-us/ds.yaml': ds('a') };
    expect(run(files, { ...files, 'clusters/prod-us/other.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n' }).findings).toEqual([]);
  });

  it('reports an existing problem that now reaches clusters it did not (promotion from canary to prod)', () => {
    const base = { 'clusters/canary-1/ds.yaml': ds('a') };
    const r = run(base, { ...base, 'clusters/prod-us/ds.yaml': ds('a') });
    expect(r.findings.map((f) => f.clusters)).toEqual([['prod-us']]);
  });

  it('stays quiet when an unchanged object moves from per-cluster files into a shared base', () => {
    const base = { 'clusters/canary-1/ds.yaml': ds('a'), 'clusters/prod-us/ds.yaml': ds('a') };
    const head = {
      'base/ds.yaml': ds('a'),
      'base/kustomization.yaml': 'resources: [ds.yaml]\n',
      'clusters/canary-1/kustomization.yaml': 'resources: [../../base]\n',
      'clusters/prod-us/kustomization.yaml': 'resources: [../../base]\n',
    };
    expect(run(base, head).findings).toEqual([]);
  });

  it('reports an existing object that the PR makes more severe', () => {
    const r = run({ 'clusters/prod-us/ds.yaml': ds('a', 'medium') }, { 'clusters/prod-us/ds.yaml': ds('a', 'critical') });
    expect(r.findings.map((f) => f.severity)).toEqual(['critical']);
    expect(r.level).toBe('critical');
  });
});

describe('rules settings, suppression and ordering', () => {
  it('turns a rule off or overrides its severity from the config', () => {
    const head = { 'clusters/prod-us/ds.yaml': ds('a') };
    expect(run({}, head, [flagDs], config('rules:\n  test/flag-ds: off\n')).findings).toEqual([]);
    expect(run({}, head, [flagDs], config('rules:\n  test/flag-ds: { severity: low }\n')).findings[0].severity).toBe('low');
  });

  it('suppresses with the ignore annotation (rule id or family) and records the reason', () => {
    const r = run({}, { 'clusters/prod-us/ds.yaml': ds('a', 'high', ', blast-radius.dev/ignore: "test/flag-ds -- known, tracked in OPS-1"') });
    expect(r.findings[0]).toMatchObject({ suppressed: true, suppressedBy: 'annotation blast-radius.dev/ignore: known, tracked in OPS-1' });
    expect(r.level).toBe('none');
    expect(r.score).toBe(0);
    const fam = run({}, { 'clusters/prod-us/ds.yaml': ds('a', 'high', ', blast-radius.dev/ignore: "watch-all"') });
    expect(fam.findings[0].suppressedBy).toBe('annotation blast-radius.dev/ignore (no reason given)');
  });

  it('parses the ignore annotation', () => {
    const o = { doc: { metadata: { annotations: { 'blast-radius.dev/ignore': 'a/b, c/d -- because -- really' } } } } as any;
    expect(ignoresOf(o)).toEqual({ ids: ['a/b', 'c/d'], reason: 'because -- really' });
  });

  it('accepts every live finding but revert-lock ones with the accept label', () => {
    const lockRule: ChangeRule = {
      meta: { id: 'test/change', family: 'revert-lock', type: 'change', severity: 'high', description: 'd', docs: 'd.md', remediation: 'Fix.' },
      check(ctx) {
        ctx.report({ key: 'x', message: 'locked', file: ctx.changes.files[0]?.path, line: 1 });
      },
    };
    const r = run({}, { 'clusters/prod-us/ds.yaml': ds('a') }, [flagDs, lockRule], config('acceptLabel: ok-to-merge\n'), ['ok-to-merge']);
    expect(r.findings.map((f) => [f.ruleId, f.suppressed])).toEqual([
      ['test/change', false],
      ['test/flag-ds', true],
    ]);
    expect(r.level).toBe('high');
  });

  it('runs meta.after rules first and hands over their live head findings', () => {
    const seen: string[] = [];
    const after: StateRule = {
      meta: { id: 'test/after', family: 'blast-radius', type: 'state', severity: 'medium', description: 'd', docs: 'd.md', remediation: 'Fix.', after: ['watch-all'] },
      check(ctx) {
        if (ctx.side === 'head') seen.push(...ctx.prior.map((f) => `${f.ruleId}:${f.resource}`));
      },
    };
    expect(orderRules([after, flagDs]).map((r) => r.meta.id)).toEqual(['test/flag-ds', 'test/after']);
    run({}, { 'clusters/prod-us/ds.yaml': ds('a') }, [after, flagDs]);
    expect(seen).toEqual(['test/flag-ds:DaemonSet/mon/a']);
  });

  it('turns a throwing rule into a note and keeps the other rules', () => {
    const broken: StateRule = { meta: { ...flagDs.meta, id: 'test/after' }, check: () => { throw new Error('boom'); } };
    const r = run({}, { 'clusters/prod-us/ds.yaml': ds('a') }, [flagDs, broken]);
    expect(r.findings).toHaveLength(1);
    expect(r.notes.join()).toMatch(/rule test\/after failed \(boom\)/);
  });
});
