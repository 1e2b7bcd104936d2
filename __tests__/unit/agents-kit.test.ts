/** The watch-all config kit with a toy detector: configs found, lines inside them, findings about the workload. */
import { describe, expect, it } from 'vitest';
import { agentConfigsOf } from '../../src/agents/config.js';
import { configScope, reportDetections, type Detector } from '../../src/agents/kit.js';
import { defaultConfig, parseConfig } from '../../src/config.js';
import { analyze } from '../../src/engine.js';
import { buildFleet } from '../../src/fleet.js';
import type { StateRule } from '../../src/rule.js';
import { treeFromFiles } from '../../src/tree.js';
import { asList, asString, getIn } from '../../src/yaml/walk.js';

const AGENT = `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent, namespace: mon }
spec:
  template:
    spec:
      containers:
        - name: agent
          image: example.com/agent:1
          args: ["--log=info", "--watch=pods"]
          env: [{ name: MODE, value: cluster }]
      volumes: [{ name: cfg, configMap: { name: agent-config } }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: agent-config, namespace: mon }
data:
  agent.yaml: |
    log: info
    watch:
      - pods
      - nodes
    scope: cluster
  agent.conf: |
    [INPUT]
        Name tail
`;

/** Reads what `watch:` lists, cluster-wide unless `scope: node`. */
const toy: Detector = (config) => {
  if (config.format !== 'yaml') return [];
  const kinds = asList(getIn(config.doc, ['watch'])).map(asString).filter((k): k is string => !!k);
  if (!kinds.length) return [];
  const scope = getIn(config.doc, ['scope']) === 'node' ? 'node' : 'cluster';
  return [{ key: 'watch', what: `watches ${kinds.join(', ')}`, reads: kinds.map((resource) => ({ resource, scope })), remediation: 'Scope it.', at: config.locate({ path: ['watch', 1] }), ...(scope === 'node' ? { quiet: true } : {}) }];
};
const toyRule: StateRule = {
  meta: { id: 'watch-all/toy', family: 'watch-all', type: 'state', severity: 'high', description: 'Flag toys.', docs: 'docs/rules/watch-all/toy.md', remediation: 'Scope it.' },
  check: (ctx) => reportDetections(ctx, toy),
};

function run(files: Record<string, string>, configText = '', baseFiles: Record<string, string> = {}) {
  const cfg = parseConfig(configText, ['watch-all/toy']);
  if (!cfg.ok) throw new Error('config');
  const cache = new Map();
  const head = treeFromFiles('head', Object.entries(files).map(([path, text]) => ({ path, text })), cache);
  const base = treeFromFiles('base', Object.entries(baseFiles).map(([path, text]) => ({ path, text })), cache);
  const changed = Object.keys(files).filter((p) => baseFiles[p] !== files[p]);
  return analyze({ changes: { base: 'b', head: 'h', files: changed.map((path) => ({ path, status: path in baseFiles ? ('modified' as const) : ('added' as const) })) }, base, head, config: cfg.config, rules: [toyRule] }).report;
}

describe('agent configs', () => {
  it('finds ConfigMap keys (by format) and container args / env of a per-node workload', () => {
    const t = treeFromFiles('head', [{ path: 'a.yaml', text: AGENT }]);
    const { head } = buildFleet(defaultConfig(), t, t);
    const ds = head.objects.find((o) => o.kind === 'DaemonSet')!;
    const configs = agentConfigsOf(ds, head.objects);
    expect(configs.map((c) => [c.holder.kind, c.name, c.format])).toEqual([
      ['ConfigMap', 'agent.yaml', 'yaml'],
      ['ConfigMap', 'agent.conf', 'ini'],
      ['DaemonSet', 'container agent', 'args'],
    ]);
    expect(configs[2].text).toBe('--log=info\n--watch=pods\nMODE=cluster');
    expect(configs[2].locate({ line: 1 }).path).toEqual(['spec', 'template', 'spec', 'containers', 0, 'args', 1]);
  });

  it('keeps lines of a multi-line argument (a sh -c script) mapped to the field they come from', () => {
    const script = AGENT.replace('args: ["--log=info", "--watch=pods"]', 'args: ["sh", "-c", "set -e\\nexec agent\\n--watch=pods"]');
    const t = treeFromFiles('head', [{ path: 'a.yaml', text: script }]);
    const ds = t.objects.find((o) => o.kind === 'DaemonSet')!;
    const args = agentConfigsOf(ds, t.objects).find((c) => c.format === 'args')!;
    expect(args.text.split('\n')).toEqual(['sh', '-c', 'set -e', 'exec agent', '--watch=pods', 'MODE=cluster']);
    expect(args.locate({ line: 4 }).path).toEqual(['spec', 'template', 'spec', 'containers', 0, 'args', 2]);
    expect(args.locate({ line: 5 }).path).toEqual(['spec', 'template', 'spec', 'containers', 0, 'env', 0, 'value']);
  });
});

