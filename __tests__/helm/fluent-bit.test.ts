/**
 * The Fluent Bit chart adapter (src/helm/charts/fluent-bit.ts): what it renders from values, the watch-all
 * findings of dangerous values and their safe twins, `spot` back to the values line, and the corpus values
 * files (the corpus holds no rendered output of this chart, so there are no values ↔ rendered pairs).
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import jsyaml from 'js-yaml';
import { defaultConfig } from '../../src/config.js';
import { analyze } from '../../src/engine.js';
import { fluentBitChart } from '../../src/helm/charts/fluent-bit.js';
import type { ReleaseInfo, RenderedDoc } from '../../src/helm/chart.js';
import { treeFromFiles } from '../../src/tree.js';
import { RULES } from '../../rules/index.js';
import { renderManifest, valuesOf, watchAllFindings } from '../helpers/charts.js';
import { CORPUS_DIR, HAS_CORPUS, readCorpus } from '../helpers/corpus.js';
import { changeSetOf } from '../helpers/rule-tester.js';

const RELEASE: ReleaseInfo = { name: 'example', namespace: 'default', chart: 'fluent-bit' };
const CM = 'ConfigMap/example-fluent-bit/data.fluent-bit.conf';

function render(valuesText: string, release: Partial<ReleaseInfo> = {}): RenderedDoc[] {
  return fluentBitChart.render({ ...RELEASE, ...release }, valuesOf(fluentBitChart, valuesText));
}

function docOf(docs: RenderedDoc[], kind: string): RenderedDoc {
  const d = docs.find((x) => x.doc.kind === kind);
  if (!d) throw new Error(`no ${kind} rendered`);
  return d;
}

function findings(valuesText: string): string[] {
  return watchAllFindings({ 'rendered.yaml': renderManifest(fluentBitChart, valuesText) });
}

/** The watch-all findings of a rendering with their 1-based line in the rendered manifest. */
function findingLines(manifest: string): Array<{ rule: string; key: string; line: number | null }> {
  const files = { 'rendered.yaml': manifest };
  const head = treeFromFiles('head', [{ path: 'rendered.yaml', text: manifest }]);
  const base = treeFromFiles('base', []);
  const { report } = analyze({ changes: changeSetOf({}, files), base, head, config: defaultConfig(), rules: RULES.filter((r) => r.meta.family === 'watch-all') });
  return report.findings.map((f) => ({ rule: f.ruleId, key: f.key, line: f.line }));
}

/** The 0-based line inside a ConfigMap key that a finding's manifest line stands for. */
function innerLineOf(manifest: string, key: string, line: number): number {
  const header = manifest.split('\n').findIndex((l) => l === `  ${key}: |` || l === `  ${key}: |-`);
  return line - 1 - (header + 1);
}

const EVENTS_INPUTS = `config:
  inputs: |
    [INPUT]
        Name tail
        Path /var/log/containers/*.log
        Tag kube.*

    [INPUT]
        Name kubernetes_events
        Tag k8s_events
`;

const EVENTS_FINDING = `watch-all/fluent-bit-kubernetes critical input.kubernetes_events@${CM}`;
// The default ClusterRole (pods, namespaces) with a config that reads cluster-wide: the RBAC rule takes the
// agent's scope as cluster from the events input (see the report: it judges the pods grant by it).
const RBAC_FINDING = 'watch-all/daemonset-cluster-watch critical serviceaccount:default/example-fluent-bit';

