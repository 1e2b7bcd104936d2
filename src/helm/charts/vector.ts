/**
 * Chart adapter for Vector (`vector`, vectordotdev/helm-charts charts/vector 0.57.0, appVersion
 * 0.56.0-distroless-libc; templates read at configmap.yaml, rbac.yaml, statefulset.yaml and deployment.yaml
 * f7530f3c, daemonset.yaml e7b52f14, _pod.tpl 64fd6ff7, _helpers.tpl 61f20df7, serviceaccount.yaml bb2eef45).
 * RULEBOOK A.8.
 *
 * Renders, from the release's values:
 * - ConfigMap `<fullname>` (unless `existingConfigMaps`): `vector.yaml` = `toYaml customConfig` when it is
 *   set, else the chart's built-in config for the role: `aggregator.yaml` (Aggregator, Stateless-Aggregator)
 *   or `agent.yaml` (Agent: a `kubernetes_logs` source with no `use_apiserver_cache`, so the default false).
 * - The workload by `role`: Aggregator → StatefulSet (default), Stateless-Aggregator → Deployment, Agent →
 *   DaemonSet; any other role renders none, as the chart does. Pod spec: ServiceAccount, `podHostNetwork`,
 *   `dnsPolicy`, env (`VECTOR_LOG`, `env`, and for Agent `VECTOR_SELF_NODE_NAME` / pod name / namespace from
 *   the downward API, `PROCFS_ROOT`, `SYSFS_ROOT`), `envFrom`, `command`, `args`, the config volume (a
 *   projected volume of the ConfigMap or of every `existingConfigMaps` entry), the data volume, Agent's
 *   `defaultVolumes`, `extraVolumes`.
 * - ServiceAccount (`serviceAccount.create`); ClusterRole + ClusterRoleBinding for the Agent role only
 *   (`rbac.create`): list / watch namespaces, nodes, pods, then `rbac.extraRules`.
 *
 * Left out: Services, Ingress, HPA / KEDA, PDB, PodMonitor, PSP rule, secrets, HAProxy, extra objects, the
 * checksum annotations, ports and probes (none decides API-server load). `customConfig` goes through `tpl`
 * in the chart; its `{{ … }}` strings are kept as written (values, not templates, here).
 */
import jsyaml from 'js-yaml';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { YamlPath } from '../../types.js';
import { asList, asMap } from '../../yaml/walk.js';
import { chartLabel, clusterRoleBinding, fullname, objectMeta, serviceAccount, trunc63, type ChartAdapter, type ReleaseInfo, type RenderedDoc, type Values, type ValuesSpot } from '../chart.js';
import { serviceAccountName, text, truthy } from '../template.js';

const CHART_VERSION = '0.57.0';
const APP_VERSION = '0.56.0-distroless-libc';

/** The chart's defaults (values.yaml of 0.57.0) for the knobs read here. */
const DEFAULTS: Readonly<Record<string, unknown>> = {
  role: 'Aggregator',
  nameOverride: '',
  fullnameOverride: '',
  commonLabels: {},
  image: { repository: 'docker.io/timberio/vector', pullPolicy: 'IfNotPresent', tag: '', sha: '', base: '' },
  replicas: 1,
  podManagementPolicy: 'OrderedReady',
  rbac: { create: true, extraRules: [] },
  serviceAccount: { create: true, annotations: {}, automountToken: true },
  podAnnotations: {},
  podLabels: { 'vector.dev/exclude': 'true' },
  podPriorityClassName: '',
  podHostNetwork: false,
  command: [],
  args: ['--config-dir', '/etc/vector/'],
  env: [],
  envFrom: [],
  logLevel: 'info',
  nodeSelector: {},
  tolerations: [],
  affinity: {},
  existingConfigMaps: [],
  dataDir: '',
  customConfig: {},
  defaultVolumes: [
    { name: 'var-log', hostPath: { path: '/var/log/' } },
    { name: 'var-lib', hostPath: { path: '/var/lib/' } },
    { name: 'procfs', hostPath: { path: '/proc' } },
    { name: 'sysfs', hostPath: { path: '/sys' } },
  ],
  defaultVolumeMounts: [
    { name: 'var-log', mountPath: '/var/log/', readOnly: true },
    { name: 'var-lib', mountPath: '/var/lib', readOnly: true },
    { name: 'procfs', mountPath: '/host/proc', readOnly: true },
    { name: 'sysfs', mountPath: '/host/sys', readOnly: true },
  ],
  extraVolumes: [],
  extraVolumeMounts: [],
  persistence: { enabled: false, existingClaim: '', hostPath: { enabled: true, path: '/var/lib/vector' } },
  dnsPolicy: 'ClusterFirst',
};

