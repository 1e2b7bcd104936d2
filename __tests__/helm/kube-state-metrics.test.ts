/**
 * The kube-state-metrics chart adapter (src/helm/charts/kube-state-metrics.ts). The released chart has no
 * per-node mode (a Deployment, or a StatefulSet with autosharding), so no values give a watch-all finding;
 * the tests pin the rendering (args, RBAC, names), show that the rule would read it (the same object made a
 * DaemonSet by a post-renderer is judged, the node-scoped form is not), and that `spot` finds the values.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import jsyaml from 'js-yaml';
import { CORPUS_DIR, HAS_CORPUS, readCorpus } from '../helpers/corpus.js';
import { renderManifest, valuesOf, watchAllFindings } from '../helpers/charts.js';
import { kubeStateMetricsChart } from '../../src/helm/charts/kube-state-metrics.js';
import type { RenderedDoc } from '../../src/helm/chart.js';

const RELEASE = { name: 'ksm', namespace: 'monitoring' };
const render = (values: string): RenderedDoc[] => kubeStateMetricsChart.render({ ...RELEASE, chart: 'kube-state-metrics' }, valuesOf(kubeStateMetricsChart, values));
const findings = (values: string) => watchAllFindings({ 'rendered.yaml': renderManifest(kubeStateMetricsChart, values, RELEASE) });
type Workload = { kind: string; metadata: { name: string; namespace?: string }; spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName: string; containers: Array<{ name: string; args: string[]; image: string; env?: unknown[] }> } } } };
const workload = (docs: RenderedDoc[]) => docs[0].doc as unknown as Workload;
const args = (values: string) => workload(render(values)).spec.template.spec.containers[0].args;

/** The rendered manifest with its workload's kind replaced (what a post-renderer or kustomize patch could do). */
const asDaemonSet = (values: string) => renderManifest(kubeStateMetricsChart, values, RELEASE).replace(/^kind: (Deployment|StatefulSet)$/m, 'kind: DaemonSet');

