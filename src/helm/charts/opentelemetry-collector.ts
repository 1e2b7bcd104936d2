/**
 * Chart adapter for the OpenTelemetry Collector Helm chart (`open-telemetry/opentelemetry-helm-charts`
 * `charts/opentelemetry-collector`, chart 0.170.0, appVersion 0.158.0; RULEBOOK A.3).
 *
 * Renders, from the release's values, what decides the collector's API-server load:
 * - the workload of `mode` (`templates/daemonset.yaml`, `deployment.yaml`, `statefulset.yaml`, pod from
 *   `_pod.tpl`): DaemonSet `<fullname>-agent`, Deployment / StatefulSet `<fullname>`, with the chart's
 *   labels, `serviceAccountName`, the config volume (key `relay` → `/conf/relay.yaml`, `--config` arg), the
 *   preset volumes, the downward-API env the chart always sets (`MY_POD_IP`, `OTEL_K8S_*`), `K8S_NODE_NAME` /
 *   `K8S_NODE_IP` in daemonset mode when a node-scoped preset needs them, `GOMEMLIMIT`, `extraEnvs`,
 *   `extraEnvsFrom`, `extraVolumes`, `extraVolumeMounts`, `annotations`, `podAnnotations`, `resources`,
 *   scheduling knobs;
 * - the ConfigMap (`configmap-agent.yaml` `<fullname>-agent`, `configmap.yaml` `<fullname>`,
 *   `configmap-statefulset.yaml` `<fullname>-statefulset`) whose key `relay` holds the config the chart
 *   builds in `_config.tpl`: `alternateConfig` when non-empty, else `config` (the chart's default config
 *   beneath the user's, merged by Helm), the user's deprecated `k8sattributes[/name]` processors renamed to
 *   `k8s_attributes[/name]` (`rewriteDeprecatedComponentNames`, chart 0.159.0+, PR #2242), then the presets
 *   in the chart's order, each merged beneath the config (sprig `mustMergeOverwrite`: the user's values win,
 *   but an empty one — false, 0, "", {} — never replaces a preset's) and wired into the pipelines:
 *   logsCollection, annotationDiscovery, hostMetrics, kubeletMetrics, kubernetesAttributes (node filter in
 *   daemonset mode), kubernetesEvents (deployment / statefulset only: the daemonset builder never applies
 *   it), kubernetesObjects and clusterMetrics (leader election in daemonset mode unless
 *   `disableLeaderElection`; clusterMetrics also for more than one replica, chart 0.164.1+),
 *   resourceDetection;
 * - the ServiceAccount (`serviceAccount.*`), and the ClusterRole / ClusterRoleBinding (`clusterrole.yaml`:
 *   the leases rule when a preset elects a leader, `clusterRole.rules`, then each preset's rules).
 *
 * Left out (no bearing on API-server reads): Services, ports, probes, security contexts, HPA / PDB / monitors,
 * `internalTelemetryViaOTLP`, the profiling preset, `tpl` expansion inside `config` (kept verbatim; only
 * `{{ .Release.Name }}` / `{{ .Release.Namespace }}` in `configMap.existingName` are expanded). With
 * `configMap.create: false` the config lives elsewhere: no ConfigMap is rendered (nothing to judge), the
 * workload mounts `configMap.existingName` when given.
 *
 * Where the templates of 0.170.0 were not readable (the stored `_config.tpl`, `_pod.tpl` and
 * `clusterrole.yaml` are older), the chart's rendered examples at 0.170.0 decided: names `k8s_attributes`,
 * `file_log`, detector `k8s_api` and its RBAC, the env list, the log volumes of annotation discovery. The
 * adapter reproduces those examples' `relay` configs, ClusterRole rules and workload wiring exactly. Assumptions: the user's
 * `k8sattributes` is renamed before the presets merge (so a preset's node filter lands in it), when both
 * spellings are set the new one wins; `kubernetesObjects.events.enabled` adds an events watch.
 */
import jsyaml from 'js-yaml';
import type { YamlPath } from '../../types.js';
import { asList, asMap, asString, getIn } from '../../yaml/walk.js';
import { fullname as chartFullname, clusterRoleBinding, objectMeta, serviceAccount, type ChartAdapter, type ReleaseInfo, type RenderedDoc, type Values, type ValuesSpot } from '../chart.js';
import { serviceAccountName, truthy } from '../template.js';

const CHART = 'opentelemetry-collector';
const CHART_VERSION = '0.170.0';
const APP_VERSION = '0.158.0';

type Mode = 'daemonset' | 'deployment' | 'statefulset';
type Obj = Record<string, unknown>;

/** The chart's default `config` (values.yaml, chart 0.170.0). */
const DEFAULT_CONFIG: Obj = {
  exporters: { debug: {} },
  extensions: { health_check: { endpoint: '${env:MY_POD_IP}:13133' } },
  processors: {
    batch: {},
    memory_limiter: { check_interval: '5s', limit_percentage: 80, spike_limit_percentage: 25 },
  },
  receivers: {
    jaeger: {
      protocols: {
        grpc: { endpoint: '${env:MY_POD_IP}:14250' },
        thrift_http: { endpoint: '${env:MY_POD_IP}:14268' },
        thrift_compact: { endpoint: '${env:MY_POD_IP}:6831' },
      },
    },
    otlp: { protocols: { grpc: { endpoint: '${env:MY_POD_IP}:4317' }, http: { endpoint: '${env:MY_POD_IP}:4318' } } },
    prometheus: {
      config: {
        scrape_configs: [{ job_name: 'opentelemetry-collector', scrape_interval: '10s', static_configs: [{ targets: ['${env:MY_POD_IP}:8888'] }] }],
      },
    },
    zipkin: { endpoint: '${env:MY_POD_IP}:9411' },
  },
  service: {
    telemetry: {
      resource: {
        'k8s.namespace.name': '${env:OTEL_K8S_NAMESPACE}',
        'k8s.node.name': '${env:OTEL_K8S_NODE_NAME}',
        'k8s.node.ip': '${env:OTEL_K8S_NODE_IP}',
        'k8s.pod.name': '${env:OTEL_K8S_POD_NAME}',
        'k8s.pod.ip': '${env:OTEL_K8S_POD_IP}',
        'host.name': '${env:OTEL_K8S_NODE_NAME}',
      },
      metrics: { readers: [{ pull: { exporter: { prometheus: { host: '${env:MY_POD_IP}', port: 8888 } } } }] },
    },
    extensions: ['health_check'],
    pipelines: {
      logs: { exporters: ['debug'], processors: ['memory_limiter', 'batch'], receivers: ['otlp'] },
      metrics: { exporters: ['debug'], processors: ['memory_limiter', 'batch'], receivers: ['otlp', 'prometheus'] },
      traces: { exporters: ['debug'], processors: ['memory_limiter', 'batch'], receivers: ['otlp', 'jaeger', 'zipkin'] },
    },
  },
};

