/**
 * The Datadog chart adapter (src/helm/charts/datadog.ts): values that make node agents read the API server
 * give the watch-all findings the chart's own rendering would, the safe twins give none, findings point
 * back at the values key that caused them, and every baseline pair of the chart's repository (values →
 * rendered manifests, chart 3.240.0) gives the same findings through the adapter as through the chart.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import jsyaml from 'js-yaml';
import { CORPUS_DIR, HAS_CORPUS, readCorpus } from '../helpers/corpus.js';
import { renderManifest, valuesOf, watchAllFindings } from '../helpers/charts.js';
import { datadogChart } from '../../src/helm/charts/datadog.js';
import type { RenderedDoc } from '../../src/helm/chart.js';
import type { YamlPath } from '../../src/types.js';

/** The release the chart's baselines are rendered as (`datadog` in namespace `datadog-agent`). */
const RELEASE = { name: 'datadog', namespace: 'datadog-agent' };
const KEY = 'datadog:\n  apiKeyExistingSecret: datadog-secret\n';

const findings = (values: string) => watchAllFindings({ 'rendered.yaml': renderManifest(datadogChart, values, RELEASE) });
const render = (values: string): RenderedDoc[] => datadogChart.render({ ...RELEASE, chart: 'datadog' }, valuesOf(datadogChart, values));
const docOf = (docs: RenderedDoc[], kind: string, name?: string) => {
  const d = docs.find((x) => x.doc.kind === kind && (name === undefined || (x.doc.metadata as { name?: string }).name === name));
  if (!d) throw new Error(`no ${kind} ${name ?? ''}`);
  return d;
};
type Container = { name: string; env?: Array<{ name: string; value?: string }> };
const containers = (d: RenderedDoc) => ((d.doc.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers);
/** The path of env var `name` on container `i` of a DaemonSet. */
const envPath = (d: RenderedDoc, i: number, name: string): YamlPath => {
  const j = (containers(d)[i].env ?? []).findIndex((e) => e.name === name);
  expect(j).toBeGreaterThanOrEqual(0);
  return ['spec', 'template', 'spec', 'containers', i, 'env', j, 'value'];
};

const DS = 'DaemonSet/datadog/spec.template.spec.containers';
const DCW = 'watch-all/daemonset-cluster-watch high serviceaccount:datadog-agent/datadog';

describe('datadog chart adapter: values → findings', () => {
  it.each([
    ['cluster agent disabled: leader election on every node, cluster-wide RBAC', KEY + 'clusterAgent:\n  enabled: false\n', [DCW, `watch-all/datadog-agent medium cluster-agent-disabled@${DS}.0`]],
    [
      'cluster agent disabled without leader election: DD_CLUSTER_AGENT_ENABLED=false on the trace-agent',
      KEY + '  leaderElection: false\n  collectEvents: false\nclusterAgent:\n  enabled: false\n',
      [DCW, `watch-all/datadog-agent medium cluster-agent-disabled@${DS}.1`],
    ],
    ['kubelet.useApiServer: pods from the API server (node-scoped, so no RBAC finding)', KEY + '  kubelet:\n    useApiServer: true\n', [`watch-all/datadog-agent medium kubelet-use-api-server@${DS}.0`]],
    [
      'kubernetes_state_core in the node agent confd',
      KEY + '  confd:\n    kubernetes_state_core.yaml: |-\n      init_config:\n      instances:\n        - collectors:\n          - pods\n          - nodes\n',
      ['watch-all/datadog-agent critical ksm-core@ConfigMap/datadog-confd/data.kubernetes_state_core.yaml'],
    ],
    ['DD_KUBE_STATE_METRICS_CORE_ENABLED through datadog.env', KEY + '  env:\n    - name: DD_KUBE_STATE_METRICS_CORE_ENABLED\n      value: "true"\n', [`watch-all/datadog-agent critical ksm-core-env@${DS}.0`]],
    ['legacy kubernetes_state check in confd', KEY + '  confd:\n    kubernetes_state.yaml: |-\n      init_config:\n      instances:\n        - kube_state_url: http://ksm:8080/metrics\n', ['watch-all/datadog-agent medium ksm-legacy@ConfigMap/datadog-confd/data.kubernetes_state.yaml']],
    ['no API key in the repository (given at install time): still rendered', 'clusterAgent:\n  enabled: false\n', [DCW, `watch-all/datadog-agent medium cluster-agent-disabled@${DS}.0`]],
  ])('%s', (_name, values, expected) => {
    expect(findings(values)).toEqual(expected);
  });

  it.each([
    ['chart defaults (cluster agent enabled)', KEY],
    ['image tag and resources', KEY + 'agents:\n  image:\n    tag: 7.70.0\n  containers:\n    agent:\n      resources:\n        requests:\n          cpu: 200m\n'],
    ['cluster agent replicas', KEY + 'clusterAgent:\n  replicas: 2\n'],
    ['kubernetes_state_core as a cluster check', KEY + '  confd:\n    kubernetes_state_core.yaml: |-\n      cluster_check: true\n      init_config:\n      instances:\n        - collectors: [pods]\n'],
    ['joining an existing cluster agent', KEY + 'clusterAgent:\n  enabled: false\nexistingClusterAgent:\n  join: true\n  serviceName: dca\n  tokenSecretName: dca-token\n'],
    ['clusterAgent.enabled "false" as a string (true for Helm)', KEY + 'clusterAgent:\n  enabled: "false"\n'],
    ['APM, NPM, security and OTel containers', KEY + '  apm:\n    portEnabled: true\n  networkMonitoring:\n    enabled: true\n  securityAgent:\n    runtime:\n      enabled: true\n  otelCollector:\n    enabled: true\n'],
    ['agents disabled', KEY + 'clusterAgent:\n  enabled: false\nagents:\n  enabled: false\n'],
  ])('safe: %s', (_name, values) => {
    expect(findings(values)).toEqual([]);
  });

  it('renders the chart objects with consistent names, labels and joins', () => {
    const docs = render(KEY + '  confd:\n    redisdb.yaml: "init_config:\\n"\n');
    const ds = docOf(docs, 'DaemonSet', 'datadog');
    const spec = (ds.doc.spec as { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName: string; volumes: Array<{ name: string; configMap?: { name: string } }> } } });
    expect(ds.doc.metadata).toMatchObject({ namespace: 'datadog-agent' });
    expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
    expect(spec.template.spec.serviceAccountName).toBe('datadog');
    expect(spec.template.spec.volumes.find((v) => v.name === 'confd')?.configMap?.name).toBe('datadog-confd');
    expect(containers(ds).map((c) => c.name)).toEqual(['agent', 'trace-agent', 'system-probe']);
    expect((containers(ds)[0] as unknown as { image: string }).image).toBe('registry.datadoghq.com/agent:7.81.1');
    expect(docOf(docs, 'ClusterRoleBinding', 'datadog').doc.subjects).toEqual([{ kind: 'ServiceAccount', name: 'datadog', namespace: 'datadog-agent' }]);
    expect(docOf(docs, 'Deployment', 'datadog-cluster-agent')).toBeDefined();
    expect(docOf(docs, 'ConfigMap', 'datadog-confd').doc.data).toEqual({ 'redisdb.yaml': 'init_config:\n' });
  });

  it('follows the chart for release names, fullnameOverride, FIPS and -full images, GKE Autopilot', () => {
    const other = datadogChart.render({ name: 'monitoring', namespace: null, chart: 'datadog' }, valuesOf(datadogChart, 'useFIPSAgent: true\nagents:\n  image:\n    tag: 7.78.0\n    tagSuffix: full\n'));
    const ds = docOf(other, 'DaemonSet', 'monitoring-datadog');
    expect(ds.doc.metadata).not.toHaveProperty('namespace');
    expect((containers(ds)[0] as unknown as { image: string }).image).toBe('registry.datadoghq.com/agent:7.78.0-fips-full');
    const ap = render('providers:\n  gke:\n    autopilot: true\n');
    expect((docOf(ap, 'DaemonSet').doc.spec as { template: { spec: { serviceAccountName: string } } }).template.spec.serviceAccountName).toBe('datadog-agent');
    expect(containers(docOf(ap, 'DaemonSet')).map((c) => c.name)).toEqual(['agent']);
    expect(docOf(render('fullnameOverride: dd\n'), 'DaemonSet', 'dd')).toBeDefined();
  });

  it('never throws on odd values', () => {
    for (const v of [
      'datadog: []\nclusterAgent: yes\nagents: 3\n',
      'datadog:\n  confd: just-a-string\n  env: {a: b}\n  envDict: [1, 2]\n  kubelet: null\n',
      'datadog:\n  confd:\n    a.yaml: {instances: [1]}\n  env:\n    - value: no-name\n    - name: X\n',
      'agents:\n  image: null\n  containers: []\nclusterAgent:\n  image: 5\nregistry: 7\n',
      'targetSystem: windows\nproviders:\n  gke:\n    gdc: true\n',
    ]) expect(() => renderManifest(datadogChart, v, RELEASE)).not.toThrow();
  });
});