/** The chart's built-in Agent config (configmap.yaml, role Agent, no customConfig). */
const AGENT_CONFIG = `data_dir: /vector-data-dir
api:
  enabled: true
  address: 127.0.0.1:8686
  playground: false
sources:
  kubernetes_logs:
    type: kubernetes_logs
  host_metrics:
    filesystem:
      devices:
        excludes: [binfmt_misc]
      filesystems:
        excludes: [binfmt_misc]
      mountpoints:
        excludes: ["*/proc/sys/fs/binfmt_misc"]
    type: host_metrics
  internal_metrics:
    type: internal_metrics
sinks:
  prom_exporter:
    type: prometheus_exporter
    inputs: [host_metrics, internal_metrics]
    address: 0.0.0.0:9090
  stdout:
    type: console
    inputs: [kubernetes_logs]
    encoding:
      codec: json
`;

/** The chart's built-in Aggregator config (network sources only: nothing it reads from the API server). */
const AGGREGATOR_CONFIG = `data_dir: /vector-data-dir
api:
  enabled: true
  address: 127.0.0.1:8686
  playground: false
sources:
  datadog_agent:
    address: 0.0.0.0:8282
    type: datadog_agent
  fluent:
    address: 0.0.0.0:24224
    type: fluent
  internal_metrics:
    type: internal_metrics
  logstash:
    address: 0.0.0.0:5044
    type: logstash
  splunk_hec:
    address: 0.0.0.0:8080
    type: splunk_hec
  statsd:
    address: 0.0.0.0:8125
    mode: tcp
    type: statsd
  syslog:
    address: 0.0.0.0:9000
    mode: tcp
    type: syslog
  vector:
    address: 0.0.0.0:6000
    type: vector
    version: "2"
sinks:
  prom_exporter:
    type: prometheus_exporter
    inputs: [internal_metrics]
    address: 0.0.0.0:9090
  stdout:
    type: console
    inputs: [datadog_agent, fluent, logstash, splunk_hec, statsd, syslog, vector]
    encoding:
      codec: json
`;

const WORKLOAD_KIND: Readonly<Record<string, string>> = { Aggregator: 'StatefulSet', 'Stateless-Aggregator': 'Deployment', Agent: 'DaemonSet' };

const POD: YamlPath = ['spec', 'template', 'spec'];
const CONTAINER: YamlPath = [...POD, 'containers', 0];

const list = (v: unknown): unknown[] => [...asList(v)];

/**
 * `toYaml` as Helm prints it (sigs.k8s.io/yaml: keys sorted, lists not indented under their key), clipped
 * like the `|` block it lands in. A value js-yaml cannot print (a function, never from YAML) gives nothing.
 */
function toYaml(v: unknown): string {
  try {
    return jsyaml.dump(v, { sortKeys: true, noArrayIndent: true, lineWidth: -1, noRefs: true });
  } catch {
    return '';
  }
}

/** The config key and text the ConfigMap holds, and whether it comes from `customConfig`. */
function configOf(values: Values, role: unknown): { key: string; text: string; custom: boolean } | undefined {
  const custom = values.get(['customConfig']);
  if (truthy(custom)) return { key: 'vector.yaml', text: toYaml(custom), custom: true };
  if (role === 'Aggregator' || role === 'Stateless-Aggregator') return { key: 'aggregator.yaml', text: AGGREGATOR_CONFIG, custom: false };
  if (role === 'Agent') return { key: 'agent.yaml', text: AGENT_CONFIG, custom: false };
  return undefined;
}