/** The knobs this adapter reads, with the chart's defaults (values.yaml, chart 0.170.0). */
const DEFAULTS: Obj = {
  nameOverride: '',
  fullnameOverride: '',
  mode: '',
  namespaceOverride: '',
  presets: {
    logsCollection: { enabled: false, includeCollectorLogs: false, storeCheckpoints: false, maxRecombineLogSize: 102400 },
    hostMetrics: { enabled: false },
    kubernetesAttributes: { enabled: false, extractAllPodLabels: false, extractAllPodAnnotations: false },
    kubeletMetrics: { enabled: false },
    kubernetesEvents: { enabled: false, useK8sEventsReceiver: false },
    kubernetesObjects: {
      enabled: false,
      watch: false,
      core: { enabled: true },
      rbac: { enabled: true },
      storage: { enabled: true },
      networking: { enabled: true },
      autoscaling: { enabled: true, vpa: { enabled: false } },
      policy: { enabled: true },
      apiExtensions: { enabled: true },
      events: { enabled: false },
    },
    clusterMetrics: { enabled: false },
    annotationDiscovery: { logs: { enabled: false }, metrics: { enabled: false } },
    resourceDetection: { enabled: false, env: { enabled: true }, k8s_api: { enabled: true }, eks: { enabled: false }, aks: { enabled: false }, gcp: { enabled: false } },
  },
  configMap: { create: true, existingName: '' },
  rewriteDeprecatedComponentNames: true,
  config: DEFAULT_CONFIG,
  alternateConfig: {},
  image: { repository: '', pullPolicy: 'IfNotPresent', tag: '', digest: '' },
  command: { name: '', extraArgs: [] },
  serviceAccount: { create: true, annotations: {}, name: '', automountServiceAccountToken: true },
  clusterRole: { create: false, annotations: {}, name: '', rules: [], clusterRoleBinding: { annotations: {}, name: '' } },
  nodeSelector: {},
  tolerations: [],
  affinity: {},
  priorityClassName: '',
  extraEnvs: [],
  extraEnvsFrom: [],
  extraVolumes: [],
  extraVolumeMounts: [],
  annotations: {},
  podAnnotations: {},
  podLabels: {},
  hostNetwork: false,
  replicaCount: 1,
  useGOMEMLIMIT: true,
  resources: {},
};

// ---------------------------------------------------------------------------------------------------
// Sprig semantics (Go template truth: `truthy`, ../template.ts)

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/**
 * sprig `mustMergeOverwrite dst src`: mappings merge key by key, lists and scalars of `src` replace, but an
 * empty `src` value (false, 0, "", null, empty list / mapping) never replaces a `dst` value.
 */
function mergeOverwrite(dst: unknown, src: unknown, depth = 0): unknown {
  const d = asMap(dst);
  const s = asMap(src);
  if (d && s && depth < 64) {
    const out: Obj = { ...d };
    for (const [k, v] of Object.entries(s)) out[k] = k in d ? mergeOverwrite(d[k], v, depth + 1) : clone(v);
    return out;
  }
  if (dst !== undefined && !truthy(src)) return dst;
  return clone(src);
}

/** A mapping at `key` of `parent`, created (or replacing a non-mapping) when needed. */
function mapAt(parent: Obj, key: string): Obj {
  const m = asMap(parent[key]);
  if (m) return m;
  const fresh: Obj = {};
  parent[key] = fresh;
  return fresh;
}

/** A copy of a list value (empty for a non-list, as `append` on nil would start one). */
function ids(v: unknown): unknown[] {
  return [...asList(v)];
}

const uniq = (list: unknown[]): unknown[] => list.filter((x, i) => list.findIndex((y) => y === x) === i);

// ---------------------------------------------------------------------------------------------------
// Config building, with where each preset's part comes from

/** What a preset added: its config fragment, the pipeline / extension entries, and its values line. */
interface Contribution {
  readonly fragment: Obj;
  readonly spot: YamlPath;
}

interface ListAdd {
  /** `['service','pipelines',<p>,<field>]` or `['service','extensions']`. */
  readonly list: YamlPath;
  readonly id: string;
  readonly spot: YamlPath;
}

interface Built {
  config: Obj;
  readonly contributions: Contribution[];
  readonly listAdds: ListAdd[];
  /** Renamed processor ids of the user's config: final id → the id the user wrote. */
  readonly renamed: Map<string, string>;
  /** `config` or `alternateConfig`: where the user's part of the config lives in the values. */
  readonly root: string;
}

const on = (values: Values, path: YamlPath) => truthy(values.get(path));

function pipelineOf(config: Obj, pipeline: string): Obj | undefined {
  const pipelines = asMap(getIn(config, ['service', 'pipelines']));
  return asMap(pipelines?.[pipeline]);
}

/** Appends (or prepends) `id` to `service.pipelines.<pipeline>.<field>`, creating the pipeline when asked. */
function addToPipeline(b: Built, pipeline: string, field: string, id: string, spot: YamlPath, opts: { prepend?: boolean; create?: boolean } = {}): void {
  let p = pipelineOf(b.config, pipeline);
  if (!p) {
    if (!opts.create) return;
    p = mapAt(mapAt(mapAt(b.config, 'service'), 'pipelines'), pipeline);
  }
  const list = ids(p[field]);
  if (list.includes(id)) return;
  p[field] = uniq(opts.prepend ? [id, ...list] : [...list, id]);
  b.listAdds.push({ list: ['service', 'pipelines', pipeline, field], id, spot });
}

function addExtension(b: Built, id: string, spot: YamlPath): void {
  const service = mapAt(b.config, 'service');
  const list = ids(service.extensions);
  if (list.includes(id)) return;
  service.extensions = uniq([...list, id]);
  b.listAdds.push({ list: ['service', 'extensions'], id, spot });
}

/** Merges a preset's fragment beneath the config (the user's config wins) and records it. */
function mergePreset(b: Built, fragment: Obj, spot: YamlPath): void {
  b.config = asMap(mergeOverwrite(fragment, b.config)) ?? b.config;
  b.contributions.push({ fragment, spot });
}

const K8S_ATTRIBUTES_METADATA = [
  'k8s.namespace.name', 'k8s.pod.name', 'k8s.pod.uid', 'k8s.node.name', 'k8s.pod.start_time', 'k8s.deployment.name',
  'k8s.replicaset.name', 'k8s.replicaset.uid', 'k8s.daemonset.name', 'k8s.daemonset.uid', 'k8s.job.name', 'k8s.job.uid',
  'k8s.container.name', 'k8s.cronjob.name', 'k8s.statefulset.name', 'k8s.statefulset.uid', 'container.image.tag',
  'container.image.name', 'k8s.cluster.uid', 'service.namespace', 'service.name', 'service.version', 'service.instance.id',
];