describe('fluent-bit adapter: watch-all findings of values', () => {
  const cases: Array<{ name: string; values: string; expected: string[] }> = [
    { name: 'chart default (kubernetes filter, default settings: quiet, node-scoped evidence)', values: '', expected: [] },
    { name: 'kubernetes_events input in the DaemonSet (SCALE-FB-2)', values: EVENTS_INPUTS, expected: [RBAC_FINDING, EVENTS_FINDING] },
    {
      name: 'kubernetes_events input in the DaemonSet, events RBAC granted',
      values: `${EVENTS_INPUTS}rbac:\n  eventsAccess: true\n`,
      expected: [RBAC_FINDING, EVENTS_FINDING],
    },
    {
      name: 'kubernetes filter re-fetching every 60 s (SCALE-FB-1)',
      values: 'config:\n  filters: |\n    [FILTER]\n        Name kubernetes\n        Match kube.*\n        Kube_Meta_Cache_TTL 60s\n',
      expected: [`watch-all/fluent-bit-kubernetes medium filter.kubernetes.meta-cache-ttl@${CM}`],
    },
    {
      name: 'kubernetes_events input in an extra file of the ConfigMap',
      values: 'config:\n  extraFiles:\n    events.conf: |\n      [INPUT]\n          Name kubernetes_events\n',
      expected: [RBAC_FINDING, 'watch-all/fluent-bit-kubernetes critical input.kubernetes_events@ConfigMap/example-fluent-bit/data.events.conf'],
    },
    {
      name: 'kubernetes_events input in a YAML-format extra file',
      values: 'config:\n  extraFiles:\n    fluent-bit.yaml: |\n      pipeline:\n        inputs:\n          - name: kubernetes_events\n            tag: k8s_events\n',
      expected: [RBAC_FINDING, 'watch-all/fluent-bit-kubernetes critical input.kubernetes_events@ConfigMap/example-fluent-bit/data.fluent-bit.yaml'],
    },
    // Safe twins.
    { name: 'the same input with kind: Deployment', values: `kind: Deployment\n${EVENTS_INPUTS}`, expected: [] },
    { name: 'image tag change', values: 'image:\n  tag: 5.1.2\n', expected: [] },
    { name: 'resources', values: 'resources:\n  limits:\n    memory: 256Mi\n', expected: [] },
    {
      name: 'kubernetes filter on the kubelet (nodeAccess, hostNetwork)',
      values:
        'rbac:\n  nodeAccess: true\nhostNetwork: true\ndnsPolicy: ClusterFirstWithHostNet\n' +
        'config:\n  filters: |\n    [FILTER]\n        Name kubernetes\n        Match kube.*\n        Use_Kubelet On\n        Kubelet_Port 10250\n',
      expected: [],
    },
    {
      name: 'kubernetes filter with a 600 s cache TTL',
      values: 'config:\n  filters: |\n    [FILTER]\n        Name kubernetes\n        Kube_Meta_Cache_TTL 600\n',
      expected: [],
    },
  ];
  for (const c of cases) it(c.name, () => expect(findings(c.values)).toEqual(c.expected));
});

