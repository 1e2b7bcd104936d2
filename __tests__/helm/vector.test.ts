/**
 * The Vector chart adapter (src/helm/charts/vector.ts): what it renders from values per role, the watch-all
 * findings of dangerous values and their safe twins, `spot` back to `customConfig`, and the corpus values
 * files (the corpus holds no rendered output of this chart, so there are no values ↔ rendered pairs).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { analyze } from '../../src/engine.js';
import { pathAtLine, vectorChart } from '../../src/helm/charts/vector.js';
import type { ReleaseInfo, RenderedDoc } from '../../src/helm/chart.js';
import { treeFromFiles } from '../../src/tree.js';
import { RULES } from '../../rules/index.js';
import { renderManifest, valuesOf, watchAllFindings } from '../helpers/charts.js';
import { CORPUS_DIR, HAS_CORPUS, readCorpus } from '../helpers/corpus.js';
import { changeSetOf } from '../helpers/rule-tester.js';

const RELEASE: ReleaseInfo = { name: 'example', namespace: 'default', chart: 'vector' };

function render(valuesText: string, release: Partial<ReleaseInfo> = {}): RenderedDoc[] {
  return vectorChart.render({ ...RELEASE, ...release }, valuesOf(vectorChart, valuesText));
}

function docOf(docs: RenderedDoc[], kind: string): RenderedDoc {
  const d = docs.find((x) => x.doc.kind === kind);
  if (!d) throw new Error(`no ${kind} rendered`);
  return d;
}

function findings(valuesText: string): string[] {
  return watchAllFindings({ 'rendered.yaml': renderManifest(vectorChart, valuesText) });
}

/** The 1-based line of a rule's first finding in a rendered manifest. */
function findingLine(manifest: string, rule: string): number {
  const files = { 'rendered.yaml': manifest };
  const head = treeFromFiles('head', [{ path: 'rendered.yaml', text: manifest }]);
  const { report } = analyze({ changes: changeSetOf({}, files), base: treeFromFiles('base', []), head, config: defaultConfig(), rules: RULES.filter((r) => r.meta.family === 'watch-all') });
  const f = report.findings.find((x) => x.ruleId === rule);
  if (!f?.line) throw new Error(`no ${rule} finding with a line`);
  return f.line;
}

const agentWith = (source: string) => `role: Agent\ncustomConfig:\n  data_dir: /vector-data-dir\n  sources:\n    k8s:\n      type: kubernetes_logs\n${source}  sinks:\n    out:\n      type: console\n      inputs: [k8s]\n      encoding:\n        codec: json\n`;
const CACHE_OFF = agentWith('      use_apiserver_cache: false\n');
const CACHE_ON = agentWith('      use_apiserver_cache: true\n');
const CACHE_FINDING = (source: string, key: string) => `watch-all/vector-apiserver-cache medium sources.${source}.use_apiserver_cache@ConfigMap/example-vector/data.${key}`;

describe('vector adapter: watch-all findings of values', () => {
  const cases: Array<{ name: string; values: string; expected: string[] }> = [
    { name: 'Agent, kubernetes_logs with use_apiserver_cache: false (SCALE-VEC-2)', values: CACHE_OFF, expected: [CACHE_FINDING('k8s', 'vector.yaml')] },
    { name: 'Agent, kubernetes_logs without use_apiserver_cache (the default, false)', values: agentWith(''), expected: [CACHE_FINDING('k8s', 'vector.yaml')] },
    // The chart's built-in agent config has a bare kubernetes_logs source: the rule flags it like any
    // source left at the default (SCALE-VEC-2 is about the default), so it is not a safe twin.
    { name: "Agent with the chart's built-in agent config", values: 'role: Agent\n', expected: [CACHE_FINDING('kubernetes_logs', 'agent.yaml')] },
    // Safe twins.
    { name: 'chart default (Aggregator, built-in aggregator config)', values: '', expected: [] },
    { name: 'the same config with role Aggregator (StatefulSet)', values: CACHE_OFF.replace('role: Agent', 'role: Aggregator'), expected: [] },
    { name: 'the same config with role Stateless-Aggregator (Deployment)', values: CACHE_OFF.replace('role: Agent', 'role: Stateless-Aggregator'), expected: [] },
    { name: 'Agent, kubernetes_logs with use_apiserver_cache: true', values: CACHE_ON, expected: [] },
    { name: 'image tag change (Agent, cache on)', values: `${CACHE_ON}image:\n  tag: 0.57.0-distroless-libc\n`, expected: [] },
    { name: 'image tag change (default Aggregator)', values: 'image:\n  tag: 0.57.0-distroless-libc\n', expected: [] },
    { name: 'resources (Agent, cache on)', values: `${CACHE_ON}resources:\n  limits:\n    memory: 512Mi\n`, expected: [] },
  ];
  for (const c of cases) it(c.name, () => expect(findings(c.values)).toEqual(c.expected));
});