function applyKubernetesAttributes(b: Built, values: Values, mode: Mode, name: string): void {
  const spot: YamlPath = ['presets', 'kubernetesAttributes', 'enabled'];
  const extract: Obj = { otel_annotations: true, metadata: [...K8S_ATTRIBUTES_METADATA] };
  if (on(values, ['presets', 'kubernetesAttributes', 'extractAllPodLabels'])) extract.labels = [{ tag_name: '$$1', key_regex: '(.*)', from: 'pod' }];
  if (on(values, ['presets', 'kubernetesAttributes', 'extractAllPodAnnotations'])) extract.annotations = [{ tag_name: '$$1', key_regex: '(.*)', from: 'pod' }];
  const processor: Obj = {
    // The agent must read only its own node's pods: the chart writes the node filter in daemonset mode only.
    ...(mode === 'daemonset' ? { filter: { node_from_env_var: 'K8S_NODE_NAME' } } : {}),
    passthrough: false,
    pod_association: [
      { sources: [{ from: 'resource_attribute', name: 'k8s.pod.ip' }] },
      { sources: [{ from: 'resource_attribute', name: 'k8s.pod.uid' }] },
      { sources: [{ from: 'connection' }] },
    ],
    extract,
  };
  mergePreset(b, { processors: { [name]: processor } }, spot);
  for (const p of ['logs', 'metrics', 'traces', 'profiles']) {
    if (truthy(pipelineOf(b.config, p))) addToPipeline(b, p, 'processors', name, spot, { prepend: true });
  }
}

function applyLogsCollection(b: Built, values: Values, release: ReleaseInfo, fullname: string, name: string): void {
  const spot: YamlPath = ['presets', 'logsCollection', 'enabled'];
  const checkpoints = on(values, ['presets', 'logsCollection', 'storeCheckpoints']);
  const namespace = namespaceOf(release, values) ?? 'default';
  const receiver: Obj = {
    include: ['/var/log/pods/*/*/*.log'],
    exclude: on(values, ['presets', 'logsCollection', 'includeCollectorLogs']) ? [] : [`/var/log/pods/${namespace}_${fullname}*_*/${CHART}/*.log`],
    start_at: 'end',
    retry_on_failure: { enabled: true },
    ...(checkpoints ? { storage: 'file_storage' } : {}),
    include_file_path: true,
    include_file_name: false,
    operators: [{ type: 'container', id: 'container-parser', max_log_size: values.get(['presets', 'logsCollection', 'maxRecombineLogSize']) ?? 102400 }],
  };
  mergePreset(b, { ...(checkpoints ? { extensions: { file_storage: { directory: '/var/lib/otelcol' } } } : {}), receivers: { [name]: receiver } }, spot);
  addToPipeline(b, 'logs', 'receivers', name, spot, { create: true });
  if (checkpoints) addExtension(b, 'file_storage', ['presets', 'logsCollection', 'storeCheckpoints']);
}

function applyAnnotationDiscovery(b: Built, values: Values, mode: Mode): void {
  const logs = on(values, ['presets', 'annotationDiscovery', 'logs', 'enabled']);
  const metrics = on(values, ['presets', 'annotationDiscovery', 'metrics', 'enabled']);
  const spot: YamlPath = ['presets', 'annotationDiscovery', logs ? 'logs' : 'metrics', 'enabled'];
  const receivers: Obj = {};
  if (logs) receivers['receiver_creator/logs'] = { watch_observers: ['k8s_observer'], discovery: { enabled: true, default_annotations: { 'io.opentelemetry.discovery.logs/enabled': 'true' } } };
  if (metrics) receivers['receiver_creator/metrics'] = { watch_observers: ['k8s_observer'], discovery: { enabled: true } };
  const observer: Obj = { auth_type: 'serviceAccount', ...(mode === 'daemonset' ? { node: '${env:K8S_NODE_NAME}' } : {}) };
  mergePreset(b, { extensions: { k8s_observer: observer }, receivers }, spot);
  addExtension(b, 'k8s_observer', spot);
  if (logs) addToPipeline(b, 'logs', 'receivers', 'receiver_creator/logs', ['presets', 'annotationDiscovery', 'logs', 'enabled'], { create: true });
  if (metrics) addToPipeline(b, 'metrics', 'receivers', 'receiver_creator/metrics', ['presets', 'annotationDiscovery', 'metrics', 'enabled'], { create: true });
}

function applyHostMetrics(b: Built): void {
  const spot: YamlPath = ['presets', 'hostMetrics', 'enabled'];
  const receiver: Obj = {
    root_path: '/hostfs',
    collection_interval: '10s',
    scrapers: {
      cpu: null,
      load: null,
      memory: null,
      disk: null,
      filesystem: {
        exclude_mount_points: {
          mount_points: ['^/dev($|/)', '^/proc($|/)', '^/sys($|/)', '^/run/k3s/containerd($|/)', '^/var/lib/docker($|/)', '^/var/lib/kubelet($|/)', '^/snap($|/)'],
          match_type: 'regexp',
        },
        exclude_fs_types: {
          fs_types: [
            'autofs', 'binfmt_misc', 'bpf', 'cgroup2', 'configfs', 'debugfs', 'devpts', 'devtmpfs', 'fusectl', 'hugetlbfs', 'iso9660',
            'mqueue', 'nsfs', 'overlay', 'proc', 'procfs', 'pstore', 'rpc_pipefs', 'securityfs', 'selinuxfs', 'squashfs', 'sysfs', 'tracefs',
          ],
          match_type: 'strict',
        },
      },
      network: null,
    },
  };
  mergePreset(b, { receivers: { hostmetrics: receiver } }, spot);
  addToPipeline(b, 'metrics', 'receivers', 'hostmetrics', spot, { create: true });
}

function applyKubeletMetrics(b: Built): void {
  const spot: YamlPath = ['presets', 'kubeletMetrics', 'enabled'];
  // The kubelet of the collector's own node: node-local, no API-server list.
  mergePreset(b, { receivers: { kubeletstats: { collection_interval: '20s', auth_type: 'serviceAccount', endpoint: '${env:K8S_NODE_IP}:10250' } } }, spot);
  addToPipeline(b, 'metrics', 'receivers', 'kubeletstats', spot, { create: true });
}

function applyKubernetesEvents(b: Built, values: Values): void {
  const spot: YamlPath = ['presets', 'kubernetesEvents', 'enabled'];
  if (on(values, ['presets', 'kubernetesEvents', 'useK8sEventsReceiver'])) {
    mergePreset(b, { receivers: { k8s_events: {} } }, ['presets', 'kubernetesEvents', 'useK8sEventsReceiver']);
    addToPipeline(b, 'logs', 'receivers', 'k8s_events', spot, { create: true });
    return;
  }
  mergePreset(b, { receivers: { k8sobjects: { objects: [{ name: 'events', mode: 'watch', group: 'events.k8s.io', exclude_watch_type: ['DELETED'] }] } } }, spot);
  addToPipeline(b, 'logs', 'receivers', 'k8sobjects', spot, { create: true });
}

