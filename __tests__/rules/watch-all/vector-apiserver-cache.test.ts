/**
 * Table tests of watch-all/vector-apiserver-cache (RULEBOOK A.8, SCALE-VEC-1/2). Each flagged source has a
 * safe twin: the same source with `use_apiserver_cache: true`, which is quiet evidence of node scoping.
 *
 * The finding is a fixed medium (WARN) on any cluster: the load model counts API-server egress and requests,
 * and a node-filtered source stays low in it at any size (5,000 nodes: 30 pods + 1 node + 500 namespaces per
 * agent → 20 GiB, 0.1×), while the cost SCALE-VEC-2 is about is in etcd (each node's LIST makes etcd read
 * every pod of the cluster on clusters before 1.31). The cluster's Kubernetes version is not visible to the
 * kit, so it is flagged whatever the version.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detector, vectorApiserverCache } from '../../../rules/watch-all/vector-apiserver-cache.js';
import { configScope } from '../../../src/agents/kit.js';
import { treeFromFiles } from '../../../src/tree.js';
import { lineContaining, ruleTester, type ExpectedFinding } from '../../helpers/rule-tester.js';
import { CORPUS_DIR, HAS_CORPUS } from '../../helpers/corpus.js';

const RULE = 'watch-all/vector-apiserver-cache';

/** A Vector agent DaemonSet and its ConfigMap (the chart's layout: key vector.yaml / vector.toml). */
function vector(key: string, config: string, opts: { kind?: string; annotations?: Record<string, string> } = {}): string {
  const lines = [
    'apiVersion: apps/v1',
    `kind: ${opts.kind ?? 'DaemonSet'}`,
    'metadata:',
    '  name: vector',
    '  namespace: observability',
    ...(opts.annotations ? ['  annotations:', ...Object.entries(opts.annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : []),
    'spec:',
    '  selector:',
    '    matchLabels: {app: vector}',
    '  template:',
    '    metadata:',
    '      labels: {app: vector}',
    '    spec:',
    '      serviceAccountName: vector',
    '      containers:',
    '      - name: vector',
    '        image: timberio/vector:0.49.0-distroless-libc',
    '        args: [--config-dir, /etc/vector/]',
    '        env:',
    '        - name: VECTOR_SELF_NODE_NAME',
    '          valueFrom: {fieldRef: {fieldPath: spec.nodeName}}',
    '        volumeMounts: [{name: config, mountPath: /etc/vector/}]',
    '      volumes:',
    '      - name: config',
    '        configMap: {name: vector}',
    '---',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: vector',
    '  namespace: observability',
    'data:',
    `  ${key}: |`,
    ...config.trimEnd().split('\n').map((l) => (l ? `    ${l}` : '')),
  ];
  return `${lines.join('\n')}\n`;
}

const SINKS_YAML = 'sinks:\n  out:\n    type: console\n    inputs: [k8s]\n    encoding: {codec: json}\n';
const yaml = (source: string) => vector('vector.yaml', `data_dir: /vector-data-dir\nsources:\n  k8s:\n    type: kubernetes_logs\n${source}${SINKS_YAML}`);
const SINKS_TOML = '\n[sinks.out]\ntype = "console"\ninputs = ["k8s"]\nencoding.codec = "json"\n';
const toml = (source: string) => vector('vector.toml', `data_dir = "/vector-data-dir"\n\n[sources.k8s]\ntype = "kubernetes_logs"\n${source}${SINKS_TOML}`);

const file = (text: string) => ({ 'apps/vector/vector.yaml': text });
const fleet = (...clusters: Array<[string, number]>) => ({ fleet: { clusters: clusters.map(([name, nodes]) => ({ name, nodes, paths: ['**'] })) } });
const BIG = fleet(['big', 5000]);
const TINY = fleet(['edge', 20]);

const KEY_YAML = 'sources.k8s.use_apiserver_cache@ConfigMap/vector/data.vector.yaml';
const KEY_TOML = 'sources.k8s.use_apiserver_cache@ConfigMap/vector/data.vector.toml';
const medium = (text: string, needle: string, key: string, messageIncludes?: string[]): ExpectedFinding => ({
  severity: 'medium',
  key,
  line: lineContaining(text, needle),
  ...(messageIncludes ? { messageIncludes } : {}),
});

// ---- fixtures -------------------------------------------------------------------------------------

const yamlFalse = yaml('    use_apiserver_cache: false\n');
const yamlTrue = yaml('    use_apiserver_cache: true\n');
const yamlDefault = yaml('    extra_label_selector: "app!=vector"\n');
const tomlFalse = toml('use_apiserver_cache = false\n');
const tomlTrue = toml('use_apiserver_cache = true\n');
const tomlDefault = toml('extra_label_selector = "app!=vector"\n');
const tomlInline = vector('vector.toml', 'data_dir = "/vector-data-dir"\n\n[sources]\nk8s = { type = "kubernetes_logs", use_apiserver_cache = false }\n' + SINKS_TOML);
const tomlInlineTrue = vector('vector.toml', 'data_dir = "/vector-data-dir"\n\n[sources]\nk8s = { type = "kubernetes_logs", use_apiserver_cache = true }\n' + SINKS_TOML);
const tomlDotted = vector('vector.toml', 'data_dir = "/vector-data-dir"\nsources.k8s.type = "kubernetes_logs"\nsources.k8s.use_apiserver_cache = false\n' + SINKS_TOML);
const json = vector('vector.json', '{"sources": {"k8s": {"type": "kubernetes_logs", "use_apiserver_cache": false}}, "sinks": {"out": {"type": "console", "inputs": ["k8s"]}}}');
const fileSource = vector('vector.yaml', 'sources:\n  host:\n    type: file\n    include: [/var/log/*.log]\n    use_apiserver_cache: false\n');
const aggregator = yaml('    use_apiserver_cache: false\n').replace('kind: DaemonSet', 'kind: StatefulSet');
const ignored = vector('vector.yaml', 'sources:\n  k8s:\n    type: kubernetes_logs\n    use_apiserver_cache: false\n', {
  annotations: { 'blast-radius.dev/ignore': `${RULE} -- every cluster runs 1.31 or later (consistent reads from cache)` },
});
const odd = vector('vector.toml', '[sources.\n[sources."k8s"]\ntype = \nuse_apiserver_cache = maybe\n[sources.x]\ntype = "file"\n= 3\n') +
  '---\n' +
  vector('vector.yaml', 'sources: [1, 2]\n').replace(/name: vector/g, 'name: vector-2').replace('{name: vector-2}', '{name: vector-2}');

ruleTester(vectorApiserverCache).run({
  valid: [
    { name: 'YAML: use_apiserver_cache: true (twin of false): quiet', files: file(yamlTrue), config: BIG },
    { name: 'TOML: use_apiserver_cache = true (twin of false)', files: file(tomlTrue), config: BIG },
    { name: 'TOML inline table with use_apiserver_cache = true', files: file(tomlInlineTrue), config: BIG },
    { name: 'a file source is not kubernetes_logs', files: file(fileSource), config: BIG },
    { name: 'a StatefulSet aggregator is not per-node', files: file(aggregator), config: BIG },
    { name: 'already on the base', base: file(yamlFalse), files: file(yamlFalse), config: BIG },
    { name: 'ignore annotation', files: file(ignored), config: BIG, suppressed: [medium(ignored, 'use_apiserver_cache: false', KEY_YAML)] },
    { name: 'odd input never throws', files: file(odd), config: BIG },
  ],
  invalid: [
    {
      name: 'YAML: use_apiserver_cache: false on 5,000 nodes: medium',
      files: file(yamlFalse),
      config: BIG,
      findings: [
        medium(yamlFalse, 'use_apiserver_cache: false', KEY_YAML, [
          'per-node agent DaemonSet "observability/vector", config ConfigMap "vector" key "vector.yaml": source "k8s" (kubernetes_logs) has "use_apiserver_cache: false": every node\'s pod and Node LIST is a consistent read, served from etcd on clusters before Kubernetes 1.31',
          'flagged whatever the cluster\'s version, which the check cannot see',
          'big (5,000 nodes)',
        ]),
      ],
    },
    {
      name: 'YAML: the same on 20 nodes is still medium (flagged regardless, as WARN)',
      files: file(yamlFalse),
      config: TINY,
      findings: [medium(yamlFalse, 'use_apiserver_cache: false', KEY_YAML, ['edge (20 nodes)'])],
    },
    {
      name: 'YAML: no use_apiserver_cache is the default false, reported at the type',
      files: file(yamlDefault),
      config: BIG,
      findings: [medium(yamlDefault, 'type: kubernetes_logs', KEY_YAML, ['no "use_apiserver_cache" (the default is false)'])],
    },
    {
      name: 'TOML: use_apiserver_cache = false',
      files: file(tomlFalse),
      config: BIG,
      findings: [medium(tomlFalse, 'use_apiserver_cache = false', KEY_TOML, ['"use_apiserver_cache: false"'])],
    },
    {
      name: 'TOML: the default, at the type line',
      files: file(tomlDefault),
      config: BIG,
      findings: [medium(tomlDefault, 'type = "kubernetes_logs"', KEY_TOML)],
    },
    {
      name: 'TOML: inline table',
      files: file(tomlInline),
      config: BIG,
      findings: [medium(tomlInline, 'k8s = {', KEY_TOML)],
    },
    {
      name: 'TOML: dotted keys',
      files: file(tomlDotted),
      config: BIG,
      findings: [medium(tomlDotted, 'sources.k8s.use_apiserver_cache', KEY_TOML)],
    },
    {
      name: 'JSON config',
      files: file(json),
      config: BIG,
      findings: [medium(json, '"sources"', 'sources.k8s.use_apiserver_cache@ConfigMap/vector/data.vector.json')],
    },
    {
      name: 'no config: unmapped',
      files: file(yamlFalse),
      findings: [medium(yamlFalse, 'use_apiserver_cache: false', KEY_YAML, ['unmapped (5,000 nodes, assumed)'])],
    },
  ],
});

describe('evidence for watch-all/daemonset-cluster-watch (configScope)', () => {
  const scopeOf = (text: string) => {
    const t = treeFromFiles('head', [{ path: 'a.yaml', text }]);
    const ds = t.objects.find((o) => o.kind === 'DaemonSet')!;
    return configScope(ds, t.objects, [detector]);
  };
  it('a kubernetes_logs source is node-scoped whatever its cache setting', () => {
    expect(scopeOf(yamlTrue)?.scope).toBe('node');
    expect(scopeOf(yamlFalse)?.scope).toBe('node');
    expect(scopeOf(tomlTrue)?.scope).toBe('node');
    expect(scopeOf(fileSource)).toBeUndefined();
  });
});

// ---- real-world manifests -------------------------------------------------------------------------

// vectordotdev/helm-charts in the corpus holds values files only (charts/vector/values.yaml, ci/*-values.yaml,
// examples/datadog-values.yaml) and no rendered manifest; none of them holds a kubernetes_logs source either
// (the chart's default agent config lives in its templates, which the corpus leaves out). Values files are
// a later issue, so there is nothing real-world for this rule to run on yet: the block only checks that.
if (HAS_CORPUS) {
  describe('real-world manifests', () => {
    it('vectordotdev+helm-charts has no rendered Vector manifest yet', () => {
      expect(existsSync(`${CORPUS_DIR}vectordotdev+helm-charts/charts/vector/values.yaml`)).toBe(true);
      expect(existsSync(`${CORPUS_DIR}vectordotdev+helm-charts/charts/vector/templates`)).toBe(false);
    });
  });
} else {
  describe.skip('real-world manifests (../shared/corpus is absent)', () => {
    it('skipped', () => {});
  });
}