describe('vector adapter: spot', () => {
  it('maps the finding on use_apiserver_cache to its customConfig key (inner path and inner line)', () => {
    const cm = docOf(render(CACHE_OFF), 'ConfigMap');
    expect(cm.spot(['data', 'vector.yaml', 'sources', 'k8s', 'use_apiserver_cache'])).toEqual({ path: ['customConfig', 'sources', 'k8s', 'use_apiserver_cache'] });
    // The rule's location as the engine resolves it: a line inside the `vector.yaml` block.
    const manifest = renderManifest(vectorChart, CACHE_OFF);
    const header = manifest.split('\n').indexOf('  vector.yaml: |');
    const inner = findingLine(manifest, 'watch-all/vector-apiserver-cache') - 1 - (header + 1);
    expect(cm.spot(['data', 'vector.yaml'], inner)).toEqual({ path: ['customConfig', 'sources', 'k8s', 'use_apiserver_cache'] });
  });

  it("points a finding in the chart's built-in agent config at role", () => {
    const cm = docOf(render('role: Agent\n'), 'ConfigMap');
    expect(cm.spot(['data', 'agent.yaml', 'sources', 'kubernetes_logs', 'type'])).toEqual({ path: ['role'] });
    expect(cm.spot(['data', 'agent.yaml'], 7)).toEqual({ path: ['role'] });
  });

  it('maps env, hostNetwork, extra RBAC rules', () => {
    const docs = render('role: Agent\nenv:\n  - name: A\n    value: a\npodHostNetwork: true\nrbac:\n  extraRules:\n    - apiGroups: [""]\n      resources: [events]\n      verbs: [list, watch]\n');
    const ds = docOf(docs, 'DaemonSet');
    const env = ['spec', 'template', 'spec', 'containers', 0, 'env'];
    expect(ds.spot([...env, 0, 'value'])).toEqual({ path: ['logLevel'] });
    expect(ds.spot([...env, 1, 'value'])).toEqual({ path: ['env', 0, 'value'] });
    expect(ds.spot([...env, 2, 'valueFrom'])).toEqual({ path: ['role'] });
    expect(ds.spot(['spec', 'template', 'spec', 'hostNetwork'])).toEqual({ path: ['podHostNetwork'] });
    const role = docOf(docs, 'ClusterRole');
    expect(role.spot(['rules', 1, 'resources', 0])).toEqual({ path: ['rbac', 'extraRules', 0, 'resources', 0] });
    expect(role.spot(['rules', 0])).toEqual({ path: ['role'] });
  });

  it('pathAtLine finds the deepest key or item on a line', () => {
    const text = 'a:\n  b:\n  - x: 1\n    y: 2\n  c: 3\n';
    expect(pathAtLine(text, 0)).toEqual(['a']);
    expect(pathAtLine(text, 2)).toEqual(['a', 'b', 0, 'x']);
    expect(pathAtLine(text, 3)).toEqual(['a', 'b', 0, 'y']);
    expect(pathAtLine(text, 4)).toEqual(['a', 'c']);
    expect(pathAtLine(text, 9)).toEqual([]);
    expect(pathAtLine('', 0)).toEqual([]);
  });
});