/** `[name, group]` of the kinds each kubernetesObjects group pulls (`kubernetesObjectsConfig`). */
const OBJECT_GROUPS: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, string]>]> = [
  ['core', [['namespaces', ''], ['pods', ''], ['nodes', ''], ['services', ''], ['serviceaccounts', ''], ['deployments', 'apps'], ['replicasets', 'apps'], ['daemonsets', 'apps'], ['statefulsets', 'apps'], ['jobs', 'batch'], ['cronjobs', 'batch']]],
  ['rbac', [['roles', 'rbac.authorization.k8s.io'], ['rolebindings', 'rbac.authorization.k8s.io'], ['clusterroles', 'rbac.authorization.k8s.io'], ['clusterrolebindings', 'rbac.authorization.k8s.io']]],
  ['storage', [['storageclasses', 'storage.k8s.io'], ['persistentvolumes', ''], ['persistentvolumeclaims', '']]],
  ['networking', [['ingresses', 'networking.k8s.io'], ['networkpolicies', 'networking.k8s.io']]],
  ['autoscaling', [['horizontalpodautoscalers', 'autoscaling']]],
  ['policy', [['poddisruptionbudgets', 'policy']]],
  ['apiExtensions', [['customresourcedefinitions', 'apiextensions.k8s.io']]],
];

/** The k8s_leader_elector extension the chart defines for a preset, and its reference. */
function leaderElector(name: string, lease: string, namespace: string): Obj {
  return { [`k8s_leader_elector/${name}`]: { auth_type: 'serviceAccount', lease_name: lease, lease_namespace: namespace } };
}

/** Whether a preset elects a leader, and the values line that decides when it does not. */
function electsLeader(values: Values, mode: Mode, preset: 'clusterMetrics' | 'kubernetesObjects'): boolean {
  if (on(values, ['presets', preset, 'disableLeaderElection'])) return false;
  if (mode === 'daemonset') return true;
  // Chart 0.164.1: a cluster-metrics deployment with several replicas also elects a leader.
  const replicas = Number(values.get(['replicaCount']) ?? 1);
  return preset === 'clusterMetrics' && replicas > 1;
}

/** The receiver's spot: `disableLeaderElection` when it is what leaves a per-node collector unelected. */
function receiverSpot(values: Values, mode: Mode, preset: 'clusterMetrics' | 'kubernetesObjects'): YamlPath {
  const disable: YamlPath = ['presets', preset, 'disableLeaderElection'];
  return mode === 'daemonset' && on(values, disable) && values.isSet(disable) ? disable : ['presets', preset, 'enabled'];
}

function applyKubernetesObjects(b: Built, values: Values, mode: Mode, namespace: string): void {
  const spot = receiverSpot(values, mode, 'kubernetesObjects');
  const elect = electsLeader(values, mode, 'kubernetesObjects');
  const watch = on(values, ['presets', 'kubernetesObjects', 'watch']);
  const objects: Obj[] = [];
  const add = (name: string, group: string) => {
    for (const m of watch ? ['pull', 'watch'] : ['pull']) objects.push({ name, mode: m, ...(group ? { group } : {}) });
  };
  for (const [group, kinds] of OBJECT_GROUPS) {
    if (!on(values, ['presets', 'kubernetesObjects', group, 'enabled'])) continue;
    for (const [name, g] of kinds) add(name, g);
    if (group === 'autoscaling' && on(values, ['presets', 'kubernetesObjects', 'autoscaling', 'vpa', 'enabled'])) add('verticalpodautoscalers', 'autoscaling.k8s.io');
  }
  if (on(values, ['presets', 'kubernetesObjects', 'events', 'enabled'])) objects.push({ name: 'events', mode: 'watch', group: 'events.k8s.io' });
  const existing = asList(getIn(b.config, ['receivers', 'k8sobjects', 'objects']));
  const receiver: Obj = { ...(elect ? { k8s_leader_elector: 'k8s_leader_elector/k8s_objects' } : {}), objects };
  mergePreset(b, { ...(elect ? { extensions: leaderElector('k8s_objects', 'k8s.objects.receiver.opentelemetry.io', namespace) } : {}), receivers: { k8sobjects: receiver } }, spot);
  // The template concatenates the preset's objects and the user's, instead of letting the user's list replace.
  mapAt(mapAt(b.config, 'receivers'), 'k8sobjects').objects = [...objects, ...clone([...existing])];
  if (elect) addExtension(b, 'k8s_leader_elector/k8s_objects', spot);
  addToPipeline(b, 'logs', 'receivers', 'k8sobjects', spot, { create: true });
}

function applyClusterMetrics(b: Built, values: Values, mode: Mode, namespace: string): void {
  const spot = receiverSpot(values, mode, 'clusterMetrics');
  const elect = electsLeader(values, mode, 'clusterMetrics');
  const receiver: Obj = { ...(elect ? { k8s_leader_elector: 'k8s_leader_elector/k8s_cluster' } : {}), collection_interval: '10s' };
  mergePreset(b, { ...(elect ? { extensions: leaderElector('k8s_cluster', 'k8s.cluster.receiver.opentelemetry.io', namespace) } : {}), receivers: { k8s_cluster: receiver } }, spot);
  if (elect) addExtension(b, 'k8s_leader_elector/k8s_cluster', spot);
  addToPipeline(b, 'metrics', 'receivers', 'k8s_cluster', spot, { create: true });
}

/** The resourcedetection detectors the preset enables (env and the node's k8s_api first, as the chart orders them). */
function detectorsOf(values: Values): string[] {
  const rd = (k: string) => on(values, ['presets', 'resourceDetection', k, 'enabled']);
  const out: string[] = [];
  if (rd('env')) out.push('env');
  if (rd('k8s_api') || rd('k8snode')) out.push('k8s_api');
  for (const k of ['aks', 'eks', 'gcp']) if (rd(k)) out.push(k);
  return out;
}

function applyResourceDetection(b: Built, values: Values, rewrite: boolean): void {
  const spot: YamlPath = ['presets', 'resourceDetection', 'enabled'];
  const id = 'resourcedetection/env';
  const existing = asMap(getIn(b.config, ['processors', id])) ?? {};
  const detectors = [...asList(existing.detectors)].map((d) => (rewrite && d === 'k8snode' ? 'k8s_api' : d));
  let processor: Obj = { ...clone(existing) };
  for (const d of detectorsOf(values)) {
    if (!rewrite && d === 'k8s_api') detectors.push('k8snode');
    else detectors.push(d);
    if (d === 'aks' || d === 'eks' || d === 'gcp') {
      const extra: Obj = { [d]: { resource_attributes: { 'k8s.cluster.name': { enabled: true } } }, ...(d === 'eks' ? { timeout: '15s' } : {}) };
      processor = asMap(mergeOverwrite(processor, extra)) ?? processor;
    }
  }
  processor.detectors = uniq(detectors);
  mapAt(b.config, 'processors')[id] = processor;
  b.contributions.push({ fragment: { processors: { [id]: processor } }, spot });
  for (const p of ['logs', 'metrics', 'traces']) {
    if (truthy(pipelineOf(b.config, p))) addToPipeline(b, p, 'processors', id, spot, { prepend: true });
  }
}

const OLD_K8S_ATTRIBUTES = /^k8sattributes(\/.*)?$/;

/**
 * The user's config with the deprecated `k8sattributes[/name]` processor keys and pipeline references
 * renamed to `k8s_attributes[/name]` (the new name wins when both are set).
 */
