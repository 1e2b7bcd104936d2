/**
 * The OpenTelemetry Collector chart adapter (src/helm/charts/opentelemetry-collector.ts): what it renders
 * from values, where findings on its objects point back to in the values (`spot`), and, against the corpus,
 * that its rendering of each chart example's values gives the watch-all findings of the chart's own
 * rendered output (chart 0.170.0, release `example`, namespace `default`).
 */
import { existsSync, readdirSync } from 'node:fs';
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { agentConfigsOf } from '../../src/agents/config.js';
import type { Detection } from '../../src/agents/kit.js';
import type { RenderedDoc, ValuesSpot } from '../../src/helm/chart.js';
import { otelCollectorChart as chart } from '../../src/helm/charts/opentelemetry-collector.js';
import { treeFromFiles } from '../../src/tree.js';
import type { KubeObject, YamlPath } from '../../src/types.js';
import { asMap, getIn } from '../../src/yaml/walk.js';
import { detector as clusterReceivers } from '../../rules/watch-all/otel-cluster-receivers.js';
import { detector as k8sattributes } from '../../rules/watch-all/otel-k8sattributes.js';
import { renderManifest, valuesOf, watchAllFindings } from '../helpers/charts.js';
import { CORPUS_DIR, HAS_CORPUS, readCorpus } from '../helpers/corpus.js';

const RELEASE = { name: 'example', namespace: 'default', chart: 'opentelemetry-collector' } as const;
const AGENT_CM = 'ConfigMap/example-opentelemetry-collector-agent/data.relay';
const SA = 'serviceaccount:default/example-opentelemetry-collector';

/** The adapter's objects for a values text. */
const docsOf = (values: string): RenderedDoc[] => chart.render(RELEASE, valuesOf(chart, values));
const findingsOf = (values: string): string[] => watchAllFindings({ 'values.rendered.yaml': renderManifest(chart, values) });
const docOf = (docs: RenderedDoc[], kind: string): RenderedDoc => {
  const d = docs.find((x) => x.doc.kind === kind);
  if (!d) throw new Error(`no ${kind} rendered`);
  return d;
};
const relayOf = (docs: RenderedDoc[]) => jsyaml.load(String(getIn(docOf(docs, 'ConfigMap').doc, ['data', 'relay']))) as Record<string, unknown>;
const spotOf = (docs: RenderedDoc[], kind: string, path: YamlPath): ValuesSpot | undefined => docOf(docs, kind).spot(path);

/**
 * Runs the OTel detectors on the rendered objects and maps each detection's location back through the
 * rendered object's `spot`: the values path a finding of that key would point at.
 */
function detectionSpots(values: string): Record<string, YamlPath | undefined> {
  const docs = docsOf(values);
  const text = docs.map((d) => jsyaml.dump(d.doc, { noRefs: true, lineWidth: -1 })).join('---\n');
  // Marked as the pipeline marks an adapter's objects, so that locations inside a config stay paths.
  const rendered = { release: RELEASE.name, group: RELEASE.name, origin: () => ({ file: 'values.yaml', place: '' }), locate: () => ({ file: 'values.yaml', line: 1 }) };
  const objects: KubeObject[] = treeFromFiles('head', [{ path: 'rendered.yaml', text }]).objects.map((o) => ({ ...o, rendered }));
  const out: Record<string, YamlPath | undefined> = {};
  for (const workload of objects.filter((o) => o.kind === 'DaemonSet')) {
    for (const config of agentConfigsOf(workload, objects)) {
      const detections: Detection[] = [...k8sattributes(config), ...clusterReceivers(config)];
      for (const d of detections) {
        if (d.quiet || !d.at) continue;
        const rendered = docs.find((x) => x.doc.kind === d.at!.object.kind && asMap(x.doc.metadata)?.name === d.at!.object.name);
        out[d.key] = rendered?.spot(d.at.path ?? [])?.path;
      }
    }
  }
  return out;
}

const daemonset = (rest = '') => `mode: daemonset\n${rest}`;
const USER_K8SATTRIBUTES = `config:
  processors:
    k8sattributes:
      extract:
        metadata: [k8s.pod.name, k8s.namespace.name]
  service:
    pipelines:
      traces:
        processors: [memory_limiter, k8sattributes, batch]
`;