describe('vector adapter: rendering', () => {
  const kinds = (docs: RenderedDoc[]) => docs.map((d) => `${d.doc.kind}/${(d.doc.metadata as { name: string }).name}`);

  it('renders each role as its workload; RBAC for the Agent only', () => {
    expect(kinds(render(''))).toEqual(['ConfigMap/example-vector', 'StatefulSet/example-vector', 'ServiceAccount/example-vector']);
    expect(kinds(render('role: Stateless-Aggregator\n'))).toEqual(['ConfigMap/example-vector', 'Deployment/example-vector', 'ServiceAccount/example-vector']);
    expect(kinds(render('role: Agent\n'))).toEqual([
      'ConfigMap/example-vector',
      'DaemonSet/example-vector',
      'ServiceAccount/example-vector',
      'ClusterRole/example-vector',
      'ClusterRoleBinding/example-vector',
    ]);
    expect(kinds(render('role: Agent\nrbac:\n  create: false\n'))).toEqual(['ConfigMap/example-vector', 'DaemonSet/example-vector', 'ServiceAccount/example-vector']);
    expect(kinds(render('role: Sidecar\n'))).toEqual(['ConfigMap/example-vector', 'ServiceAccount/example-vector']);
  });

  it('the Agent pod: node name from the downward API, config projected from the ConfigMap, host paths', () => {
    const ds = docOf(render('role: Agent\n'), 'DaemonSet').doc as { spec: { selector: unknown; template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } } };
    const pod = ds.spec.template.spec;
    const container = (pod.containers as Array<Record<string, unknown>>)[0];
    expect(container.env).toContainEqual({ name: 'VECTOR_SELF_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    expect(pod.volumes).toContainEqual({ name: 'config', projected: { sources: [{ configMap: { name: 'example-vector' } }] } });
    expect(pod.volumes).toContainEqual({ name: 'data', hostPath: { path: '/var/lib/vector' } });
    expect(ds.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'vector', 'app.kubernetes.io/instance': 'example', 'app.kubernetes.io/component': 'Agent' } });
    expect(ds.spec.template.metadata.labels['vector.dev/exclude']).toBe('true');
    expect(container.image).toBe('docker.io/timberio/vector:0.56.0-distroless-libc');
  });

  it('customConfig as vector.yaml (keys sorted, as toYaml prints them); existingConfigMaps instead of the ConfigMap', () => {
    const data = docOf(render(CACHE_OFF), 'ConfigMap').doc.data as Record<string, string>;
    expect(Object.keys(data)).toEqual(['vector.yaml']);
    expect(data['vector.yaml'].split('\n')[0]).toBe('data_dir: /vector-data-dir');
    expect(data['vector.yaml']).toContain('\n    use_apiserver_cache: false\n');
    const docs = render('role: Agent\nexistingConfigMaps: [a, b]\ndataDir: /data\n');
    expect(kinds(docs)[0]).toBe('DaemonSet/example-vector');
    const pod = (docs[0].doc.spec as { template: { spec: { volumes: unknown[] } } }).template.spec;
    expect(pod.volumes).toContainEqual({ name: 'config', projected: { sources: [{ configMap: { name: 'a' } }, { configMap: { name: 'b' } }] } });
    expect(docs[0].spot(['spec', 'template', 'spec', 'volumes', 0])).toEqual({ path: ['existingConfigMaps'] });
  });

  it('never throws on odd values', () => {
    for (const values of [
      'role: 5\n',
      'role: Agent\ncustomConfig: just a string\n',
      'role: Agent\ncustomConfig: [a]\nenv: {a: 1}\nargs: x\n',
      'role: Agent\nimage: null\nrbac: yes\nserviceAccount: []\npersistence: 3\n',
      'role: Agent\nexistingConfigMaps: {a: b}\ndefaultVolumes: 1\n',
    ]) {
      expect(() => renderManifest(vectorChart, values)).not.toThrow();
    }
  });
});

describe.skipIf(!HAS_CORPUS)('vector adapter: corpus', () => {
  const CHART = 'vectordotdev+helm-charts/charts/vector/';

  it('has no rendered output of the chart to pair with (values ↔ rendered pairs: none)', () => {
    const entries = readdirSync(CORPUS_DIR + CHART, { recursive: true }).map(String);
    expect(entries.filter((e) => /rendered|templates|manifests/.test(e))).toEqual([]);
  });

  it("the chart's values.yaml renders as the adapter's defaults do", () => {
    const chartValues = readCorpus(`${CHART}values.yaml`);
    for (const role of ['', 'role: Agent\n', 'role: Stateless-Aggregator\n']) {
      expect(renderManifest(vectorChart, role, {}, chartValues)).toBe(renderManifest(vectorChart, role));
    }
  });

  // Every ci values file over the chart's values.yaml: only the Agent role reads the API server.
  const expected: Record<string, string[]> = { 'agent-default-values.yaml': [CACHE_FINDING('kubernetes_logs', 'agent.yaml')] };
  const ciFiles = HAS_CORPUS ? readdirSync(`${CORPUS_DIR}${CHART}ci`).filter((f) => f.endsWith('.yaml')) : [];
  for (const file of [...ciFiles, '../examples/datadog-values.yaml']) {
    it(`ci/${file}`, () => {
      const manifest = renderManifest(vectorChart, readCorpus(`${CHART}ci/${file}`), {}, readCorpus(`${CHART}values.yaml`));
      expect(watchAllFindings({ 'rendered.yaml': manifest })).toEqual(expected[file] ?? []);
    });
  }
});