function renameDeprecated(config: Obj, renamed: Map<string, string>): void {
  const processors = asMap(config.processors);
  const rename = (id: unknown) => (typeof id === 'string' && OLD_K8S_ATTRIBUTES.test(id) ? id.replace(/^k8sattributes/, 'k8s_attributes') : id);
  if (processors) {
    const out: Obj = {};
    for (const [id, v] of Object.entries(processors)) {
      const to = rename(id) as string;
      if (to !== id) {
        if (to in processors) continue;
        renamed.set(to, id);
      }
      out[to] = v;
    }
    config.processors = out;
  }
  for (const pipeline of Object.values(asMap(getIn(config, ['service', 'pipelines'])) ?? {})) {
    const p = asMap(pipeline);
    if (p && Array.isArray(p.processors)) p.processors = uniq(p.processors.map(rename));
  }
}

function buildConfig(release: ReleaseInfo, values: Values, mode: Mode, fullname: string): Built {
  const alternate = asMap(values.get(['alternateConfig']));
  const useAlternate = !!alternate && Object.keys(alternate).length > 0;
  const root = useAlternate ? 'alternateConfig' : 'config';
  const b: Built = { config: clone(asMap(values.get([root])) ?? {}), contributions: [], listAdds: [], renamed: new Map(), root };
  const rewrite = on(values, ['rewriteDeprecatedComponentNames']);
  if (rewrite) renameDeprecated(b.config, b.renamed);
  const namespace = namespaceOf(release, values) ?? 'default';
  const p = (path: string) => on(values, ['presets', ...path.split('.')]);
  if (p('logsCollection.enabled')) applyLogsCollection(b, values, release, fullname, rewrite ? 'file_log' : 'filelog');
  if (p('annotationDiscovery.logs.enabled') || p('annotationDiscovery.metrics.enabled')) applyAnnotationDiscovery(b, values, mode);
  if (p('hostMetrics.enabled')) applyHostMetrics(b);
  if (p('kubeletMetrics.enabled')) applyKubeletMetrics(b);
  if (p('kubernetesAttributes.enabled')) applyKubernetesAttributes(b, values, mode, rewrite ? 'k8s_attributes' : 'k8sattributes');
  // daemonsetConfig never calls applyKubernetesEventsConfig: in daemonset mode the preset only grants RBAC.
  if (mode !== 'daemonset' && p('kubernetesEvents.enabled')) applyKubernetesEvents(b, values);
  if (p('kubernetesObjects.enabled')) applyKubernetesObjects(b, values, mode, namespace);
  if (p('clusterMetrics.enabled')) applyClusterMetrics(b, values, mode, namespace);
  if (p('resourceDetection.enabled') && detectorsOf(values).length > 0) applyResourceDetection(b, values, rewrite);
  return b;
}

// ---------------------------------------------------------------------------------------------------
// Values spots

/** The user's id for a final component id (renamed processors map back). */
function userPath(b: Built, inner: YamlPath): YamlPath {
  if (inner[0] === 'processors' && typeof inner[1] === 'string' && b.renamed.has(inner[1])) return ['processors', b.renamed.get(inner[1])!, ...inner.slice(2)];
  return inner;
}