describe('kube-state-metrics chart adapter', () => {
  it('renders the default Deployment with every default collector, and its RBAC', () => {
    const docs = render('');
    const w = workload(docs);
    expect(w.kind).toBe('Deployment');
    expect(w.metadata).toEqual(expect.objectContaining({ name: 'ksm-kube-state-metrics', namespace: 'monitoring' }));
    expect(w.spec.template.metadata.labels).toMatchObject(w.spec.selector.matchLabels);
    const c = w.spec.template.spec.containers[0];
    expect(c.image).toBe('registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0');
    expect(c.args).toEqual(['--port=8080', expect.stringMatching(/^--resources=certificatesigningrequests,configmaps,.*,pods,.*,volumeattachments$/)]);
    expect(w.spec.template.spec.serviceAccountName).toBe('ksm-kube-state-metrics');
    const role = docs.find((d) => d.doc.kind === 'ClusterRole')!.doc as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
    expect(role.rules).toHaveLength(28);
    expect(role.rules).toContainEqual({ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] });
    expect(docs.find((d) => d.doc.kind === 'ClusterRoleBinding')!.doc.subjects).toEqual([{ kind: 'ServiceAccount', name: 'ksm-kube-state-metrics', namespace: 'monitoring' }]);
    expect(docs.find((d) => d.doc.kind === 'ServiceAccount')).toBeDefined();
  });

  it('autosharding renders a StatefulSet with the shard flags', () => {
    const w = workload(render('autosharding:\n  enabled: true\nreplicas: 3\n'));
    expect(w.kind).toBe('StatefulSet');
    expect(w.spec.template.spec.containers[0].args.slice(-2)).toEqual(['--pod=$(POD_NAME)', '--pod-namespace=$(POD_NAMESPACE)']);
  });

  it('writes the args as the chart does: extraArgs first, collectorsExclude / collectorsExtra, namespaces', () => {
    expect(args('extraArgs: ["--enable-gzip-encoding"]\ncollectors: [pods, nodes, secrets]\ncollectorsExclude: [secrets]\ncollectorsExtra: [nodes, roles]\nnamespaces: "a, b"\nreleaseNamespace: true\nnamespacesDenylist: [kube-system]\n')).toEqual([
      '--enable-gzip-encoding',
      '--port=8080',
      '--resources=pods,nodes,roles',
      '--namespaces=a,b,monitoring',
      '--namespaces-denylist=kube-system',
    ]);
    // No collectors: no --resources flag (kube-state-metrics' own defaults).
    expect(args('collectors: []\n')).toEqual(['--port=8080']);
  });

  it.each([
    ['chart defaults (Deployment)', ''],
    ['autosharding (StatefulSet)', 'autosharding:\n  enabled: true\n'],
    ['pods only, node-scoped by extraArgs', 'collectors: [pods]\nextraArgs: ["--node=$(NODE_NAME)"]\n'],
    // `controller` exists only in an unreleased proposal (helm-charts#5142): the chart renders a Deployment.
    ['controller: daemonset (not a chart value)', 'controller: daemonset\n'],
    ['custom image, resources and namespaces', 'image:\n  tag: v2.13.0\nresources:\n  requests:\n    cpu: 10m\nnamespaces: [a]\n'],
  ])('no findings: %s', (_name, values) => {
    expect(findings(values)).toEqual([]);
    expect(['Deployment', 'StatefulSet']).toContain(workload(render(values)).kind);
  });

  it('the rendered args are what the DaemonSet rule reads: all collectors without --node are judged, pods with --node are not', () => {
    expect(watchAllFindings({ 'ds.yaml': asDaemonSet('') })).toEqual(['watch-all/daemonset-cluster-watch critical serviceaccount:monitoring/ksm-kube-state-metrics', 'watch-all/kube-state-metrics-daemonset critical kube-state-metrics@DaemonSet/ksm-kube-state-metrics/spec.template.spec.containers.0']);
    expect(watchAllFindings({ 'ds.yaml': asDaemonSet('collectors: [pods]\nextraArgs: ["--node=$(NODE_NAME)"]\n') })).toEqual([]);
  });

  it('spot: --resources and the ClusterRole rules point at the collectors, extraArgs and env at their entries', () => {
    const docs = render('collectors: [pods]\ncollectorsExtra: [nodes]\nextraArgs: ["--node=$(NODE_NAME)"]\nenv:\n  - name: GOMAXPROCS\n    value: "2"\n');
    const w = docs[0];
    const c: (string | number)[] = ['spec', 'template', 'spec', 'containers', 0];
    expect(w.spot([...c, 'args', 0])).toEqual({ path: ['extraArgs', 0] });
    expect(w.spot([...c, 'args', 2])).toEqual({ path: ['collectors'] });
    expect(w.spot([...c, 'env', 0, 'value'])).toEqual({ path: ['env', 0] });
    expect(w.spot(['spec', 'template', 'spec', 'serviceAccountName'])).toEqual({ path: ['serviceAccount'] });
    const role = docs.find((d) => d.doc.kind === 'ClusterRole')!;
    expect(role.spot(['rules', 0])).toEqual({ path: ['collectors', 0] });
    expect(role.spot(['rules', 1, 'resources', 0])).toEqual({ path: ['collectorsExtra', 0] });
  });

  it('follows fullnameOverride, namespaceOverride, serviceAccount and rbac switches', () => {
    const docs = render('fullnameOverride: ksm\nnamespaceOverride: other\nserviceAccount:\n  create: false\n  name: reader\nrbac:\n  useExistingRole: view\n');
    expect(workload(docs).metadata).toEqual(expect.objectContaining({ name: 'ksm', namespace: 'other' }));
    expect(workload(docs).spec.template.spec.serviceAccountName).toBe('reader');
    expect(docs.map((d) => d.doc.kind)).toEqual(['Deployment', 'ClusterRoleBinding']);
    expect(docs[1].doc.roleRef).toMatchObject({ name: 'view' });
    expect(kubeStateMetricsChart.render({ name: 'kube-state-metrics', namespace: null, chart: 'kube-state-metrics' }, valuesOf(kubeStateMetricsChart, ''))[0].doc.metadata).toEqual(expect.objectContaining({ name: 'kube-state-metrics' }));
  });

  it('never throws on odd values', () => {
    for (const v of ['collectors: pods\nextraArgs: "--x"\nenv: {a: b}\n', 'image: null\nservice: []\nrbac: yes\nautosharding: 1\n', 'namespaces: [1, null, a]\nrbac:\n  extraRules: [1, {apiGroups: [x], resources: [y], verbs: [list]}]\n', 'selectorOverride: {app: ksm}\ncustomLabels: 3\n']) {
      expect(() => renderManifest(kubeStateMetricsChart, v, RELEASE)).not.toThrow();
    }
  });
});

const CHART = 'prometheus-community+helm-charts/charts/kube-state-metrics/';

describe.skipIf(!HAS_CORPUS)("kube-state-metrics chart adapter: the chart's own values", () => {
  it('renders values.yaml and every ci values file without throwing and without findings', () => {
    const chartValues = readCorpus(CHART + 'values.yaml');
    const files = readdirSync(CORPUS_DIR + CHART + 'ci').filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of ['', ...files]) {
      const text = f ? readCorpus(CHART + 'ci/' + f) : '';
      const manifest = renderManifest(kubeStateMetricsChart, text, RELEASE, chartValues);
      expect(watchAllFindings({ 'rendered.yaml': manifest }), f).toEqual([]);
      expect(jsyaml.loadAll(manifest).length, f).toBeGreaterThan(1);
    }
  });

  it('the defaults equal the chart values.yaml for the knobs read', () => {
    const chart = jsyaml.load(readCorpus(CHART + 'values.yaml')) as Record<string, unknown>;
    for (const k of ['collectors', 'collectorsExclude', 'collectorsExtra', 'extraArgs', 'autosharding', 'replicas', 'namespaces', 'releaseNamespace']) {
      expect(kubeStateMetricsChart.defaults[k], k).toEqual(chart[k]);
    }
    expect(readCorpus(CHART + 'Chart.yaml')).toMatch(/appVersion: 2\.20\.0/);
  });
});