describe('fluent-bit adapter: spot', () => {
  it('maps the kubernetes_events finding to its line of config.inputs', () => {
    const manifest = renderManifest(fluentBitChart, EVENTS_INPUTS);
    const found = findingLines(manifest).find((f) => f.rule === 'watch-all/fluent-bit-kubernetes');
    expect(found?.line).toBeTypeOf('number');
    const inner = innerLineOf(manifest, 'fluent-bit.conf', found!.line!);
    const spot = docOf(render(EVENTS_INPUTS), 'ConfigMap').spot(['data', 'fluent-bit.conf'], inner);
    expect(spot).toEqual({ path: ['config', 'inputs'], innerLine: 6 });
    const inputs = (jsyaml.load(EVENTS_INPUTS) as { config: { inputs: string } }).config.inputs;
    expect(inputs.split('\n')[spot!.innerLine!].trim()).toBe('Name kubernetes_events');
  });

  it('maps each line of fluent-bit.conf back to its block (service, inputs, filters, outputs)', () => {
    const values = 'config:\n  service: |-\n    [SERVICE]\n        Flush 5\n  inputs: |\n    [INPUT]\n        Name tail\n  filters: ""\n  outputs: |\n    [OUTPUT]\n        Name stdout\n';
    const cm = docOf(render(values), 'ConfigMap');
    const text = cm.doc.data as Record<string, string>;
    // `|-` service: no blank line; `|` inputs: one; an empty filters block still takes its own line.
    expect(text['fluent-bit.conf']).toBe('[SERVICE]\n    Flush 5\n[INPUT]\n    Name tail\n\n\n[OUTPUT]\n    Name stdout\n');
    expect(cm.spot(['data', 'fluent-bit.conf'], 1)).toEqual({ path: ['config', 'service'], innerLine: 1 });
    expect(cm.spot(['data', 'fluent-bit.conf'], 3)).toEqual({ path: ['config', 'inputs'], innerLine: 1 });
    expect(cm.spot(['data', 'fluent-bit.conf'], 5)).toEqual({ path: ['config', 'filters'], innerLine: 0 });
    expect(cm.spot(['data', 'fluent-bit.conf'], 7)).toEqual({ path: ['config', 'outputs'], innerLine: 1 });
  });

  it('maps the cache TTL finding to its line of config.filters', () => {
    const values = 'config:\n  filters: |\n    [FILTER]\n        Name kubernetes\n        Kube_Meta_Cache_TTL 60s\n';
    const manifest = renderManifest(fluentBitChart, values);
    const found = findingLines(manifest).find((f) => f.rule === 'watch-all/fluent-bit-kubernetes');
    const spot = docOf(render(values), 'ConfigMap').spot(['data', 'fluent-bit.conf'], innerLineOf(manifest, 'fluent-bit.conf', found!.line!));
    expect(spot).toEqual({ path: ['config', 'filters'], innerLine: 2 });
  });

  it('maps extra files, custom parsers, env, hostNetwork and RBAC knobs', () => {
    const docs = render(
      'config:\n  extraFiles:\n    events.conf: |\n      [INPUT]\n          Name kubernetes_events\n' +
        'env:\n  - name: A\n    value: a\nenvWithTpl:\n  - name: B\n    value: "{{ .Values.logLevel }}"\nhostNetwork: true\nrbac:\n  nodeAccess: true\n',
    );
    const cm = docOf(docs, 'ConfigMap');
    expect(cm.spot(['data', 'events.conf'], 1)).toEqual({ path: ['config', 'extraFiles', 'events.conf'], innerLine: 1 });
    expect(cm.spot(['data', 'custom_parsers.conf'], 2)).toEqual({ path: ['config', 'customParsers'], innerLine: 2 });
    expect(cm.spot(['metadata', 'name'])).toBeUndefined();
    const ds = docOf(docs, 'DaemonSet');
    const env = ['spec', 'template', 'spec', 'containers', 0, 'env'];
    expect(ds.spot([...env, 0, 'value'])).toEqual({ path: ['env', 0, 'value'] });
    expect(ds.spot([...env, 1, 'value'])).toEqual({ path: ['envWithTpl', 0, 'value'] });
    expect(ds.spot(['spec', 'template', 'spec', 'hostNetwork'])).toEqual({ path: ['hostNetwork'] });
    expect(ds.spot(['spec', 'template', 'spec', 'containers', 0, 'image'])).toEqual({ path: ['image'] });
    const role = docOf(docs, 'ClusterRole');
    const resources = (role.doc.rules as Array<{ resources: string[] }>)[0].resources;
    expect(role.spot(['rules', 0, 'resources', resources.indexOf('nodes/proxy')])).toEqual({ path: ['rbac', 'nodeAccess'] });
    expect(role.spot(['rules', 0, 'resources', resources.indexOf('pods')])).toEqual({ path: ['rbac', 'create'] });
  });
});