/** Where a path inside the collector config (`data.relay` past the key) comes from in the values. */
function configSpot(b: Built, values: Values, inner: YamlPath): ValuesSpot | undefined {
  const listLen = inner[0] === 'service' && inner[1] === 'pipelines' ? 4 : inner[0] === 'service' && inner[1] === 'extensions' ? 2 : -1;
  if (listLen > 0 && inner.length > listLen && typeof inner[listLen] === 'number') {
    const list = inner.slice(0, listLen);
    const id = getIn(b.config, inner.slice(0, listLen + 1));
    const userList = values.get([b.root, ...list]);
    const userId = typeof id === 'string' && b.renamed.has(id) ? b.renamed.get(id) : id;
    const i = asList(userList).findIndex((x) => x === userId || x === id);
    if (i >= 0 && values.isSet([b.root, ...list])) return { path: [b.root, ...list, i] };
    const add = [...b.listAdds].reverse().find((a) => a.id === id && a.list.length === list.length && a.list.every((s, k) => s === list[k]));
    return add ? { path: add.spot } : undefined;
  }
  const user = [b.root, ...userPath(b, inner)];
  if (values.isSet(user)) return { path: user };
  // The latest preset holding the longest prefix (component level at least) of the path.
  for (let n = inner.length; n >= 2; n--) {
    const prefix = inner.slice(0, n);
    const c = [...b.contributions].reverse().find((x) => getIn(x.fragment, prefix) !== undefined);
    if (c) return { path: c.spot };
  }
  // The component the user wrote, when the exact path is a chart default beneath it.
  for (let n = user.length - 1; n >= 3; n--) if (values.isSet(user.slice(0, n))) return { path: user.slice(0, n) };
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Objects

function namespaceOf(release: ReleaseInfo, values: Values): string | null {
  const override = asString(values.get(['namespaceOverride']));
  return override ? override : release.namespace;
}

function modeOf(values: Values): Mode | undefined {
  const mode = values.get(['mode']);
  return mode === 'daemonset' || mode === 'deployment' || mode === 'statefulset' ? mode : undefined;
}

const COMPONENT: Record<Mode, string> = { daemonset: 'agent-collector', deployment: 'standalone-collector', statefulset: 'statefulset-collector' };

function metadata(name: string, labels: Obj, namespace: string | null, annotations?: unknown): Obj {
  const ann = asMap(annotations);
  return { ...objectMeta(name, namespace, labels), ...(ann && Object.keys(ann).length ? { annotations: clone(ann) } : {}) };
}

/** `{{ .Release.Name }}` / `{{ .Release.Namespace }}` in a values string (the chart passes it through `tpl`). */
function tplRelease(text: string, release: ReleaseInfo, namespace: string): string {
  return text
    .replace(/\{\{-?\s*\.Release\.Name\s*-?\}\}/g, release.name)
    .replace(/\{\{-?\s*\.Release\.Namespace\s*-?\}\}/g, namespace)
    .trim();
}

/** A rendered object's `spot`. */
type SpotFn = (path: YamlPath, innerLine?: number) => ValuesSpot | undefined;

/** Node-scaling kinds a rule's list / watch makes the agent a cluster-wide reader of (RULEBOOK A.0). */
const READER_KINDS = new Set(['pods', 'nodes', 'endpoints', 'endpointslices', 'events', 'leases', '*']);

function readsClusterWide(rule: unknown): boolean {
  const r = asMap(rule);
  const verbs = [...asList(r?.verbs)].map((v) => asString(v));
  if (!verbs.some((v) => v === 'list' || v === 'watch' || v === '*')) return false;
  return [...asList(r?.resources)].some((x) => READER_KINDS.has(asString(x) ?? ''));
}

function rbacRules(values: Values, mode: Mode): { rules: unknown[]; spots: YamlPath[] } {
  const rules: unknown[] = [];
  const spots: YamlPath[] = [];
  const add = (spot: YamlPath, ...rs: Obj[]) => {
    for (const r of rs) {
      rules.push(r);
      spots.push(spot);
    }
  };
  const p = (path: string) => on(values, ['presets', ...path.split('.')]);
  const get3 = ['get', 'list', 'watch'];
  const electing = (['clusterMetrics', 'kubernetesObjects'] as const).filter((x) => p(`${x}.enabled`) && electsLeader(values, mode, x));
  if (electing.length) {
    add(['presets', electing[0], 'enabled'], { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] });
  }
  asList(values.get(['clusterRole', 'rules'])).forEach((r, i) => {
    rules.push(clone(r));
    spots.push(['clusterRole', 'rules', i]);
  });
  if (p('kubernetesAttributes.enabled')) {
    add(
      ['presets', 'kubernetesAttributes', 'enabled'],
      { apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'watch', 'list'] },
      { apiGroups: ['apps'], resources: ['replicasets'], verbs: get3 },
      { apiGroups: ['extensions'], resources: ['replicasets'], verbs: get3 },
    );
  }
  if (p('clusterMetrics.enabled')) {
    add(
      ['presets', 'clusterMetrics', 'enabled'],
      {
        apiGroups: [''],
        resources: ['events', 'namespaces', 'namespaces/status', 'nodes', 'nodes/spec', 'pods', 'pods/status', 'replicationcontrollers', 'replicationcontrollers/status', 'resourcequotas', 'services'],
        verbs: get3,
      },
      { apiGroups: ['apps'], resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'], verbs: get3 },
      { apiGroups: ['extensions'], resources: ['daemonsets', 'deployments', 'replicasets'], verbs: get3 },
      { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: get3 },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: get3 },
    );
  }
  if (p('kubeletMetrics.enabled')) add(['presets', 'kubeletMetrics', 'enabled'], { apiGroups: [''], resources: ['nodes/stats'], verbs: ['get', 'watch', 'list'] });
  if (p('kubernetesEvents.enabled')) {
    add(
      ['presets', 'kubernetesEvents', 'enabled'],
      p('kubernetesEvents.useK8sEventsReceiver')
        ? { apiGroups: [''], resources: ['events'], verbs: get3 }
        : { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['watch', 'list'] },
    );
  }
  if (p('kubernetesObjects.enabled')) {
    const spot: YamlPath = ['presets', 'kubernetesObjects', 'enabled'];
    const ko = (g: string) => p(`kubernetesObjects.${g}.enabled`);
    if (ko('core')) {
      add(
        spot,
        { apiGroups: [''], resources: ['namespaces', 'pods', 'nodes', 'services', 'serviceaccounts'], verbs: get3 },
        { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'daemonsets', 'statefulsets'], verbs: get3 },
        { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: get3 },
      );
    }
    if (ko('rbac')) add(spot, { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'], verbs: get3 });
    if (ko('storage')) {
      add(spot, { apiGroups: [''], resources: ['persistentvolumes', 'persistentvolumeclaims'], verbs: get3 }, { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: get3 });
    }
    if (ko('networking')) add(spot, { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: get3 });
    if (ko('autoscaling')) {
      add(spot, { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: get3 });
      if (p('kubernetesObjects.autoscaling.vpa.enabled')) add(spot, { apiGroups: ['autoscaling.k8s.io'], resources: ['verticalpodautoscalers'], verbs: get3 });
    }
    if (ko('policy')) add(spot, { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: get3 });
    if (ko('apiExtensions')) add(spot, { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: get3 });
    if (ko('events')) add(spot, { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: get3 });
  }
  if (p('annotationDiscovery.logs.enabled') || p('annotationDiscovery.metrics.enabled')) {
    const spot: YamlPath = ['presets', 'annotationDiscovery', p('annotationDiscovery.logs.enabled') ? 'logs' : 'metrics', 'enabled'];
    add(spot, { apiGroups: [''], resources: ['pods'], verbs: get3 });
  }
  if (p('resourceDetection.enabled') && detectorsOf(values).includes('k8s_api')) {
    add(
      ['presets', 'resourceDetection', 'enabled'],
      { apiGroups: [''], resources: ['nodes'], verbs: get3 },
      { apiGroups: [''], resources: ['namespaces'], resourceNames: ['kube-system'], verbs: ['get'] },
    );
  }
  return { rules, spots };
}

/** Whether the chart renders its ClusterRole (`clusterrole.yaml`'s condition). */
function wantsClusterRole(values: Values): boolean {
  const p = (path: string) => on(values, ['presets', ...path.split('.')]);
  return (
    on(values, ['clusterRole', 'create']) ||
    ['kubernetesAttributes', 'clusterMetrics', 'kubeletMetrics', 'kubernetesEvents', 'kubernetesObjects', 'annotationDiscovery.logs', 'annotationDiscovery.metrics'].some((x) => p(`${x}.enabled`)) ||
    (p('resourceDetection.enabled') && detectorsOf(values).includes('k8s_api'))
  );
}

/** The node-scoped presets that make the chart inject K8S_NODE_NAME / K8S_NODE_IP (daemonset mode). */
function nodeEnvPreset(values: Values, mode: Mode): YamlPath | undefined {
  if (mode !== 'daemonset') return undefined;
  const p = (path: string) => on(values, ['presets', ...path.split('.')]);
  if (p('kubernetesAttributes.enabled')) return ['presets', 'kubernetesAttributes', 'enabled'];
  if (p('kubeletMetrics.enabled')) return ['presets', 'kubeletMetrics', 'enabled'];
  if (p('annotationDiscovery.logs.enabled')) return ['presets', 'annotationDiscovery', 'logs', 'enabled'];
  if (p('annotationDiscovery.metrics.enabled')) return ['presets', 'annotationDiscovery', 'metrics', 'enabled'];
  if (p('resourceDetection.enabled') && detectorsOf(values).includes('k8s_api')) return ['presets', 'resourceDetection', 'enabled'];
  return undefined;
}

const fieldEnv = (name: string, fieldPath: string, apiVersion = false): Obj => ({
  name,
  valueFrom: { fieldRef: { ...(apiVersion ? { apiVersion: 'v1' } : {}), fieldPath } },
});

const QUANTITY_UNITS: Readonly<Record<string, number>> = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** `GOMEMLIMIT` as the chart sets it with `useGOMEMLIMIT`: 80% of `resources.limits.memory`, in whole MiB. */
function goMemLimit(values: Values): string | undefined {
  if (!on(values, ['useGOMEMLIMIT'])) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kMGTPE]i?|Ki)?\s*$/.exec(asString(values.get(['resources', 'limits', 'memory'])) ?? '');
  const unit = QUANTITY_UNITS[m?.[2] ?? ''];
  if (!m || unit === undefined) return undefined;
  return `${Math.floor((Number(m[1]) * unit * 0.8) / 2 ** 20)}MiB`;
}

/** Appends the items of a values list, each with its values path. */
function pushValuesList(values: Values, key: string, out: unknown[], spots: (YamlPath | undefined)[]): void {
  asList(values.get([key])).forEach((item, i) => {
    out.push(clone(item));
    spots.push([key, i]);
  });
}