describe('opentelemetry-collector adapter: findings of rendered values', () => {
  const cases: Array<{ name: string; values: string; findings: string[] }> = [
    {
      name: 'daemonset, a hand-written k8sattributes without a node filter in a pipeline (the issue\'s done-criterion)',
      values: daemonset(USER_K8SATTRIBUTES),
      findings: [`watch-all/otel-k8sattributes critical processors.k8s_attributes@${AGENT_CM}`],
    },
    {
      name: 'daemonset, the deprecated name kept by rewriteDeprecatedComponentNames: false',
      values: daemonset(`rewriteDeprecatedComponentNames: false\n${USER_K8SATTRIBUTES}`),
      findings: [`watch-all/otel-k8sattributes critical processors.k8sattributes@${AGENT_CM}`],
    },
    {
      name: 'daemonset, the processor in alternateConfig',
      values: daemonset(`alternateConfig:
  processors:
    k8s_attributes: {}
  exporters:
    debug: {}
  service:
    pipelines:
      logs: {receivers: [otlp], processors: [k8s_attributes], exporters: [debug]}
`),
      findings: [`watch-all/otel-k8sattributes critical processors.k8s_attributes@${AGENT_CM}`],
    },
    {
      // The rule still sees the preset's default k8s.deployment.name without deployment_name_from_replicaset
      // (a ReplicaSet watch, at most medium), but no pod watch.
      name: 'daemonset, presets.kubernetesAttributes only: the chart adds the node filter and K8S_NODE_NAME',
      values: daemonset('presets:\n  kubernetesAttributes:\n    enabled: true\n'),
      findings: [`watch-all/otel-k8sattributes medium processors.k8s_attributes@${AGENT_CM}`],
    },
    {
      // The user's extract.metadata (no k8s.deployment.name) replaces the preset's list: fully node-scoped.
      name: 'daemonset, the preset plus the user\'s deprecated-name processor: merged, the filter kept',
      values: daemonset(`presets:\n  kubernetesAttributes:\n    enabled: true\n${USER_K8SATTRIBUTES}`),
      findings: [],
    },
    {
      name: 'daemonset, the preset with deployment_name_from_replicaset: fully node-scoped',
      values: daemonset(`presets:\n  kubernetesAttributes:\n    enabled: true\nconfig:\n  processors:\n    k8s_attributes:\n      extract:\n        deployment_name_from_replicaset: true\n`),
      findings: [],
    },
    {
      name: 'daemonset, a node filter naming an env var the chart never sets',
      values: daemonset(`config:\n  processors:\n    k8s_attributes:\n      filter:\n        node_from_env_var: MY_NODE\n      extract:\n        metadata: [k8s.pod.name]\n  service:\n    pipelines:\n      traces:\n        processors: [k8s_attributes, batch]\n`),
      findings: [`watch-all/otel-k8sattributes critical processors.k8s_attributes@${AGENT_CM}`],
    },
    {
      name: 'daemonset, the same filter with the env var set from spec.nodeName in extraEnvs',
      values: daemonset(`extraEnvs:\n  - name: MY_NODE\n    valueFrom:\n      fieldRef:\n        fieldPath: spec.nodeName\nconfig:\n  processors:\n    k8s_attributes:\n      filter:\n        node_from_env_var: MY_NODE\n      extract:\n        metadata: [k8s.pod.name]\n  service:\n    pipelines:\n      traces:\n        processors: [k8s_attributes, batch]\n`),
      findings: [],
    },
    {
      name: 'daemonset, an unfiltered processor no pipeline uses',
      values: daemonset('config:\n  processors:\n    k8sattributes: {}\n'),
      findings: [],
    },
    {
      name: 'deployment mode with the unfiltered processor: a gateway, no watch-all finding',
      values: `mode: deployment\n${USER_K8SATTRIBUTES}`,
      findings: [],
    },
    {
      name: 'statefulset mode with the unfiltered processor',
      values: `mode: statefulset\n${USER_K8SATTRIBUTES}`,
      findings: [],
    },
    {
      name: 'daemonset, resources and image tag only',
      values: daemonset('image:\n  repository: otel/opentelemetry-collector-k8s\n  tag: 0.150.0\nresources:\n  limits:\n    cpu: 500m\n    memory: 1Gi\n'),
      findings: [],
    },
    {
      name: 'daemonset, node-local presets (logs, host metrics, kubelet metrics)',
      values: daemonset('presets:\n  logsCollection:\n    enabled: true\n    storeCheckpoints: true\n  hostMetrics:\n    enabled: true\n  kubeletMetrics:\n    enabled: true\n'),
      findings: [],
    },
    {
      name: 'daemonset, clusterMetrics: leader-elected since chart 0.141.1 (lease polling × N)',
      values: daemonset('presets:\n  clusterMetrics:\n    enabled: true\n'),
      findings: [`watch-all/otel-cluster-receivers medium receivers.k8s_cluster@${AGENT_CM}`],
    },
    {
      name: 'daemonset, clusterMetrics with disableLeaderElection: true (full severity)',
      values: daemonset('presets:\n  clusterMetrics:\n    enabled: true\n    disableLeaderElection: true\n'),
      findings: [`watch-all/daemonset-cluster-watch critical ${SA}`, `watch-all/otel-cluster-receivers critical receivers.k8s_cluster@${AGENT_CM}`],
    },
    {
      name: 'deployment, clusterMetrics with disableLeaderElection: true: one replica, no finding',
      values: 'mode: deployment\npresets:\n  clusterMetrics:\n    enabled: true\n    disableLeaderElection: true\n',
      findings: [],
    },
    {
      name: 'daemonset, a hand-written k8s_cluster receiver without an elector',
      values: daemonset('config:\n  receivers:\n    k8s_cluster: {}\n  service:\n    pipelines:\n      metrics:\n        receivers: [otlp, k8s_cluster]\n'),
      findings: [`watch-all/otel-cluster-receivers critical receivers.k8s_cluster@${AGENT_CM}`],
    },
    {
      name: 'daemonset, kubernetesObjects with watch: leader-elected',
      values: daemonset('presets:\n  kubernetesObjects:\n    enabled: true\n    watch: true\n'),
      findings: [`watch-all/otel-cluster-receivers medium receivers.k8sobjects@${AGENT_CM}`],
    },
    {
      name: 'daemonset, kubernetesObjects with disableLeaderElection',
      values: daemonset('presets:\n  kubernetesObjects:\n    enabled: true\n    disableLeaderElection: true\n'),
      findings: [`watch-all/daemonset-cluster-watch critical ${SA}`, `watch-all/otel-cluster-receivers critical receivers.k8sobjects@${AGENT_CM}`],
    },
    {
      name: 'daemonset, kubernetesEvents: no receiver in daemonset mode, only the RBAC grant',
      values: daemonset('presets:\n  kubernetesEvents:\n    enabled: true\n'),
      findings: [`watch-all/daemonset-cluster-watch high ${SA}`],
    },
    {
      name: 'daemonset, clusterRole.rules granting pods list',
      values: daemonset('clusterRole:\n  create: true\n  rules:\n    - apiGroups: [""]\n      resources: [pods]\n      verbs: [get, list, watch]\n'),
      findings: [`watch-all/daemonset-cluster-watch high ${SA}`],
    },
    {
      name: 'daemonset, the same grant declared node-scoped on the pods',
      values: daemonset('podAnnotations:\n  blast-radius.dev/api-scope: node\nclusterRole:\n  create: true\n  rules:\n    - apiGroups: [""]\n      resources: [pods]\n      verbs: [get, list, watch]\n'),
      findings: [],
    },
    {
      name: 'daemonset, an existing ConfigMap: no config to judge',
      values: daemonset('configMap:\n  create: false\n  existingName: my-config\n'),
      findings: [],
    },
    {
      name: 'no mode: the chart refuses to install',
      values: USER_K8SATTRIBUTES,
      findings: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(findingsOf(c.values)).toEqual(c.findings);
    });
  }
});