/** The mapping / list path whose key or item starts on a 0-based line of a YAML text (the deepest one). */
export function pathAtLine(yamlText: string, line: number): YamlPath {
  const counter = new LineCounter();
  let doc;
  try {
    doc = parseDocument(yamlText, { lineCounter: counter, uniqueKeys: false, strict: false });
  } catch {
    return [];
  }
  const lineOf = (offset: number) => counter.linePos(offset).line - 1;
  let best: YamlPath = [];
  const visit = (node: unknown, path: YamlPath, depth: number): void => {
    if (depth > 64) return;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = pair.key as Node;
        const here = [...path, String((pair.key as { value: unknown }).value)];
        const start = key.range ? lineOf(key.range[0]) : -1;
        const value = pair.value as Node | null;
        const end = value?.range ? lineOf(Math.max(value.range[1] - 1, value.range[0])) : start;
        if (start === line) best = here;
        if (start <= line && line <= end) visit(value, here, depth + 1);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const n = item as Node;
        if (!n?.range) return;
        const start = lineOf(n.range[0]);
        const end = lineOf(Math.max(n.range[1] - 1, n.range[0]));
        if (start === line) best = [...path, i];
        if (start <= line && line <= end) visit(n, [...path, i], depth + 1);
      });
    }
  };
  visit(doc.contents, [], 0);
  return best;
}

function selectorOf(release: ReleaseInfo, values: Values): Record<string, string> {
  const name = text(values.get(['nameOverride'])) || release.chart;
  // The chart's condition for the component label (`or (ne role …) …`) is always true.
  return { 'app.kubernetes.io/name': trunc63(name), 'app.kubernetes.io/instance': release.name, 'app.kubernetes.io/component': text(values.get(['role'])) };
}

/** The `vector.image.tag` helper: `image.tag`, else appVersion, re-based on `image.base` when set. */
function imageTag(values: Values): string {
  const tag = text(values.get(['image', 'tag']));
  if (tag) return tag;
  const base = text(values.get(['image', 'base']));
  return base ? `${APP_VERSION.split('-')[0]}-${base}` : APP_VERSION;
}

function labelsOf(release: ReleaseInfo, values: Values): Record<string, string> {
  const common: Record<string, string> = {};
  for (const [k, v] of Object.entries(asMap(values.get(['commonLabels'])) ?? {})) common[k] = text(v);
  return {
    'helm.sh/chart': chartLabel('vector', release.chartVersion ?? CHART_VERSION),
    ...selectorOf(release, values),
    'app.kubernetes.io/version': imageTag(values),
    'app.kubernetes.io/managed-by': 'Helm',
    ...common,
  };
}

function metadata(name: string, release: ReleaseInfo, values: Values, namespaced: boolean): Record<string, unknown> {
  return objectMeta(name, namespaced ? release.namespace : null, labelsOf(release, values));
}