function workload(release: ReleaseInfo, values: Values, mode: Mode, fullname: string, saName: string, configName: string | undefined, readerSpot: YamlPath | undefined): RenderedDoc {
  const namespace = namespaceOf(release, values);
  const component = COMPONENT[mode];
  const selector = { 'app.kubernetes.io/name': nameOf(values), 'app.kubernetes.io/instance': release.name, component };
  const p = (path: string) => on(values, ['presets', ...path.split('.')]);

  const env: unknown[] = [
    fieldEnv('MY_POD_IP', 'status.podIP', true),
    fieldEnv('OTEL_K8S_NODE_NAME', 'spec.nodeName'),
    fieldEnv('OTEL_K8S_NODE_IP', 'status.hostIP'),
    fieldEnv('OTEL_K8S_NAMESPACE', 'metadata.namespace', true),
    fieldEnv('OTEL_K8S_POD_NAME', 'metadata.name', true),
    fieldEnv('OTEL_K8S_POD_IP', 'status.podIP', true),
  ];
  const envSpots: (YamlPath | undefined)[] = env.map(() => undefined);
  const nodeEnv = nodeEnvPreset(values, mode);
  if (nodeEnv) {
    env.push(fieldEnv('K8S_NODE_NAME', 'spec.nodeName'), fieldEnv('K8S_NODE_IP', 'status.hostIP'));
    envSpots.push(nodeEnv, nodeEnv);
  }
  const gomemlimit = goMemLimit(values);
  if (gomemlimit) {
    env.push({ name: 'GOMEMLIMIT', value: gomemlimit });
    envSpots.push(['resources', 'limits', 'memory']);
  }
  pushValuesList(values, 'extraEnvs', env, envSpots);

  const mounts: unknown[] = [];
  const mountSpots: (YamlPath | undefined)[] = [];
  const volumes: unknown[] = [];
  const volumeSpots: (YamlPath | undefined)[] = [];
  const configSpotPath: YamlPath = values.isSet(['configMap', 'existingName']) ? ['configMap', 'existingName'] : ['configMap', 'create'];
  if (configName !== undefined) {
    mounts.push({ mountPath: '/conf', name: `${CHART}-configmap` });
    mountSpots.push(configSpotPath);
    volumes.push({ name: `${CHART}-configmap`, configMap: { name: configName, items: [{ key: 'relay', path: 'relay.yaml' }] } });
    volumeSpots.push(configSpotPath);
  }
  // Pod log files: read by the logs preset and by annotation-discovered log receivers.
  if (p('logsCollection.enabled') || p('annotationDiscovery.logs.enabled')) {
    const spot: YamlPath = p('logsCollection.enabled') ? ['presets', 'logsCollection', 'enabled'] : ['presets', 'annotationDiscovery', 'logs', 'enabled'];
    const checkpoints = p('logsCollection.enabled') && p('logsCollection.storeCheckpoints');
    mounts.push({ name: 'varlogpods', mountPath: '/var/log/pods', readOnly: true }, { name: 'varlibdockercontainers', mountPath: '/var/lib/docker/containers', readOnly: true });
    mountSpots.push(spot, spot);
    volumes.push({ name: 'varlogpods', hostPath: { path: '/var/log/pods' } });
    volumeSpots.push(spot);
    if (checkpoints) {
      mounts.push({ name: 'varlibotelcol', mountPath: '/var/lib/otelcol' });
      mountSpots.push(spot);
      volumes.push({ name: 'varlibotelcol', hostPath: { path: '/var/lib/otelcol', type: 'DirectoryOrCreate' } });
      volumeSpots.push(spot);
    }
    volumes.push({ name: 'varlibdockercontainers', hostPath: { path: '/var/lib/docker/containers' } });
    volumeSpots.push(spot);
  }
  if (p('hostMetrics.enabled')) {
    const spot: YamlPath = ['presets', 'hostMetrics', 'enabled'];
    mounts.push({ name: 'hostfs', mountPath: '/hostfs', readOnly: true, mountPropagation: 'HostToContainer' });
    mountSpots.push(spot);
    volumes.push({ name: 'hostfs', hostPath: { path: '/' } });
    volumeSpots.push(spot);
  }
  pushValuesList(values, 'extraVolumeMounts', mounts, mountSpots);
  pushValuesList(values, 'extraVolumes', volumes, volumeSpots);

  const args: unknown[] = configName !== undefined ? ['--config=/conf/relay.yaml'] : [];
  const argSpots: (YamlPath | undefined)[] = configName !== undefined ? [configSpotPath] : [];
  asList(values.get(['command', 'extraArgs'])).forEach((a, i) => {
    args.push(asString(a) ?? '');
    argSpots.push(['command', 'extraArgs', i]);
  });

  const image = asMap(values.get(['image'])) ?? {};
  const repo = asString(image.repository) ?? '';
  const digest = asString(image.digest);
  const container: Obj = {
    name: CHART,
    ...(truthy(values.get(['command', 'name'])) ? { command: [`/${asString(values.get(['command', 'name']))}`] } : {}),
    args,
    image: digest ? `${repo}@${digest}` : `${repo}:${asString(image.tag) || APP_VERSION}`,
    imagePullPolicy: asString(image.pullPolicy) ?? 'IfNotPresent',
    env,
    ...(asList(values.get(['extraEnvsFrom'])).length ? { envFrom: clone([...asList(values.get(['extraEnvsFrom']))]) } : {}),
    ...(truthy(values.get(['resources'])) ? { resources: clone(values.get(['resources'])) } : {}),
    volumeMounts: mounts,
  };
  const podSpec: Obj = {
    serviceAccountName: saName,
    automountServiceAccountToken: values.get(['serviceAccount', 'automountServiceAccountToken']) ?? true,
    containers: [container],
    ...(truthy(values.get(['priorityClassName'])) ? { priorityClassName: asString(values.get(['priorityClassName'])) } : {}),
    volumes,
    ...(truthy(values.get(['nodeSelector'])) ? { nodeSelector: clone(values.get(['nodeSelector'])) } : {}),
    ...(truthy(values.get(['affinity'])) ? { affinity: clone(values.get(['affinity'])) } : {}),
    ...(truthy(values.get(['tolerations'])) ? { tolerations: clone(values.get(['tolerations'])) } : {}),
    hostNetwork: values.get(['hostNetwork']) === true,
  };
  const podLabels = asMap(values.get(['podLabels'])) ?? {};
  const podAnnotations = asMap(values.get(['podAnnotations']));
  const template: Obj = {
    metadata: { ...(podAnnotations && Object.keys(podAnnotations).length ? { annotations: clone(podAnnotations) } : {}), labels: { ...selector, ...clone(podLabels) } },
    spec: podSpec,
  };
  const kind = mode === 'daemonset' ? 'DaemonSet' : mode === 'deployment' ? 'Deployment' : 'StatefulSet';
  const replicas = Number(values.get(['replicaCount']) ?? 1);
  const spec: Obj = {
    ...(mode !== 'daemonset' ? { replicas: Number.isFinite(replicas) ? replicas : 1 } : {}),
    selector: { matchLabels: selector },
    ...(mode === 'daemonset' ? { updateStrategy: { type: 'RollingUpdate' } } : mode === 'deployment' ? { strategy: { type: 'RollingUpdate' } } : { serviceName: fullname, podManagementPolicy: 'Parallel' }),
    template,
  };
  const doc: Obj = {
    apiVersion: 'apps/v1',
    kind,
    metadata: metadata(mode === 'daemonset' ? `${fullname}-agent` : fullname, labels(release, values, mode), namespace, values.get(['annotations'])),
    spec,
  };

  const listSpot = (list: (YamlPath | undefined)[], i: unknown, rest: YamlPath): ValuesSpot | undefined => {
    const base = typeof i === 'number' ? list[i] : undefined;
    if (!base) return undefined;
    // A values list item: the rest of the path continues inside it.
    return { path: base.length >= 2 && typeof base[base.length - 1] === 'number' ? [...base, ...rest] : base };
  };
  const spot: SpotFn = (path) => {
    const c = ['spec', 'template', 'spec', 'containers', 0];
    const under = (prefix: YamlPath) => prefix.every((s, k) => path[k] === s);
    if (under([...c, 'env'])) return listSpot(envSpots, path[c.length + 1], path.slice(c.length + 2));
    if (under([...c, 'volumeMounts'])) return listSpot(mountSpots, path[c.length + 1], path.slice(c.length + 2));
    if (under([...c, 'args'])) return listSpot(argSpots, path[c.length + 1], []);
    if (under([...c, 'envFrom'])) return { path: ['extraEnvsFrom', ...path.slice(c.length + 1)] };
    if (under(['spec', 'template', 'spec', 'volumes'])) return listSpot(volumeSpots, path[4], path.slice(5));
    if (under(['spec', 'template', 'spec', 'serviceAccountName']) || under(['spec', 'template', 'spec', 'serviceAccount'])) {
      // What makes the agent a cluster-wide reader is the RBAC a preset or clusterRole.rules grants it.
      if (readerSpot) return { path: readerSpot };
      return { path: values.isSet(['serviceAccount', 'name']) ? ['serviceAccount', 'name'] : ['mode'] };
    }
    for (const key of ['nodeSelector', 'affinity', 'tolerations', 'priorityClassName', 'hostNetwork'] as const) {
      if (under(['spec', 'template', 'spec', key]) && values.isSet([key])) return { path: [key, ...path.slice(4)] };
    }
    if (under(['spec', 'template', 'metadata', 'annotations']) && values.isSet(['podAnnotations'])) return { path: ['podAnnotations', ...path.slice(4)] };
    if (under(['metadata', 'annotations']) && values.isSet(['annotations'])) return { path: ['annotations', ...path.slice(2)] };
    if (under(['spec', 'replicas']) && values.isSet(['replicaCount'])) return { path: ['replicaCount'] };
    return { path: ['mode'] };
  };
  return { doc, spot };
}