describe('datadog chart adapter: spot', () => {
  it('cluster-agent-disabled (DD_LEADER_ELECTION on the agent) and the RBAC finding point at clusterAgent.enabled', () => {
    const docs = render(KEY + 'clusterAgent:\n  enabled: false\n');
    const ds = docOf(docs, 'DaemonSet');
    expect(ds.spot(envPath(ds, 0, 'DD_LEADER_ELECTION'))).toEqual({ path: ['clusterAgent', 'enabled'] });
    expect(ds.spot(envPath(ds, 1, 'DD_CLUSTER_AGENT_ENABLED'))).toEqual({ path: ['clusterAgent', 'enabled'] });
    expect(ds.spot(envPath(ds, 0, 'DD_COLLECT_KUBERNETES_EVENTS'))).toEqual({ path: ['datadog', 'collectEvents'] });
    expect(ds.spot(['spec', 'template', 'spec', 'serviceAccountName'])).toEqual({ path: ['clusterAgent', 'enabled'] });
    const role = docOf(docs, 'ClusterRole');
    expect(role.spot(['rules', 0])).toEqual({ path: ['clusterAgent', 'enabled'] });
    expect(role.spot(['rules', 0, 'resources', 3])).toEqual({ path: ['clusterAgent', 'enabled'] });
  });

  it('kubelet-use-api-server points at datadog.kubelet.useApiServer, in the env and in the ClusterRole', () => {
    const docs = render(KEY + '  kubelet:\n    useApiServer: true\n');
    const ds = docOf(docs, 'DaemonSet');
    expect(ds.spot(envPath(ds, 0, 'DD_KUBELET_USE_API_SERVER'))).toEqual({ path: ['datadog', 'kubelet', 'useApiServer'] });
    const role = docOf(docs, 'ClusterRole');
    const i = (role.doc.rules as Array<{ resources?: string[]; verbs: string[] }>).findIndex((r) => r.resources?.[0] === 'pods' && r.verbs.includes('list'));
    expect(role.spot(['rules', i])).toEqual({ path: ['datadog', 'kubelet', 'useApiServer'] });
  });

  it('user env entries point at their entry; confd keys at the key, line for line', () => {
    const docs = render(KEY + '  env:\n    - name: DD_KUBE_STATE_METRICS_CORE_ENABLED\n      value: "true"\n  confd:\n    kubernetes_state_core.yaml: |-\n      init_config:\n      instances:\n        - collectors: [pods]\n');
    const ds = docOf(docs, 'DaemonSet');
    expect(ds.spot(envPath(ds, 0, 'DD_KUBE_STATE_METRICS_CORE_ENABLED'))).toEqual({ path: ['datadog', 'env', 0] });
    const cm = docOf(docs, 'ConfigMap', 'datadog-confd');
    expect(cm.spot(['data', 'kubernetes_state_core.yaml'], 1)).toEqual({ path: ['datadog', 'confd', 'kubernetes_state_core.yaml'], innerLine: 1 });
    expect(cm.spot(['data', 'kubernetes_state_core.yaml', 'instances'])).toEqual({ path: ['datadog', 'confd', 'kubernetes_state_core.yaml'], innerLine: 1 });
    expect(ds.spot(['spec', 'template', 'spec', 'containers', 0, 'env', 0, 'value'])).toEqual({ path: ['datadog', 'apiKeyExistingSecret'] });
  });
});