/** The env the chart injects for the Agent role (after `VECTOR_LOG` and the user's `env`). */
const AGENT_ENV = [
  { name: 'VECTOR_SELF_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
  { name: 'VECTOR_SELF_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  { name: 'VECTOR_SELF_POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  { name: 'PROCFS_ROOT', value: '/host/proc' },
  { name: 'SYSFS_ROOT', value: '/host/sys' },
];

function podSpec(values: Values, role: string, name: string): Record<string, unknown> {
  const agent = role === 'Agent';
  const existing = list(values.get(['existingConfigMaps']));
  const sha = text(values.get(['image', 'sha']));
  const dataDir = truthy(existing) ? text(values.get(['dataDir'])) : text(values.get(['customConfig', 'data_dir'])) || '/vector-data-dir';
  const container: Record<string, unknown> = {
    name: 'vector',
    image: `${text(values.get(['image', 'repository']))}:${imageTag(values)}${sha ? `@sha256:${sha}` : ''}`,
    imagePullPolicy: text(values.get(['image', 'pullPolicy'])) || 'IfNotPresent',
    ...(truthy(values.get(['command'])) ? { command: list(values.get(['command'])) } : {}),
    ...(truthy(values.get(['args'])) ? { args: list(values.get(['args'])) } : {}),
    env: [{ name: 'VECTOR_LOG', value: text(values.get(['logLevel'])) || 'info' }, ...list(values.get(['env'])), ...(agent ? AGENT_ENV : [])],
    ...(truthy(values.get(['envFrom'])) ? { envFrom: list(values.get(['envFrom'])) } : {}),
    volumeMounts: [
      { name: 'data', mountPath: dataDir },
      { name: 'config', mountPath: '/etc/vector/', readOnly: true },
      ...(agent ? list(values.get(['defaultVolumeMounts'])) : []),
      ...list(values.get(['extraVolumeMounts'])),
    ],
  };
  const persistence = truthy(values.get(['persistence', 'enabled']));
  const claim = text(values.get(['persistence', 'existingClaim']));
  const volumes: unknown[] = [];
  if (persistence && role === 'Aggregator') {
    if (claim) volumes.push({ name: 'data', persistentVolumeClaim: { claimName: claim } });
  } else if (!agent) volumes.push({ name: 'data', emptyDir: {} });
  volumes.push({
    name: 'config',
    projected: { sources: truthy(existing) ? existing.map((cm) => ({ configMap: { name: text(cm) } })) : [{ configMap: { name } }] },
  });
  if (agent) {
    volumes.push(
      truthy(values.get(['persistence', 'hostPath', 'enabled']))
        ? { name: 'data', hostPath: { path: text(values.get(['persistence', 'hostPath', 'path'])) } }
        : { name: 'data', emptyDir: {} },
      ...list(values.get(['defaultVolumes'])),
    );
  }
  volumes.push(...list(values.get(['extraVolumes'])));
  const spec: Record<string, unknown> = { serviceAccountName: serviceAccountName(values, name) };
  if (truthy(values.get(['podHostNetwork']))) spec.hostNetwork = values.get(['podHostNetwork']);
  if (truthy(values.get(['podPriorityClassName']))) spec.priorityClassName = text(values.get(['podPriorityClassName']));
  if (truthy(values.get(['dnsPolicy']))) spec.dnsPolicy = values.get(['dnsPolicy']);
  spec.containers = [container];
  for (const key of ['nodeSelector', 'affinity', 'tolerations'] as const) if (truthy(values.get([key]))) spec[key] = values.get([key]);
  spec.volumes = volumes;
  return spec;
}

function workload(release: ReleaseInfo, values: Values, role: string, kind: string, name: string): Record<string, unknown> {
  const selector = selectorOf(release, values);
  const podAnnotations = asMap(values.get(['podAnnotations']));
  const podLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(asMap(values.get(['podLabels'])) ?? {})) podLabels[k] = text(v);
  const autoscaled = truthy(values.get(['autoscaling', 'enabled'])) || truthy(values.get(['autoscaling', 'external']));
  const spec: Record<string, unknown> = {
    ...(kind !== 'DaemonSet' && !autoscaled ? { replicas: values.get(['replicas']) ?? 1 } : {}),
    ...(kind === 'StatefulSet' ? { podManagementPolicy: text(values.get(['podManagementPolicy'])) || 'OrderedReady', serviceName: `${name}-headless` } : {}),
    selector: { matchLabels: selector },
    template: {
      metadata: {
        ...(podAnnotations && truthy(podAnnotations) ? { annotations: podAnnotations } : {}),
        labels: { ...selector, ...podLabels },
      },
      spec: podSpec(values, role, name),
    },
  };
  return { apiVersion: 'apps/v1', kind, metadata: metadata(name, release, values, true), spec };
}

/** Values paths for places in the workload; the rest stands for the release (`role`). */
function workloadSpot(path: YamlPath, values: Values): ValuesSpot {
  const under = (prefix: YamlPath) => prefix.every((p, i) => path[i] === p);
  const rest = (prefix: YamlPath) => path.slice(prefix.length);
  if (under([...CONTAINER, 'env'])) {
    const i = path[CONTAINER.length + 1];
    const own = list(values.get(['env'])).length;
    if (i === 0) return { path: ['logLevel'] };
    if (typeof i === 'number' && i <= own) return { path: ['env', i - 1, ...path.slice(CONTAINER.length + 2)] };
    return { path: ['role'] };
  }
  for (const field of ['args', 'command', 'envFrom'] as const) if (under([...CONTAINER, field])) return { path: [field, ...rest([...CONTAINER, field])] };
  if (under([...CONTAINER, 'image'])) return { path: values.isSet(['image', 'tag']) ? ['image', 'tag'] : ['image'] };
  if (under([...POD, 'hostNetwork'])) return { path: ['podHostNetwork'] };
  if (under([...POD, 'serviceAccountName'])) return { path: ['serviceAccount'] };
  if (under([...POD, 'volumes']) && truthy(values.get(['existingConfigMaps']))) return { path: ['existingConfigMaps'] };
  for (const field of ['dnsPolicy', 'nodeSelector', 'affinity', 'tolerations'] as const) {
    if (under([...POD, field])) return { path: [field, ...rest([...POD, field])] };
  }
  if (under(['spec', 'replicas'])) return { path: ['replicas'] };
  return { path: ['role'] };
}

function render(release: ReleaseInfo, values: Values): RenderedDoc[] {
  const name = fullname(release, values);
  const role = values.get(['role']);
  const out: RenderedDoc[] = [];
  if (!truthy(values.get(['existingConfigMaps']))) {
    const config = configOf(values, role);
    out.push({
      doc: { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(name, release, values, true), data: config ? { [config.key]: config.text } : {} },
      spot: (path, innerLine) => {
        if (path[0] !== 'data' || !config) return undefined;
        // The chart's built-in config is there because of the role (and no customConfig).
        if (!config.custom) return { path: ['role'] };
        // The rules give a YAML config's inner path, or (from a text location) the line inside the key.
        const inner = path.length > 2 ? path.slice(2) : innerLine !== undefined ? pathAtLine(config.text, innerLine) : [];
        return { path: ['customConfig', ...inner] };
      },
    });
  }
  const kind = typeof role === 'string' ? WORKLOAD_KIND[role] : undefined;
  if (kind && typeof role === 'string') out.push({ doc: workload(release, values, role, kind, name), spot: (path) => workloadSpot(path, values) });
  const sa = serviceAccountName(values, name);
  if (truthy(values.get(['serviceAccount', 'create']))) {
    const automount = values.get(['serviceAccount', 'automountToken']) ?? true;
    out.push({ doc: serviceAccount(metadata(sa, release, values, true), values.get(['serviceAccount', 'annotations']), automount), spot: () => ({ path: ['serviceAccount'] }) });
  }
  if (truthy(values.get(['rbac', 'create'])) && role === 'Agent') {
    const extra = list(values.get(['rbac', 'extraRules']));
    out.push({
      doc: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: metadata(name, release, values, false),
        rules: [{ apiGroups: [''], resources: ['namespaces', 'nodes', 'pods'], verbs: ['list', 'watch'] }, ...extra],
      },
      spot: (path) => {
        const i = path[1];
        if (path[0] === 'rules' && typeof i === 'number' && i >= 1) return { path: ['rbac', 'extraRules', i - 1, ...path.slice(2)] };
        return { path: ['role'] };
      },
    });
    out.push({ doc: clusterRoleBinding(metadata(name, release, values, false), name, sa, release.namespace), spot: () => ({ path: ['rbac', 'create'] }) });
  }
  return out;
}

export const vectorChart: ChartAdapter = {
  charts: ['vector'],
  defaults: DEFAULTS,
  anchors: [['role'], ['customConfig'], ['image']],
  render,
};