function nameOf(values: Values): string {
  const override = asString(values.get(['nameOverride']));
  return (override || CHART).slice(0, 63).replace(/-+$/, '');
}

function labels(release: ReleaseInfo, values: Values, mode: Mode): Obj {
  return {
    'helm.sh/chart': `${CHART}-${release.chartVersion ?? CHART_VERSION}`,
    'app.kubernetes.io/name': nameOf(values),
    'app.kubernetes.io/instance': release.name,
    'app.kubernetes.io/version': APP_VERSION,
    'app.kubernetes.io/managed-by': 'Helm',
    'app.kubernetes.io/part-of': CHART,
    'app.kubernetes.io/component': COMPONENT[mode],
  };
}

function render(release: ReleaseInfo, values: Values): RenderedDoc[] {
  // NOTES.txt fails the install for any other mode: nothing is deployed.
  const mode = modeOf(values);
  if (!mode) return [];
  // An umbrella chart's alias is the subchart's `.Chart.Name`: release.chart carries it.
  const fullname = chartFullname(release, values);
  const namespace = namespaceOf(release, values);
  const subjectNamespace = namespace ?? 'default';
  const out: RenderedDoc[] = [];

  const saCreate = on(values, ['serviceAccount', 'create']);
  const saName = serviceAccountName(values, fullname);

  const create = on(values, ['configMap', 'create']);
  const existing = asString(values.get(['configMap', 'existingName']));
  const ownName = mode === 'daemonset' ? `${fullname}-agent` : mode === 'statefulset' ? `${fullname}-statefulset` : fullname;
  const configName = existing ? tplRelease(existing, release, subjectNamespace) : create ? ownName : undefined;

  const rbac = wantsClusterRole(values) ? rbacRules(values, mode) : undefined;
  const readerIndex = rbac ? rbac.rules.findIndex(readsClusterWide) : -1;
  const readerSpot = rbac && readerIndex >= 0 ? rbac.spots[readerIndex] : undefined;

  if (create && !existing) {
    const built = buildConfig(release, values, mode, fullname);
    const relay = jsyaml.dump(built.config, { sortKeys: true, noRefs: true, lineWidth: -1 });
    out.push({
      doc: { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(ownName, labels(release, values, mode), namespace), data: { relay } },
      spot: (path) => (path[0] === 'data' && path[1] === 'relay' ? configSpot(built, values, path.slice(2)) : undefined),
    });
  }
  out.push(workload(release, values, mode, fullname, saName, configName, readerSpot));

  if (saCreate) {
    out.push({
      // The annotations go through `metadata` (copied, as the chart's other objects' are).
      doc: serviceAccount(metadata(saName, labels(release, values, mode), namespace, values.get(['serviceAccount', 'annotations']))),
      spot: () => ({ path: ['serviceAccount', 'create'] }),
    });
  }
  if (rbac) {
    const roleName = asString(values.get(['clusterRole', 'name'])) || fullname;
    const bindingName = asString(values.get(['clusterRole', 'clusterRoleBinding', 'name'])) || fullname;
    out.push({
      doc: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: metadata(roleName, labels(release, values, mode), null, values.get(['clusterRole', 'annotations'])),
        rules: rbac.rules,
      },
      spot: (path) => {
        const i = path[0] === 'rules' && typeof path[1] === 'number' ? path[1] : -1;
        const base = rbac.spots[i];
        if (!base) return undefined;
        return { path: base[0] === 'clusterRole' ? [...base, ...path.slice(2)] : base };
      },
    });
    const bindingMeta = metadata(bindingName, labels(release, values, mode), null, values.get(['clusterRole', 'clusterRoleBinding', 'annotations']));
    out.push({ doc: clusterRoleBinding(bindingMeta, roleName, saName, subjectNamespace), spot: () => (readerSpot ? { path: readerSpot } : undefined) });
  }
  return out;
}

export const otelCollectorChart: ChartAdapter = {
  charts: [CHART],
  defaults: DEFAULTS,
  anchors: [['mode']],
  render,
};