describe('opentelemetry-collector adapter: what it renders', () => {
  it('names the daemonset objects as the chart does and wires the config volume', () => {
    const docs = docsOf(daemonset('presets:\n  kubernetesAttributes:\n    enabled: true\n'));
    expect(docs.map((d) => `${d.doc.kind}/${String(asMap(d.doc.metadata)?.name)}`)).toEqual([
      'ConfigMap/example-opentelemetry-collector-agent',
      'DaemonSet/example-opentelemetry-collector-agent',
      'ServiceAccount/example-opentelemetry-collector',
      'ClusterRole/example-opentelemetry-collector',
      'ClusterRoleBinding/example-opentelemetry-collector',
    ]);
    const pod = getIn(docOf(docs, 'DaemonSet').doc, ['spec', 'template', 'spec']);
    expect(getIn(pod, ['volumes', 0, 'configMap'])).toEqual({ name: 'example-opentelemetry-collector-agent', items: [{ key: 'relay', path: 'relay.yaml' }] });
    expect(getIn(pod, ['containers', 0, 'args'])).toEqual(['--config=/conf/relay.yaml']);
    expect(getIn(pod, ['serviceAccountName'])).toBe('example-opentelemetry-collector');
    const env = JSON.stringify(getIn(pod, ['containers', 0, 'env']));
    expect(env).toContain('{"name":"K8S_NODE_NAME","valueFrom":{"fieldRef":{"fieldPath":"spec.nodeName"}}}');
    const relay = relayOf(docs);
    expect(getIn(relay, ['processors', 'k8s_attributes', 'filter'])).toEqual({ node_from_env_var: 'K8S_NODE_NAME' });
    expect(getIn(relay, ['service', 'pipelines', 'traces', 'processors'])).toEqual(['k8s_attributes', 'memory_limiter', 'batch']);
  });

  it('names the deployment and statefulset ConfigMaps as the chart does', () => {
    expect(asMap(docOf(docsOf('mode: deployment\n'), 'ConfigMap').doc.metadata)?.name).toBe('example-opentelemetry-collector');
    expect(asMap(docOf(docsOf('mode: statefulset\n'), 'ConfigMap').doc.metadata)?.name).toBe('example-opentelemetry-collector-statefulset');
    expect(docOf(docsOf('mode: deployment\nreplicaCount: 3\n'), 'Deployment').doc.spec).toMatchObject({ replicas: 3 });
  });

  it('leaves the node filter out in deployment mode, and K8S_NODE_NAME too', () => {
    const docs = docsOf('mode: deployment\npresets:\n  kubernetesAttributes:\n    enabled: true\n');
    expect(getIn(relayOf(docs), ['processors', 'k8s_attributes', 'filter'])).toBeUndefined();
    expect(JSON.stringify(docOf(docs, 'Deployment').doc)).not.toContain('"name":"K8S_NODE_NAME"');
  });

  it('merges the user\'s processor over the preset, the user\'s values winning but not an empty one', () => {
    const relay = relayOf(docsOf(daemonset('presets:\n  kubernetesAttributes:\n    enabled: true\nconfig:\n  processors:\n    k8sattributes:\n      filter:\n        node_from_env_var: ""\n        namespace: apps\n')));
    expect(getIn(relay, ['processors', 'k8sattributes'])).toBeUndefined();
    expect(getIn(relay, ['processors', 'k8s_attributes', 'filter'])).toEqual({ node_from_env_var: 'K8S_NODE_NAME', namespace: 'apps' });
  });

  it('replaces a pipeline\'s processors list with the user\'s (Helm) and still adds the preset\'s processor', () => {
    const relay = relayOf(docsOf(daemonset('presets:\n  kubernetesAttributes:\n    enabled: true\nconfig:\n  service:\n    pipelines:\n      logs:\n        processors: [batch]\n')));
    expect(getIn(relay, ['service', 'pipelines', 'logs', 'processors'])).toEqual(['k8s_attributes', 'batch']);
  });

  it('wires the cluster receiver\'s leader election in daemonset mode only, lease in the release namespace', () => {
    const relay = relayOf(docsOf(daemonset('presets:\n  clusterMetrics:\n    enabled: true\n')));
    expect(getIn(relay, ['receivers', 'k8s_cluster'])).toEqual({ k8s_leader_elector: 'k8s_leader_elector/k8s_cluster', collection_interval: '10s' });
    expect(getIn(relay, ['extensions', 'k8s_leader_elector/k8s_cluster'])).toEqual({ auth_type: 'serviceAccount', lease_name: 'k8s.cluster.receiver.opentelemetry.io', lease_namespace: 'default' });
    expect(getIn(relay, ['service', 'extensions'])).toEqual(['health_check', 'k8s_leader_elector/k8s_cluster']);
    expect(getIn(relayOf(docsOf('mode: deployment\npresets:\n  clusterMetrics:\n    enabled: true\n')), ['receivers', 'k8s_cluster'])).toEqual({ collection_interval: '10s' });
  });

  it('leaves kubernetesEvents out of the daemonset config but grants its RBAC', () => {
    const docs = docsOf(daemonset('presets:\n  kubernetesEvents:\n    enabled: true\n'));
    expect(getIn(relayOf(docs), ['receivers', 'k8sobjects'])).toBeUndefined();
    expect(getIn(docOf(docs, 'ClusterRole').doc, ['rules'])).toEqual([{ apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['watch', 'list'] }]);
  });

  it('mounts an existing ConfigMap (templated name) and renders none', () => {
    const docs = docsOf(daemonset("configMap:\n  create: false\n  existingName: '{{ .Release.Name }}-config'\n"));
    expect(docs.some((d) => d.doc.kind === 'ConfigMap')).toBe(false);
    expect(getIn(docOf(docs, 'DaemonSet').doc, ['spec', 'template', 'spec', 'volumes', 0, 'configMap', 'name'])).toBe('example-config');
  });

  it('uses an existing ServiceAccount and the overrides of names and namespace', () => {
    const docs = chart.render({ name: 'otel', namespace: null, chart: 'opentelemetry-collector' }, valuesOf(chart, daemonset('fullnameOverride: agent\nnamespaceOverride: telemetry\nserviceAccount:\n  create: false\n  name: shared\npresets:\n  kubernetesAttributes:\n    enabled: true\n')));
    expect(docs.some((d) => d.doc.kind === 'ServiceAccount')).toBe(false);
    expect(asMap(docOf(docs, 'DaemonSet').doc.metadata)).toMatchObject({ name: 'agent-agent', namespace: 'telemetry' });
    expect(getIn(docOf(docs, 'ClusterRoleBinding').doc, ['subjects'])).toEqual([{ kind: 'ServiceAccount', name: 'shared', namespace: 'telemetry' }]);
  });

  it('omits metadata.namespace when the release namespace is unknown', () => {
    const docs = chart.render({ name: 'example', namespace: null, chart: 'opentelemetry-collector' }, valuesOf(chart, daemonset()));
    expect(asMap(docOf(docs, 'DaemonSet').doc.metadata)?.namespace).toBeUndefined();
  });

  it('does not throw on odd values', () => {
    const odd = [
      'mode: daemonset\npresets: yes\nconfig: text\nclusterRole: [1]\nextraEnvs: {a: 1}\n',
      'mode: daemonset\npresets:\n  kubernetesAttributes: true\n  clusterMetrics:\n    enabled: "false"\nconfig:\n  processors: [1]\n  service:\n    pipelines: 3\n',
      'mode: daemonset\nconfig:\n  service:\n    pipelines:\n      logs: null\n      traces:\n        processors: k8sattributes\nalternateConfig: [x]\nimage: 3\nreplicaCount: many\n',
      'mode: 3\n',
      '',
    ];
    for (const v of odd) expect(() => renderManifest(chart, v)).not.toThrow();
    // Helm's truth: the string "false" is a non-empty string, so the preset is on.
    expect(getIn(relayOf(docsOf(odd[1])), ['receivers', 'k8s_cluster'])).toBeDefined();
  });
});

