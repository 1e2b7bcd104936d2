import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config.js';
import { analyze } from '../src/engine.js';
import { buildFleet } from '../src/fleet.js';
import { buildKustomization } from '../src/kustomize.js';
import type { Rule, StateRule } from '../src/rule.js';
import { treeFromFiles } from '../src/tree.js';
import type { ChangeSet } from '../src/types.js';
import { lineOf } from '../src/yaml/lines.js';
import { getIn } from '../src/yaml/walk.js';

const tree = (side: 'base'|'head', files: Record<string, string>, cache = new Map()) => treeFromFiles(side, Object.entries(files).map(([path, text]) => ({ path, text })), cache);
function cfg(text: string): Config { const r = parseConfig(text, ['test/flag-ds']); if (!r.ok) throw new Error(JSON.stringify(r.problems)); return r.config; }
const flagDs: StateRule = {
  meta: { id: 'test/flag-ds', family: 'watch-all', type: 'state', severity: 'high', description: 'd', docs: 'd.md', remediation: 'Fix it.' },
  check(ctx) { for (const o of ctx.tree.objects) if (o.kind === 'DaemonSet') ctx.report({ key: 'agent', message: `daemonset ${o.name}`, at: { object: o } }); },
};
function run(base: Record<string,string>, head: Record<string,string>, c: Config, rules: Rule[] = [flagDs]) {
  const cache = new Map();
  const b = tree('base', base, cache), h = tree('head', head, cache);
  const paths = new Set([...Object.keys(base), ...Object.keys(head)]);
  const changes: ChangeSet = { base: 'b', head: 'h', files: [...paths].filter((p) => base[p] !== head[p]).map((p) => ({ path: p, status: !(p in base) ? 'added' : !(p in head) ? 'deleted' : 'modified' })) };
  return analyze({ changes, base: b, head: h, config: c, rules }).report;
}
const DS = (name: string, ns = 'mon') => `apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: ${name}, namespace: ${ns} }\nspec:\n  template:\n    spec:\n      containers: [{ name: agent, image: a:1 }]\n`;
const TWO = `fleet:\n  clusters:\n    - { name: canary-1, nodes: 60, stage: canary, paths: ["clusters/canary-1/**"] }\n    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**"] }\nrollout: { stages: [canary, prod] }\n`;

describe('review', () => {
  it('A: moving an unchanged DaemonSet into a shared base is reported as new', () => {
    const base = {
      'clusters/canary-1/kustomization.yaml': 'resources: [ds.yaml]\n', 'clusters/canary-1/ds.yaml': DS('a'),
      'clusters/prod-us/kustomization.yaml': 'resources: [ds.yaml]\n', 'clusters/prod-us/ds.yaml': DS('a'),
    };
    const head = {
      'base/kustomization.yaml': 'resources: [ds.yaml]\n', 'base/ds.yaml': DS('a'),
      'clusters/canary-1/kustomization.yaml': 'resources: [../../base]\n',
      'clusters/prod-us/kustomization.yaml': 'resources: [../../base]\n',
    };
    const r = run(base, head, cfg(TWO));
    console.log('A', JSON.stringify(r.findings.map(f => [f.resource, f.clusters, f.file])));
  });

  it('B: base/** glob on every cluster + overlays including base: duplicate unit not dropped', () => {
    const C = `fleet:\n  clusters:\n    - { name: canary-1, nodes: 60, stage: canary, paths: ["clusters/canary-1/**", "base/**"] }\n    - { name: prod-us, nodes: 4800, stage: prod, paths: ["clusters/prod-us/**", "base/**"] }\nrollout: { stages: [canary, prod] }\n`;
    const head = {
      'base/kustomization.yaml': 'resources: [ds.yaml]\n', 'base/ds.yaml': DS('a'),
      'clusters/canary-1/kustomization.yaml': 'namespace: tel\nresources: [../../base]\n',
      'clusters/prod-us/kustomization.yaml': 'namespace: tel\nresources: [../../base]\n',
    };
    const r = run({}, head, cfg(C));
    console.log('B', JSON.stringify(r.findings.map(f => [f.resource, f.clusters])), r.score);
  });

  it('C: component patches are not applied to the including kustomization', () => {
    const t = tree('head', {
      'app/kustomization.yaml': 'resources: [ds.yaml]\ncomponents: [../comp]\n', 'app/ds.yaml': DS('a'),
      'comp/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: p.yaml\n',
      'comp/p.yaml': 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: a }\nspec:\n  updateStrategy: { rollingUpdate: { maxUnavailable: "100%" } }\n',
    });
    const { objects } = buildKustomization(t, 'app', 'app');
    console.log('C', JSON.stringify(objects.map(o => [o.ref, getIn(o.doc, ['spec','updateStrategy'])])));
  });

  it('D: folded block scalar inner line', () => {
    const text = 'data:\n  cfg: >\n    a\n    b\n\n    c\n';
    // value is "a b\nc\n": line index 1 of the value ("c") is on file line 6
    console.log('D', lineOf(text, 0, ['data', 'cfg'], 1));
  });

  it('E: duplicate keys: line of the overridden first key', () => {
    const text = 'spec:\n  replicas: 1\n  replicas: 3\n';
    console.log('E', lineOf(text, 0, ['spec', 'replicas']));
  });
});