describe('fluent-bit adapter: rendering', () => {
  it('renders the chart default: ConfigMap, DaemonSet, ServiceAccount, ClusterRole, ClusterRoleBinding', () => {
    const docs = render('');
    expect(docs.map((d) => `${d.doc.kind}/${(d.doc.metadata as { name: string }).name}`)).toEqual([
      'ConfigMap/example-fluent-bit',
      'DaemonSet/example-fluent-bit',
      'ServiceAccount/example-fluent-bit',
      'ClusterRole/example-fluent-bit',
      'ClusterRoleBinding/example-fluent-bit',
    ]);
    const conf = (docOf(docs, 'ConfigMap').doc.data as Record<string, string>)['fluent-bit.conf'];
    // `tpl` of the default service block.
    expect(conf).toContain('    Flush 1\n    Log_Level info\n');
    expect(conf).toContain('    HTTP_Port 2020\n');
    expect(conf.startsWith('[SERVICE]\n')).toBe(true);
    expect(conf).toContain('    Health_Check On\n\n[INPUT]\n    Name tail\n');
    const ds = docOf(docs, 'DaemonSet').doc as { metadata: { namespace: string }; spec: Record<string, unknown> };
    expect(ds.metadata.namespace).toBe('default');
    const pod = ds.spec.template as { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };
    expect(ds.spec.selector).toEqual({ matchLabels: pod.metadata.labels });
    expect(pod.spec.serviceAccountName).toBe('example-fluent-bit');
    expect(pod.spec.volumes).toContainEqual({ name: 'config', configMap: { name: 'example-fluent-bit' } });
  });

  it('kind Deployment, fullnameOverride, existingConfigMap, no RBAC, no ServiceAccount', () => {
    const docs = render('kind: Deployment\nreplicaCount: 2\nfullnameOverride: logs\nexistingConfigMap: my-config\nrbac:\n  create: false\nserviceAccount:\n  create: false\n');
    expect(docs.map((d) => `${d.doc.kind}/${(d.doc.metadata as { name: string }).name}`)).toEqual(['Deployment/logs']);
    const spec = docs[0].doc.spec as { replicas: number; template: { spec: { serviceAccountName: string; volumes: unknown[] } } };
    expect(spec.replicas).toBe(2);
    expect(spec.template.spec.serviceAccountName).toBe('default');
    expect(spec.template.spec.volumes).toEqual([{ name: 'config', configMap: { name: 'my-config' } }]);
    expect(docs[0].spot(['spec', 'template', 'spec', 'volumes', 0, 'configMap', 'name'])).toEqual({ path: ['existingConfigMap'] });
  });

  it('the release name holding the chart name is the full name; the ClusterRoleBinding names the release namespace', () => {
    const docs = render('', { name: 'fluent-bit', namespace: 'logging' });
    const crb = docOf(docs, 'ClusterRoleBinding').doc as { metadata: Record<string, unknown>; subjects: unknown[] };
    expect(crb.metadata.name).toBe('fluent-bit');
    expect(crb.metadata.namespace).toBeUndefined();
    expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'fluent-bit', namespace: 'logging' }]);
  });

  it('renders no workload for an unknown kind, and never throws on odd values', () => {
    expect(render('kind: Job\n').some((d) => ['DaemonSet', 'Deployment', 'StatefulSet', 'Job'].includes(String(d.doc.kind)))).toBe(false);
    for (const values of [
      'kind: 5\n',
      'config: just a string\n',
      'config:\n  inputs:\n    name: a map\n  extraFiles: [a, b]\n',
      'env: {a: 1}\nargs: x\nvolumeMounts: 3\nrbac: yes\nserviceAccount: []\n',
      'image: null\nluaScripts: [x]\nhotReload: true\n',
      'config:\n  service: 5\n  filters: true\n',
    ]) {
      expect(() => renderManifest(fluentBitChart, values)).not.toThrow();
    }
  });

  it("leaves out Grafana's deprecated Loki chart of the same name", () => {
    expect(render('loki:\n  serviceName: loki\n')).toEqual([]);
    expect(render('', { chartVersion: '2.6.0' })).toEqual([]);
  });
});

describe.skipIf(!HAS_CORPUS)('fluent-bit adapter: corpus', () => {
  const CHART = 'fluent+helm-charts/charts/fluent-bit/';

  it('has no rendered output of the chart to pair with (values ↔ rendered pairs: none)', () => {
    const entries = readdirSync(CORPUS_DIR + CHART, { recursive: true }).map(String);
    expect(entries.filter((e) => /rendered|templates|manifests/.test(e))).toEqual([]);
  });

  it("the chart's values.yaml renders as the adapter's defaults do", () => {
    const chartValues = readCorpus(`${CHART}values.yaml`);
    expect(renderManifest(fluentBitChart, '', {}, chartValues)).toBe(renderManifest(fluentBitChart, ''));
  });

  it('the chart values and its ci values render without findings', () => {
    const chartValues = readCorpus(`${CHART}values.yaml`);
    expect(watchAllFindings({ 'rendered.yaml': renderManifest(fluentBitChart, chartValues) })).toEqual([]);
    const ci = renderManifest(fluentBitChart, readCorpus(`${CHART}ci/ci-values.yaml`), {}, chartValues);
    expect(ci).toContain('--enable-hot-reload');
    expect(watchAllFindings({ 'rendered.yaml': ci })).toEqual([]);
  });

  it("Grafana's fluent-bit chart values render nothing", () => {
    const path = 'grafana+helm-charts/charts/fluent-bit/values.yaml';
    expect(existsSync(CORPUS_DIR + path)).toBe(true);
    expect(renderManifest(fluentBitChart, readCorpus(path))).toBe('');
  });
});