const BASE = 'DataDog+helm-charts/test/datadog/baseline/';
const PAIRS = HAS_CORPUS ? readdirSync(CORPUS_DIR + BASE + 'values').filter((f) => f.endsWith('.yaml')).sort() : [];

/**
 * Pairs whose rendering differs from the chart's in shape (never in findings): the chart renders no
 * DaemonSet without an API key in the values, the adapter does (see the module comment).
 */
const NO_DAEMONSET_IN_CHART = new Set([
  'cluster-agent-deployment_default.yaml',
  'cluster-agent-deployment_default_advanced_AC_injection.yaml',
  'cluster-agent-deployment_default_minimal_AC_injection.yaml',
  'cluster-agent-deployment_default_workload_exclude.yaml',
]);

type Obj = { kind?: string; spec?: { template?: { spec?: { serviceAccountName?: string; containers?: Array<{ name: string; image: string }> } } } };
/** The node agent's ServiceAccount and containers (name=image). */
const shape = (t: string) =>
  (jsyaml.loadAll(t) as Obj[]).filter((d) => d?.kind === 'DaemonSet').map((d) => [d.spec?.template?.spec?.serviceAccountName, ...(d.spec?.template?.spec?.containers ?? []).map((c) => `${c.name}=${c.image}`)].join(' '));