describe('opentelemetry-collector adapter: spot', () => {
  it('maps the unfiltered processor\'s finding to the user\'s config key (deprecated name as written)', () => {
    const values = daemonset(USER_K8SATTRIBUTES);
    expect(detectionSpots(values)).toEqual({ 'processors.k8s_attributes': ['config', 'processors', 'k8sattributes'] });
    const docs = docsOf(values);
    expect(spotOf(docs, 'ConfigMap', ['data', 'relay', 'processors', 'k8s_attributes', 'filter'])?.path).toEqual(['config', 'processors', 'k8sattributes']);
    expect(spotOf(docs, 'ConfigMap', ['data', 'relay', 'processors', 'k8s_attributes', 'extract', 'metadata', 1])?.path).toEqual(['config', 'processors', 'k8sattributes', 'extract', 'metadata', 1]);
    expect(spotOf(docs, 'ConfigMap', ['data', 'relay', 'service', 'pipelines', 'traces', 'processors', 1])?.path).toEqual(['config', 'service', 'pipelines', 'traces', 'processors', 1]);
  });

  it('maps alternateConfig findings to alternateConfig', () => {
    const values = daemonset('alternateConfig:\n  processors:\n    k8sattributes: {}\n  service:\n    pipelines:\n      logs: {receivers: [otlp], processors: [k8sattributes], exporters: [debug]}\n');
    expect(detectionSpots(values)).toEqual({ 'processors.k8s_attributes': ['alternateConfig', 'processors', 'k8sattributes'] });
  });

  it('maps what a preset added to the preset', () => {
    const values = daemonset('presets:\n  kubernetesAttributes:\n    enabled: true\n');
    expect(detectionSpots(values)).toEqual({ 'processors.k8s_attributes': ['presets', 'kubernetesAttributes', 'enabled'] });
    const docs = docsOf(values);
    expect(spotOf(docs, 'ConfigMap', ['data', 'relay', 'processors', 'k8s_attributes', 'filter', 'node_from_env_var'])?.path).toEqual(['presets', 'kubernetesAttributes', 'enabled']);
    expect(spotOf(docs, 'ConfigMap', ['data', 'relay', 'service', 'pipelines', 'logs', 'processors', 0])?.path).toEqual(['presets', 'kubernetesAttributes', 'enabled']);
    // The chart's defaults: the release's anchor.
    expect(spotOf(docs, 'ConfigMap', ['data', 'relay', 'receivers', 'otlp'])).toBeUndefined();
    expect(spotOf(docs, 'ConfigMap', ['data', 'relay', 'service', 'pipelines', 'logs', 'processors', 1])).toBeUndefined();
  });

  it('maps a field the user wrote inside a preset\'s processor to the user, the rest to the preset', () => {
    const preset = 'presets:\n  kubernetesAttributes:\n    enabled: true\n';
    // The preset's own metadata list (k8s.deployment.name, ReplicaSet watch) is the preset's.
    expect(detectionSpots(daemonset(preset))).toEqual({ 'processors.k8s_attributes': ['presets', 'kubernetesAttributes', 'enabled'] });
    const values = daemonset(`${preset}config:\n  processors:\n    k8sattributes:\n      extract:\n        deployment_name_from_replicaset: true\n        labels:\n          - {tag_name: team, key: team, from: namespace}\n`);
    expect(detectionSpots(values)).toEqual({ 'processors.k8s_attributes': ['config', 'processors', 'k8sattributes', 'extract', 'labels', 0, 'from'] });
    expect(spotOf(docsOf(values), 'ConfigMap', ['data', 'relay', 'processors', 'k8s_attributes', 'filter'])?.path).toEqual(['presets', 'kubernetesAttributes', 'enabled']);
  });

  it('maps the unset env var of a node filter to the line naming it', () => {
    const values = daemonset('config:\n  processors:\n    k8s_attributes:\n      filter:\n        node_from_env_var: MY_NODE\n  service:\n    pipelines:\n      traces:\n        processors: [k8s_attributes]\n');
    expect(detectionSpots(values)).toEqual({ 'processors.k8s_attributes': ['config', 'processors', 'k8s_attributes', 'filter', 'node_from_env_var'] });
  });

  it('maps cluster receivers to the preset, its disableLeaderElection, or the user\'s receiver', () => {
    expect(detectionSpots(daemonset('presets:\n  clusterMetrics:\n    enabled: true\n'))).toEqual({ 'receivers.k8s_cluster': ['presets', 'clusterMetrics', 'enabled'] });
    expect(detectionSpots(daemonset('presets:\n  clusterMetrics:\n    enabled: true\n    disableLeaderElection: true\n'))).toEqual({
      'receivers.k8s_cluster': ['presets', 'clusterMetrics', 'disableLeaderElection'],
    });
    expect(detectionSpots(daemonset('presets:\n  kubernetesObjects:\n    enabled: true\n'))).toEqual({ 'receivers.k8sobjects': ['presets', 'kubernetesObjects', 'enabled'] });
    expect(detectionSpots(daemonset('config:\n  receivers:\n    k8s_cluster: {}\n  service:\n    pipelines:\n      metrics:\n        receivers: [k8s_cluster]\n'))).toEqual({
      'receivers.k8s_cluster': ['config', 'receivers', 'k8s_cluster'],
    });
    const docs = docsOf(daemonset('presets:\n  clusterMetrics:\n    enabled: true\n'));
    expect(spotOf(docs, 'ConfigMap', ['data', 'relay', 'extensions', 'k8s_leader_elector/k8s_cluster'])?.path).toEqual(['presets', 'clusterMetrics', 'enabled']);
  });

  it('maps RBAC rules to the preset or the clusterRole.rules entry that adds them', () => {
    const docs = docsOf(daemonset('presets:\n  clusterMetrics:\n    enabled: true\nclusterRole:\n  rules:\n    - apiGroups: [""]\n      resources: [secrets]\n      verbs: [list]\n'));
    expect(spotOf(docs, 'ClusterRole', ['rules', 0])?.path).toEqual(['presets', 'clusterMetrics', 'enabled']);
    expect(spotOf(docs, 'ClusterRole', ['rules', 1, 'verbs', 0])?.path).toEqual(['clusterRole', 'rules', 0, 'verbs', 0]);
    expect(spotOf(docs, 'ClusterRole', ['rules', 2])?.path).toEqual(['presets', 'clusterMetrics', 'enabled']);
  });

  it('maps the workload: its ServiceAccount to the grant that makes it a reader, env to its source, the rest to mode', () => {
    const docs = docsOf(daemonset('presets:\n  annotationDiscovery:\n    logs:\n      enabled: true\nextraEnvs:\n  - name: A\n    value: b\n'));
    const c = ['spec', 'template', 'spec', 'containers', 0];
    expect(spotOf(docs, 'DaemonSet', ['spec', 'template', 'spec', 'serviceAccountName'])?.path).toEqual(['presets', 'annotationDiscovery', 'logs', 'enabled']);
    expect(spotOf(docs, 'DaemonSet', [...c, 'env', 6])?.path).toEqual(['presets', 'annotationDiscovery', 'logs', 'enabled']);
    expect(spotOf(docs, 'DaemonSet', [...c, 'env', 8, 'value'])?.path).toEqual(['extraEnvs', 0, 'value']);
    expect(spotOf(docs, 'DaemonSet', ['kind'])?.path).toEqual(['mode']);
    expect(spotOf(docsOf(daemonset()), 'DaemonSet', ['spec', 'template', 'spec', 'serviceAccountName'])?.path).toEqual(['mode']);
  });
});

