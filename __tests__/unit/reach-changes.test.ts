/** src/reach.ts (a finding's clusters and nodes) and src/changes.ts (object pairs, structural equality). */
import { describe, expect, it } from 'vitest';
import { changedPairs, sameValue } from '../../src/changes.js';
import { durationText, findingReach, reachOf, reachText } from '../../src/reach.js';
import { treeFromFiles } from '../../src/tree.js';
import type { Cluster, ReportCluster } from '../../src/types.js';
import { parseYamlFile } from '../../src/yaml/parse.js';

const parseYaml = (text: string): unknown => parseYamlFile('x.yaml', 'blob-' + text.length + text, text).docs[0];
const files = (m: Record<string, string>) => Object.entries(m).map(([path, text]) => ({ path, blob: `${path}:${text}`, text }));

const cluster = (name: string, nodes: number, extra: Partial<Cluster> = {}): Cluster => ({ name, nodes, nodesAssumed: false, stage: 'prod', stageIndex: 0, paths: [], ...extra });
const fleet = { clusters: [cluster('canary-1', 60), cluster('prod-eu', 3200), cluster('prod-us', 4800)] };

describe('reachOf / reachText', () => {
  it('sums the nodes in fleet order and tells a whole fleet', () => {
    const r = reachOf(fleet, ['prod-us', 'canary-1', 'prod-eu', 'nowhere']);
    expect(r.nodes).toBe(8060);
    expect(r.wholeFleet).toBe(true);
    expect(reachText(r)).toBe('3 clusters, 8,060 nodes: canary-1 (60), prod-eu (3,200), prod-us (4,800)');
  });
  it('one cluster, and assumed counts', () => {
    const unmapped = cluster('unmapped', 5000, { nodesAssumed: true, implicit: true });
    // The fleet lists its known clusters only; the implicit one is resolved by name.
    const r = reachOf({ clusters: fleet.clusters, cluster: (n) => (n === 'unmapped' ? unmapped : undefined) }, ['unmapped']);
    expect(r.wholeFleet).toBe(false);
    expect(reachText(r)).toBe('cluster "unmapped" (5,000 nodes (assumed))');
    expect(reachText(reachOf(fleet, []))).toBe('no known cluster');
  });
  it('a fleet of one cluster is never "the whole fleet"', () => {
    expect(reachOf({ clusters: [cluster('only', 10)] }, ['only']).wholeFleet).toBe(false);
  });
});

describe('findingReach', () => {
  const table: ReportCluster[] = fleet.clusters.map((c) => ({ name: c.name, nodes: c.nodes, nodesAssumed: c.nodesAssumed, stage: c.stage, affected: true }));
  it('names each cluster with its nodes, and the total', () => {
    expect(findingReach(['canary-1', 'prod-us'], table)).toBe('2 clusters, 4,860 nodes: canary-1 (60), prod-us (4,800)');
    expect(findingReach([], table)).toBe('none');
  });
  it('adds the DNS bake time of the slowest reached cluster', () => {
    const staged = table.map((c) => (c.name === 'canary-1' ? { ...c, stage: 'canary' } : c));
    const baked = staged.map((c) => (c.name === 'prod-us' ? { ...c, bakeSeconds: 3630 } : c.name === 'canary-1' ? { ...c, bakeSeconds: 30 } : c));
    expect(findingReach(['canary-1'], baked)).toBe('1 cluster, 60 nodes: canary-1 (60); bake at least 30 s before the next stage: CoreDNS may answer from its cache that long, hiding a DNS failure');
    // Clusters of the last stage have no next stage to wait for.
    expect(findingReach(['canary-1', 'prod-us'], baked)).toContain('; bake at least 30 s before the next stage');
    expect(findingReach(['prod-us'], baked)).not.toContain('bake');
    expect(findingReach(['prod-eu'], baked)).not.toContain('bake');
    // The report's table is in stage order: canary-1, prod-us (now staging), prod-eu.
    const earlyProd = [baked[0], { ...baked[2], stage: 'staging' }, baked[1]];
    expect(findingReach(['canary-1', 'prod-us'], earlyProd)).toContain('; bake at least 1 h 1 min before the next stage');
    expect([durationText(90), durationText(1800), durationText(3600), durationText(5400)]).toEqual(['90 s', '30 min', '1 h', '1 h 30 min']);
  });
  it('past the limit, names the largest and counts the rest', () => {
    const many: ReportCluster[] = Array.from({ length: 12 }, (_, i) => ({ name: `c${String(i).padStart(2, '0')}`, nodes: (i + 1) * 10, nodesAssumed: false, stage: 'prod', affected: true }));
    const text = findingReach(many.map((c) => c.name), many, 3);
    expect(text).toBe('12 clusters, 780 nodes: c11 (120), c10 (110), c09 (100), and 9 smaller');
  });
});

describe('sameValue', () => {
  it('ignores key order and comments, sees value changes', () => {
    const a = parseYaml('a: 1\nb: [x, {c: 2}]\n');
    const b = parseYaml('# comment\nb: [x, {c: 2}]\na: 1\n');
    expect(sameValue(a, b)).toBe(true);
    expect(sameValue(a, parseYaml('a: 1\nb: [x, {c: 3}]\n'))).toBe(false);
    expect(sameValue([1, 2], [2, 1])).toBe(false);
    expect(sameValue(null, {})).toBe(false);
  });
  it('is alias-safe: a billion-laughs document compares without blowing up', () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n`;
    const x = parseYaml(bomb);
    const y = parseYaml(bomb);
    expect(sameValue(x, y)).toBe(true);
  });
});

describe('changedPairs', () => {
  const cm = (name: string, v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ns}\ndata: {k: "${v}"}\n`;
  it('pairs by unit and ref: changed, added, deleted; a move between files is one pair', () => {
    const base = treeFromFiles('base', files({ 'a.yaml': cm('one', '1') + '---\n' + cm('gone', '1'), 'b.yaml': cm('moved', '1') }));
    const head = treeFromFiles('head', files({ 'a.yaml': cm('one', '2') + '---\n' + cm('new', '1'), 'c.yaml': cm('moved', '1') }));
    const pairs = changedPairs(base, head);
    const summary = pairs.map((p) => `${p.ref}:${p.base ? 'b' : ''}${p.head ? 'h' : ''}`).sort();
    expect(summary).toEqual(['ConfigMap/ns/gone:b', 'ConfigMap/ns/moved:bh', 'ConfigMap/ns/new:h', 'ConfigMap/ns/one:bh']);
    expect(changedPairs(base, head)).toBe(pairs); // cached per pair of trees
    expect(changedPairs(base, head, new Set(['Secret']))).toEqual([]);
    expect(changedPairs(base, head, new Set(['ConfigMap']))).toHaveLength(4);
  });
  it('changedPairs skips the objects both trees share (a file the change left alone)', () => {
    const cache = new Map();
    const shared = files({ 'same.yaml': cm('same', '1') });
    const base = treeFromFiles('base', [...shared, ...files({ 'a.yaml': cm('one', '1') })], cache);
    const head = treeFromFiles('head', [...shared, ...files({ 'a.yaml': cm('one', '2') })], cache);
    expect(changedPairs(base, head).map((p) => `${p.ref}:${p.base ? 'b' : ''}${p.head ? 'h' : ''}`)).toEqual(['ConfigMap/ns/one:bh']);
  });
});