describe('reportDetections', () => {
  it('reports about the workload, on the line inside the ConfigMap block, with the model at the largest cluster', () => {
    const r = run({ 'a.yaml': AGENT }, 'fleet:\n  clusters:\n    - { name: big, nodes: 5000, paths: ["**"] }\n');
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    expect(f).toMatchObject({ ruleId: 'watch-all/toy', resource: 'DaemonSet/mon/agent', file: 'a.yaml', line: 22, clusters: ['big'], severity: 'critical' });
    expect(f.message).toMatch(/^per-node agent DaemonSet "mon\/agent", config ConfigMap "agent-config" key "agent.yaml": watches pods, nodes: big \(5,000 nodes\): relist [\d.]+ TiB/);
    expect((f.data as any).load).toEqual([expect.objectContaining({ cluster: 'big', nodes: 5000 })]);
  });

  it('gives no finding for a quiet (node-scoped) detection, and configScope reports the evidence', () => {
    const scoped = AGENT.replace('scope: cluster', 'scope: node');
    expect(run({ 'a.yaml': scoped }).findings).toEqual([]);
    const t = treeFromFiles('head', [{ path: 'a.yaml', text: scoped }]);
    const ds = t.objects.find((o) => o.kind === 'DaemonSet')!;
    expect(configScope(ds, t.objects, [toy])).toEqual({ scope: 'node', because: 'ConfigMap "agent-config" "agent.yaml": watches pods, nodes' });
    expect(configScope(ds, t.objects, [])).toBeUndefined();
  });

  it('reports a ConfigMap edit alone that makes an existing DaemonSet read cluster-wide, and stays quiet on an unrelated edit', () => {
    const scoped = AGENT.replace('scope: cluster', 'scope: node');
    expect(run({ 'a.yaml': AGENT }, '', { 'a.yaml': scoped }).findings.map((f) => f.ruleId)).toEqual(['watch-all/toy']);
    expect(run({ 'a.yaml': AGENT.replace('log: info', 'log: debug') }, '', { 'a.yaml': AGENT }).findings).toEqual([]);
  });

  it('reads an agent config from a kustomize configMapGenerator and points at the line of its input file', () => {
    const [ds] = AGENT.split('---\n');
    const files = {
      'agent/kustomization.yaml': 'namespace: mon\nnamePrefix: eu-\nresources: [ds.yaml]\nconfigMapGenerator:\n  - name: agent-config\n    files: [agent.yaml]\n    literals: [LEVEL=info]\n',
      'agent/ds.yaml': ds,
      'agent/agent.yaml': 'log: info\nwatch:\n  - pods\n  - nodes\nscope: cluster\n',
      'clusters/prod/kustomization.yaml': 'resources: [../../agent]\n',
    };
    const r = run(files);
    expect(r.findings.map((f) => [f.ruleId, f.resource, f.file, f.line, f.clusters.join()])).toEqual([['watch-all/toy', 'DaemonSet/mon/eu-agent', 'agent/agent.yaml', 4, 'prod']]);
    // The input file is an input, not an object, and the generated ConfigMap is not counted as parsed.
    expect(r.stats.resources).toBe(1);
  });

  it('ignores Deployments and node infrastructure', () => {
    expect(run({ 'a.yaml': AGENT.replace('kind: DaemonSet', 'kind: Deployment') }).findings).toEqual([]);
    expect(run({ 'a.yaml': AGENT.replace('name: agent, namespace: mon }', 'name: kube-proxy, namespace: mon }') }).findings).toEqual([]);
  });
});