const CHART_DIR = 'open-telemetry+opentelemetry-helm-charts/charts/opentelemetry-collector/';
const EXAMPLES = `${CHART_DIR}examples/`;

/** Differences between the adapter's findings and the chart's rendered output's, with the reason. */
const KNOWN_DIFFERENCES: Readonly<Record<string, string>> = {};

describe.skipIf(!HAS_CORPUS)('opentelemetry-collector adapter: corpus pairs (chart 0.170.0 examples)', () => {
  const names = HAS_CORPUS ? readdirSync(CORPUS_DIR + EXAMPLES).filter((n) => existsSync(`${CORPUS_DIR}${EXAMPLES}${n}/rendered`)).sort() : [];

  it('covers the 22 examples', () => {
    expect(names).toHaveLength(22);
  });

  for (const name of names) {
    it(`${name}: same findings as the chart's rendered output`, () => {
      const dir = `${EXAMPLES}${name}/`;
      const rendered = Object.fromEntries(
        readdirSync(CORPUS_DIR + dir + 'rendered').filter((f) => f.endsWith('.yaml')).map((f) => [`${dir}rendered/${f}`, readCorpus(`${dir}rendered/${f}`)]),
      );
      // Most examples have one values.yaml; daemonset-and-deployment installs two releases of one name.
      const valuesFiles = readdirSync(CORPUS_DIR + dir).filter((f) => f.endsWith('values.yaml')).sort();
      expect(valuesFiles.length).toBeGreaterThan(0);
      const ours = Object.fromEntries(valuesFiles.map((f) => [`${dir}adapter/${f}`, renderManifest(chart, readCorpus(dir + f))]));
      const expected = watchAllFindings(rendered);
      const actual = watchAllFindings(ours);
      if (KNOWN_DIFFERENCES[name]) expect(actual).not.toEqual(expected);
      else expect(actual).toEqual(expected);
    });
  }

  it('the chart\'s own values.yaml and its ci values render without throwing', () => {
    const chartValues = readCorpus(`${CHART_DIR}values.yaml`);
    expect(() => chart.render(RELEASE, valuesOf(chart, '', chartValues))).not.toThrow();
    // Alone it sets no mode: the chart would refuse it.
    expect(chart.render(RELEASE, valuesOf(chart, '', chartValues))).toEqual([]);
    for (const f of readdirSync(`${CORPUS_DIR}${CHART_DIR}ci`).filter((x) => x.endsWith('.yaml'))) {
      const text = readCorpus(`${CHART_DIR}ci/${f}`);
      expect(() => renderManifest(chart, text, {}, chartValues), f).not.toThrow();
    }
  });

  /** The chart's and the adapter's objects of one example, by `Kind/name`. */
  function objectsOf(name: string): { theirs: Map<string, Record<string, unknown>>; ours: Map<string, Record<string, unknown>> } {
    const dir = `${EXAMPLES}${name}/`;
    const byName = (docs: unknown[]) =>
      new Map(docs.map((d) => asMap(d)).filter((d): d is Record<string, unknown> => !!d).map((d) => [`${String(d.kind)}/${String(asMap(d.metadata)?.name)}`, d] as const));
    return {
      theirs: byName(readdirSync(CORPUS_DIR + dir + 'rendered').flatMap((f) => jsyaml.loadAll(readCorpus(`${dir}rendered/${f}`)))),
      ours: byName(readdirSync(CORPUS_DIR + dir).filter((f) => f.endsWith('values.yaml')).flatMap((f) => chart.render(RELEASE, valuesOf(chart, readCorpus(dir + f))).map((d) => d.doc))),
    };
  }

  /** Examples whose collector config the adapter renders differently, and why. */
  const CONFIG_DIFFERENCES: Readonly<Record<string, string>> = {
    internalTelemetryViaOTLP: 'internalTelemetryViaOTLP (the collector\'s own telemetry exporters, no API reads) is not rendered',
  };

  it('renders the chart\'s collector config (data.relay), RBAC and workload wiring for every example', () => {
    for (const name of names) {
      const { theirs, ours } = objectsOf(name);
      for (const [ref, doc] of theirs) {
        if (doc.kind === 'ConfigMap') {
          const relay = (d: Record<string, unknown> | undefined) => jsyaml.load(String(getIn(d, ['data', 'relay'])));
          if (CONFIG_DIFFERENCES[name]) expect(relay(ours.get(ref)), ref).not.toEqual(relay(doc));
          else expect(relay(ours.get(ref)), `${name} ${ref}`).toEqual(relay(doc));
        }
        if (doc.kind === 'ClusterRole') expect(getIn(ours.get(ref), ['rules']), `${name} ${ref}`).toEqual(getIn(doc, ['rules']));
        if (doc.kind === 'ClusterRoleBinding') expect(getIn(ours.get(ref), ['subjects']), `${name} ${ref}`).toEqual(getIn(doc, ['subjects']));
        if (doc.kind === 'DaemonSet' || doc.kind === 'Deployment' || doc.kind === 'StatefulSet') {
          // What the rules join and read on the workload: selector, pod labels, account, config volume, args, env.
          const pod = ['spec', 'template', 'spec'];
          for (const path of [
            ['spec', 'selector'],
            ['spec', 'template', 'metadata', 'labels'],
            [...pod, 'serviceAccountName'],
            [...pod, 'volumes'],
            [...pod, 'containers', 0, 'args'],
            [...pod, 'containers', 0, 'env'],
            [...pod, 'containers', 0, 'envFrom'],
            [...pod, 'containers', 0, 'volumeMounts'],
          ]) {
            expect(getIn(ours.get(ref), path), `${name} ${ref} ${path.join('.')}`).toEqual(getIn(doc, path));
          }
        }
      }
    }
  });

  it('renders the same objects (kind/name) as the chart for every example, besides Services and HPAs', () => {
    const skip = new Set(['Service', 'HorizontalPodAutoscaler']);
    for (const name of names) {
      const dir = `${EXAMPLES}${name}/`;
      const theirs = readdirSync(CORPUS_DIR + dir + 'rendered')
        .flatMap((f) => jsyaml.loadAll(readCorpus(`${dir}rendered/${f}`)))
        .map((d) => asMap(d))
        .filter((d): d is Record<string, unknown> => !!d && !skip.has(String(d.kind)))
        .map((d) => `${String(d.kind)}/${String(asMap(d.metadata)?.name)}`)
        .sort();
      const ours = readdirSync(CORPUS_DIR + dir)
        .filter((f) => f.endsWith('values.yaml'))
        .flatMap((f) => chart.render(RELEASE, valuesOf(chart, readCorpus(dir + f))))
        .map((d) => `${String(d.doc.kind)}/${String(asMap(d.doc.metadata)?.name)}`)
        .sort();
      expect(ours, name).toEqual(theirs);
    }
  });
});