describe.skipIf(!HAS_CORPUS)('datadog chart adapter: the chart baselines (values → manifests)', () => {
  it('holds the pairs', () => {
    expect(PAIRS.length).toBeGreaterThanOrEqual(50);
  });

  it.each(PAIRS)('%s: same findings (rule severity key) as the chart rendering', (f) => {
    const file = `${BASE}manifests/${f}`;
    const want = watchAllFindings({ [file]: readCorpus(file) });
    const got = watchAllFindings({ [file]: renderManifest(datadogChart, readCorpus(`${BASE}values/${f}`), RELEASE) });
    expect(got).toEqual(want);
  });

  it.each(PAIRS)('%s: same node agent ServiceAccount, containers and images', (f) => {
    const got = shape(renderManifest(datadogChart, readCorpus(`${BASE}values/${f}`), RELEASE));
    const want = shape(readCorpus(`${BASE}manifests/${f}`));
    if (NO_DAEMONSET_IN_CHART.has(f)) {
      expect(want).toEqual([]);
      expect(got).toHaveLength(1);
    } else expect(got).toEqual(want);
  });

  it("renders the chart's own values.yaml, ci values and examples without throwing", () => {
    const chartValues = readCorpus('DataDog+helm-charts/charts/datadog/values.yaml');
    expect(() => renderManifest(datadogChart, '', RELEASE, chartValues)).not.toThrow();
    for (const dir of ['DataDog+helm-charts/charts/datadog/ci/', 'DataDog+helm-charts/examples/datadog/']) {
      for (const f of readdirSync(CORPUS_DIR + dir).filter((x) => x.endsWith('.yaml'))) {
        expect(() => renderManifest(datadogChart, readCorpus(dir + f), RELEASE, chartValues), f).not.toThrow();
      }
    }
  });
});
