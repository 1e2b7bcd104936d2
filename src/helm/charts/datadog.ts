/**
 * Chart adapter for the Datadog Agent chart (`datadog`, DataDog/helm-charts `charts/datadog`, modelled on
 * chart 3.240.0 — its values.yaml defaults and the rendered baselines under `test/datadog/baseline` — and
 * the templates `daemonset.yaml`, `_container-agent.yaml`, `_containers-common-env.yaml`, `rbac.yaml`,
 * `confd-configmap.yaml` and `_helpers.tpl`). RULEBOOK A.10, SCALE-DD-1/2/3.
 *
 * It renders what decides the node agent's API-server load:
 * - the node agent DaemonSet `<fullname>` with the containers the chart enables (agent, trace-agent,
 *   process-agent, system-probe, security-agent, otel-agent, agent-data-plane, in the chart's order) and the env vars the
 *   rules read: `DD_CLUSTER_AGENT_ENABLED` (`clusterAgent.enabled`, `existingClusterAgent`), on the agent
 *   container `DD_LEADER_ELECTION` / `DD_COLLECT_KUBERNETES_EVENTS` when the cluster agent is off
 *   (`datadog.leaderElection`, `datadog.collectEvents`), `DD_KUBELET_USE_API_SERVER`
 *   (`datadog.kubelet.useApiServer`) and the user's `datadog.env` / `envDict` and per-container `env` /
 *   `envDict` (where `DD_KUBE_STATE_METRICS_CORE_ENABLED` would come from: the chart never sets it);
 * - the node agent's `confd` ConfigMap (`datadog.autoconf`, then `datadog.confd`) and the volumes
 *   joining it (and `checksd`) to the DaemonSet;
 * - the agent ServiceAccount, ClusterRole and ClusterRoleBinding, with the cluster-wide list/watch rules the
 *   chart grants the node agent when no cluster agent is deployed, and `pods` get/list for
 *   `kubelet.useApiServer`;
 * - the cluster agent Deployment and its ServiceAccount when it is deployed (not per-node: context only).
 *
 * Left out: probes, ports, security contexts, host volumes, the fips-proxy / host-profiler /
 * private-action-runner containers (none carries the variables the rules read), the
 * DDOT collector's ConfigMap, `checksd` contents (Python), the cluster agent's RBAC and confd, the
 * cluster checks runner, and the node-agent `kubernetes_state_core` pod collection of later chart versions.
 *
 * The DaemonSet is rendered even when no `datadog.apiKey` / `apiKeyExistingSecret` is in the values (the
 * chart then renders none): the key is normally passed at install time (`--set`, a secret manager), and a
 * release that deploys no agent on purpose sets `agents.enabled: false`.
 */
import type { YamlPath } from '../../types.js';
import { lineOf } from '../../yaml/lines.js';
import { asList, asMap } from '../../yaml/walk.js';
import { clusterRoleBinding, fullname, objectMeta, serviceAccount, type ChartAdapter, type ReleaseInfo, type RenderedDoc, type Values, type ValuesSpot } from '../chart.js';
import { text, truthy, withDefault } from '../template.js';

/** Defaults of the knobs read here (DataDog/helm-charts charts/datadog/values.yaml, chart 3.240.0). */
const DEFAULTS = {
  targetSystem: 'linux',
  registry: null,
  registryMigrationMode: 'auto',
  useFIPSAgent: false,
  datadog: {
    apiKey: null,
    apiKeyExistingSecret: null,
    site: null,
    logLevel: 'INFO',
    leaderElection: true,
    leaderLeaseDuration: null,
    leaderElectionResource: 'configmap',
    collectEvents: true,
    kubernetesUseEndpointSlices: true,
    kubelet: { host: { valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }, useApiServer: false, fineGrainedAuthorization: false },
    env: [],
    envDict: {},
    confd: {},
    autoconf: {},
    checksd: {},
    apm: { socketEnabled: true, portEnabled: false, enabled: false, useSocketVolume: false, useLocalService: false },
    csi: { enabled: false },
    otelCollector: { enabled: false, useStandaloneImage: true },
    dataPlane: { enabled: false, dogstatsd: { enabled: true } },
    processAgent: { processCollection: false, processDiscovery: true, containerCollection: true },
    networkMonitoring: { enabled: false },
    serviceMonitoring: { enabled: false },
    traceroute: { enabled: false },
    discovery: { enabled: null, serviceMap: { enabled: false } },
    gpuMonitoring: { enabled: false, privilegedMode: false },
    dynamicInstrumentationGo: { enabled: false },
    sbom: { enrichment: { usage: { enabled: false } } },
    orchestratorExplorer: { enabled: true },
    securityAgent: { compliance: { enabled: false, runInSystemProbe: false }, runtime: { enabled: false, directSendFromSystemProbe: false } },
  },
  clusterAgent: {
    enabled: true,
    replicas: 1,
    tokenExistingSecret: '',
    image: { name: 'cluster-agent', tag: '7.81.1', digest: '', repository: null },
    rbac: { create: true, serviceAccountName: 'default' },
  },
  existingClusterAgent: { join: false, serviceName: null, tokenSecretName: null },
  agents: {
    enabled: true,
    image: { name: 'agent', tag: '7.81.1', digest: '', tagSuffix: '', repository: null, doNotCheckTag: null, pullPolicy: 'IfNotPresent' },
    rbac: { create: true, serviceAccountName: 'default', automountServiceAccountToken: true },
    containers: {},
    tolerations: [],
    nodeSelector: {},
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
  },
  providers: { gke: { autopilot: false, gdc: false } },
} as const;

type Version = readonly [number, number, number];

/** The chart's `get-agent-version`: the tag without `-jmx`, the floating `7` / `latest` pinned; undefined when not semver-like (treated as latest). */
function agentVersion(values: Values): Version | undefined {
  const tag = text(values.get(['agents', 'image', 'tag'])).replace(/-jmx$/, '');
  if (tag === '6') return [6, 55, 1];
  if (tag === '7' || tag === 'latest') return [7, 80, 1];
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(tag);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** `version >= min`, a non-semver version counting as the latest. */
function atLeast(v: Version | undefined, min: Version): boolean {
  if (!v) return true;
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i] > min[i];
  return true;
}

/** One env entry of a container, with the values spot that set it. */
interface Env {
  readonly entry: Record<string, unknown>;
  readonly spot?: ValuesSpot;
}

/** Everything derived once from the values (the chart's helpers). */
class Ctx {
  readonly full: string;
  readonly ns: string | null;
  readonly linux: boolean;
  readonly autopilot: boolean;
  readonly gdc: boolean;
  readonly existingDca: boolean;
  /** `cluster-agent-enabled`: what the node agents' env says. */
  readonly dcaEnabled: boolean;
  /** `should-deploy-cluster-agent`: what the agent ClusterRole and the Deployment follow. */
  readonly dcaDeployed: boolean;
  readonly version: Version | undefined;

  constructor(
    readonly release: ReleaseInfo,
    readonly values: Values,
  ) {
    this.full = fullname(release, values);
    this.ns = release.namespace;
    this.linux = text(this.get(['targetSystem'])) !== 'windows';
    this.autopilot = this.on(['providers', 'gke', 'autopilot']);
    this.gdc = this.on(['providers', 'gke', 'gdc']);
    this.existingDca = this.on(['existingClusterAgent', 'join']) && this.on(['existingClusterAgent', 'serviceName']) && this.on(['existingClusterAgent', 'tokenSecretName']);
    this.dcaEnabled = this.existingDca || this.on(['clusterAgent', 'enabled']);
    this.dcaDeployed = this.on(['clusterAgent', 'enabled']) && !this.on(['existingClusterAgent', 'join']);
    this.version = agentVersion(values);
  }

  get(path: YamlPath): unknown {
    return this.values.get(path);
  }

  on(path: YamlPath): boolean {
    return truthy(this.values.get(path));
  }

  /** Where the cluster agent's state is set: `existingClusterAgent.join` when joining one, else `clusterAgent.enabled`. */
  get dcaSpot(): ValuesSpot {
    return { path: this.on(['existingClusterAgent', 'join']) ? ['existingClusterAgent', 'join'] : ['clusterAgent', 'enabled'] };
  }

  registry(): string {
    const explicit = text(this.get(['registry']));
    if (explicit) return explicit;
    const site = text(this.get(['datadog', 'site'])) || 'datadoghq.com';
    const mode = text(this.get(['registryMigrationMode']));
    if (site === 'ddog-gov.com') return 'public.ecr.aws/datadog';
    if (site === 'us3.datadoghq.com' && !this.autopilot && !this.gdc) return 'datadoghq.azurecr.io';
    if ((mode === 'auto' || mode === 'all') && !this.autopilot && !this.gdc) return 'registry.datadoghq.com';
    if (site === 'datadoghq.eu') return 'eu.gcr.io/datadoghq';
    if (site === 'ap1.datadoghq.com') return 'asia.gcr.io/datadoghq';
    return 'gcr.io/datadoghq';
  }

  /** The chart's `image-path` for an image block (`name`, `tag`, `tagSuffix`, `digest`, `repository`). */
  imagePath(image: unknown): string {
    const m = asMap(image) ?? {};
    const repository = text(m.repository);
    const digest = text(m.digest);
    const base = repository || `${this.registry()}/${text(m.name)}`;
    if (digest) return `${base}@${digest}`;
    let suffix = this.on(['useFIPSAgent']) ? '-fips' : '';
    if (truthy(m.tagSuffix)) suffix += `-${text(m.tagSuffix)}`;
    return `${base}:${text(m.tag)}${suffix}`;
  }

  agentImage(): string {
    return this.imagePath(this.get(['agents', 'image']));
  }

  /** `ddot-collector-image`: the standalone collector image, or the agent image (a `-full` tag). */
  otelImage(): string {
    if (!this.on(['datadog', 'otelCollector', 'useStandaloneImage'])) return this.agentImage();
    const tag = text(this.get(['agents', 'image', 'tag'])).replace(/-jmx$/, '');
    const version = tag === 'latest' || !this.version ? 'latest' : this.version.join('.');
    return this.imagePath({ name: 'ddot-collector', tag: version });
  }

  serviceAccount(): string {
    if (this.autopilot) return 'datadog-agent';
    return this.on(['agents', 'rbac', 'create']) ? this.full : text(this.get(['agents', 'rbac', 'serviceAccountName'])) || 'default';
  }

  confdName(): string {
    return this.autopilot ? 'datadog-agent-confd' : `${this.full}-confd`;
  }

  // --- Which containers the DaemonSet runs (the chart's `should-enable-*` helpers). ---

  traceAgent(): boolean {
    const apm = (k: string) => this.on(['datadog', 'apm', k]);
    // `trace-agent-use-uds` prints "false" and then its second verdict on Autopilot without CSI, GDC and
    // Windows, which never equals "true": no socket there.
    const udsBlocked = (this.autopilot && !this.on(['datadog', 'csi', 'enabled'])) || this.gdc || !this.linux;
    const uds = !udsBlocked && (apm('socketEnabled') || apm('useSocketVolume'));
    return uds || apm('portEnabled') || apm('enabled') || apm('useLocalService');
  }

  processAgent(): boolean {
    if (this.gdc) return false;
    if (this.on(['datadog', 'networkMonitoring', 'enabled']) || this.on(['datadog', 'serviceMonitoring', 'enabled'])) return true;
    const checkTag = !this.on(['agents', 'image', 'doNotCheckTag']);
    if (checkTag && this.on(['datadog', 'orchestratorExplorer', 'enabled']) && this.dcaEnabled && this.version && !atLeast(this.version, [7, 51, 1])) return true;
    const onCore = this.linux && (!checkTag || atLeast(this.version, [7, 60, 0]));
    if (onCore) return false;
    const pa = (k: string) => this.on(['datadog', 'processAgent', k]);
    return pa('containerCollection') || pa('processCollection') || pa('processDiscovery');
  }

  private discovery(): boolean {
    const explicit = this.get(['datadog', 'discovery', 'enabled']);
    if (explicit !== undefined && explicit !== null) return truthy(explicit);
    if (this.autopilot && !this.on(['datadog', 'envDict', 'HELM_FORCE_RENDER'])) return false;
    return atLeast(this.version, [7, 78, 0]);
  }

  systemProbe(): boolean {
    if (!this.linux || this.gdc) return false;
    const d = (...p: string[]) => this.on(['datadog', ...p]);
    const noCloud = !this.autopilot && !this.gdc;
    return (
      d('securityAgent', 'runtime', 'enabled') ||
      d('networkMonitoring', 'enabled') ||
      d('systemProbe', 'enableTCPQueueLength') ||
      d('systemProbe', 'enableOOMKill') ||
      d('serviceMonitoring', 'enabled') ||
      d('traceroute', 'enabled') ||
      this.discovery() ||
      d('discovery', 'serviceMap', 'enabled') ||
      (d('gpuMonitoring', 'enabled') && d('gpuMonitoring', 'privilegedMode')) ||
      d('dynamicInstrumentationGo', 'enabled') ||
      (d('securityAgent', 'compliance', 'enabled') && d('securityAgent', 'compliance', 'runInSystemProbe')) ||
      (noCloud && d('sbom', 'enrichment', 'usage', 'enabled'))
    );
  }

  securityAgent(): boolean {
    if (!this.linux || this.gdc) return false;
    const s = (...p: string[]) => this.on(['datadog', 'securityAgent', ...p]);
    return (s('compliance', 'enabled') && !s('compliance', 'runInSystemProbe')) || (s('runtime', 'enabled') && !s('runtime', 'directSendFromSystemProbe'));
  }

  otelAgent(): boolean {
    return this.on(['datadog', 'otelCollector', 'enabled']) && !this.gdc;
  }

  /** `should-enable-data-plane` (the chart fails when no pipeline is on; then none is rendered here). */
  dataPlane(): boolean {
    return this.on(['datadog', 'dataPlane', 'enabled']) && this.on(['datadog', 'dataPlane', 'dogstatsd', 'enabled']) && !this.gdc;
  }
}

const val = (name: string, value: string, spot?: ValuesSpot): Env => ({ entry: { name, value }, ...(spot ? { spot } : {}) });

/** `additional-env-entries`: a list of `{name, value | valueFrom}` (entries without a name are skipped, where the chart fails). */
function listEnv(list: unknown, at: YamlPath): Env[] {
  const out: Env[] = [];
  asList(list).forEach((e, i) => {
    const m = asMap(e);
    const name = text(m?.name);
    if (!m || !name) return;
    const entry: Record<string, unknown> = truthy(m.value) ? { name, value: text(m.value) } : { name, valueFrom: m.valueFrom ?? null };
    out.push({ entry, spot: { path: [...at, i] } });
  });
  return out;
}

/** `additional-env-dict-entries`: a mapping of name → value (or → an env source mapping). */
function dictEnv(dict: unknown, at: YamlPath): Env[] {
  return Object.entries(asMap(dict) ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, v]) => ({ entry: asMap(v) ? { name, ...asMap(v) } : { name, value: text(v) }, spot: { path: [...at, name] } }));
}

/** `containers-common-env` (what every node-agent container and `init-config` get). */
function commonEnv(c: Ctx): Env[] {
  const secret = text(c.get(['datadog', 'apiKeyExistingSecret']));
  const out: Env[] = [
    {
      entry: { name: 'DD_API_KEY', valueFrom: { secretKeyRef: { name: secret || c.full, key: 'api-key' } } },
      spot: { path: secret ? ['datadog', 'apiKeyExistingSecret'] : ['datadog', 'apiKey'] },
    },
  ];
  if (!c.autopilot) out.push(val('DD_AUTH_TOKEN_FILE_PATH', '/etc/datadog-agent/auth/token'));
  out.push(val('KUBERNETES', 'yes'));
  const host = c.get(['datadog', 'kubelet', 'host']);
  if (truthy(host)) out.push({ entry: asMap(host) ? { name: 'DD_KUBERNETES_KUBELET_HOST', ...asMap(host) } : { name: 'DD_KUBERNETES_KUBELET_HOST', value: text(host) }, spot: { path: ['datadog', 'kubelet', 'host'] } });
  out.push(val('DD_KUBELET_USE_API_SERVER', text(c.get(['datadog', 'kubelet', 'useApiServer'])), { path: ['datadog', 'kubelet', 'useApiServer'] }));
  out.push(val('DD_KUBERNETES_USE_ENDPOINT_SLICES', text(c.get(['datadog', 'kubernetesUseEndpointSlices'])), { path: ['datadog', 'kubernetesUseEndpointSlices'] }));
  out.push(...listEnv(c.get(['datadog', 'env']), ['datadog', 'env']));
  out.push(...dictEnv(c.get(['datadog', 'envDict']), ['datadog', 'envDict']));
  if (c.autopilot || c.gdc) out.push(val('DD_PROVIDER_KIND', c.autopilot ? 'gke-autopilot' : 'gke-gdc', { path: ['providers', 'gke', c.autopilot ? 'autopilot' : 'gdc'] }));
  return out;
}

/** `containers-cluster-agent-env`. */
function clusterAgentEnv(c: Ctx): Env[] {
  const out: Env[] = [val('DD_CLUSTER_AGENT_ENABLED', c.dcaEnabled ? 'true' : 'false', c.dcaSpot)];
  if (c.dcaDeployed) {
    out.push(val('DD_CLUSTER_AGENT_KUBERNETES_SERVICE_NAME', `${c.full}-cluster-agent`));
    const token = text(c.get(['clusterAgent', 'tokenExistingSecret']));
    out.push({ entry: { name: 'DD_CLUSTER_AGENT_AUTH_TOKEN', valueFrom: { secretKeyRef: { name: token || `${c.full}-cluster-agent`, key: 'token' } } } });
  } else if (c.existingDca) {
    out.push(val('DD_CLUSTER_AGENT_KUBERNETES_SERVICE_NAME', text(c.get(['existingClusterAgent', 'serviceName'])), { path: ['existingClusterAgent', 'serviceName'] }));
    out.push({ entry: { name: 'DD_CLUSTER_AGENT_AUTH_TOKEN', valueFrom: { secretKeyRef: { name: text(c.get(['existingClusterAgent', 'tokenSecretName'])), key: 'token' } } } });
  }
  return out;
}

/** A container's own `env` / `envDict` (`agents.containers.<key>`). */
function ownEnv(c: Ctx, key: string): Env[] {
  const at: YamlPath = ['agents', 'containers', key];
  return [...listEnv(c.get([...at, 'env']), [...at, 'env']), ...dictEnv(c.get([...at, 'envDict']), [...at, 'envDict'])];
}

function logLevel(c: Ctx, key: string): Env[] {
  const own = c.get(['agents', 'containers', key, 'logLevel']);
  return truthy(c.get(['datadog', 'logLevel'])) ? [val('DD_LOG_LEVEL', text(withDefault(c.get(['datadog', 'logLevel']), own)))] : [];
}

/** The agent container's env (`_container-agent.yaml`): the leader election and event collection variables when no cluster agent is enabled. */
function agentEnv(c: Ctx): Env[] {
  const out = [...commonEnv(c), ...logLevel(c, 'agent')];
  if (!c.dcaEnabled) {
    // These exist only because the cluster agent is off: a finding on them is about clusterAgent.enabled.
    if (c.on(['datadog', 'leaderElection'])) {
      out.push(val('DD_LEADER_ELECTION', text(c.get(['datadog', 'leaderElection'])), c.dcaSpot));
      out.push(val('DD_LEADER_ELECTION_DEFAULT_RESOURCE', text(c.get(['datadog', 'leaderElectionResource'])), { path: ['datadog', 'leaderElectionResource'] }));
    }
    if (c.on(['datadog', 'leaderLeaseDuration'])) out.push(val('DD_LEADER_LEASE_DURATION', text(c.get(['datadog', 'leaderLeaseDuration'])), { path: ['datadog', 'leaderLeaseDuration'] }));
    if (c.on(['datadog', 'collectEvents'])) out.push(val('DD_COLLECT_KUBERNETES_EVENTS', text(c.get(['datadog', 'collectEvents'])), { path: ['datadog', 'collectEvents'] }));
  } else out.push(...clusterAgentEnv(c));
  out.push(val('DD_APM_ENABLED', c.traceAgent() ? 'true' : 'false'));
  out.push(val('DD_HEALTH_PORT', '5555'));
  if (c.otelAgent()) out.push(val('DD_OTELCOLLECTOR_ENABLED', 'true', { path: ['datadog', 'otelCollector', 'enabled'] }));
  out.push(...ownEnv(c, 'agent'));
  return out;
}

interface Container {
  readonly key: string;
  readonly body: Record<string, unknown>;
  readonly env: Env[];
  readonly imageSpot: ValuesSpot;
}

const AGENT_IMAGE_SPOT: ValuesSpot = { path: ['agents', 'image'] };

function containersOf(c: Ctx): Container[] {
  const image = c.agentImage();
  const pull = text(c.get(['agents', 'image', 'pullPolicy'])) || 'IfNotPresent';
  const mk = (key: string, name: string, env: Env[], extra: Record<string, unknown>, img = image, imageSpot = AGENT_IMAGE_SPOT): Container => ({
    key,
    body: { name, image: img, imagePullPolicy: pull, ...extra },
    env,
    imageSpot,
  });
  const confMount = { name: 'config', mountPath: '/etc/datadog-agent' };
  const out: Container[] = [mk('agent', 'agent', agentEnv(c), { command: ['agent', 'run'], volumeMounts: [confMount] })];
  if (c.traceAgent()) {
    out.push(mk('traceAgent', 'trace-agent', [...commonEnv(c), ...clusterAgentEnv(c), ...logLevel(c, 'traceAgent'), val('DD_APM_ENABLED', 'true'), ...ownEnv(c, 'traceAgent')], { command: ['trace-agent', '-config=/etc/datadog-agent/datadog.yaml'], volumeMounts: [confMount] }));
  }
  if (c.processAgent()) {
    out.push(mk('processAgent', 'process-agent', [...commonEnv(c), ...clusterAgentEnv(c), ...logLevel(c, 'processAgent'), ...ownEnv(c, 'processAgent')], { command: ['process-agent', '--cfgpath=/etc/datadog-agent/datadog.yaml'], volumeMounts: [confMount] }));
  }
  if (c.systemProbe()) {
    out.push(mk('systemProbe', 'system-probe', [...commonEnv(c), ...logLevel(c, 'systemProbe'), ...ownEnv(c, 'systemProbe')], { command: ['system-probe', '--config=/etc/datadog-agent/system-probe.yaml'], volumeMounts: [confMount] }));
  }
  if (c.securityAgent()) {
    out.push(mk('securityAgent', 'security-agent', [...commonEnv(c), ...clusterAgentEnv(c), ...logLevel(c, 'securityAgent'), ...ownEnv(c, 'securityAgent')], { command: ['security-agent', 'start', '-c=/etc/datadog-agent/datadog.yaml'], volumeMounts: [confMount] }));
  }
  if (c.otelAgent()) {
    const otelEnv = [...commonEnv(c), ...clusterAgentEnv(c), val('DD_OTELCOLLECTOR_ENABLED', 'true', { path: ['datadog', 'otelCollector', 'enabled'] }), ...logLevel(c, 'otelAgent'), ...ownEnv(c, 'otelAgent')];
    const spot: ValuesSpot = c.on(['datadog', 'otelCollector', 'useStandaloneImage']) ? { path: ['datadog', 'otelCollector', 'useStandaloneImage'] } : AGENT_IMAGE_SPOT;
    out.push(
      mk('otelAgent', 'otel-agent', otelEnv, {
        command: ['otel-agent', '--core-config=/etc/datadog-agent/datadog.yaml', '--sync-delay=30s'],
        args: ['--config=/etc/otel-agent/otel-config.yaml'],
        volumeMounts: [confMount, { name: 'otelconfig', mountPath: '/etc/otel-agent' }],
      }, c.otelImage(), spot),
    );
  }
  if (c.dataPlane()) {
    out.push(mk('agentDataPlane', 'agent-data-plane', [...commonEnv(c), ...logLevel(c, 'agentDataPlane'), ...ownEnv(c, 'agentDataPlane')], { command: ['agent-data-plane', 'run', '--config=/etc/datadog-agent/datadog.yaml'], volumeMounts: [confMount] }));
  }
  return out;
}

/** A prefix table of values spots: the longest prefix of a path that has an entry answers. */
class Spots {
  private readonly entries: Array<[string, ValuesSpot | undefined]> = [];
  add(path: YamlPath, spot: ValuesSpot | undefined): void {
    this.entries.push([path.join('\u0000'), spot]);
  }
  find(path: YamlPath): ValuesSpot | undefined {
    for (let n = path.length; n >= 0; n--) {
      const key = path.slice(0, n).join('\u0000');
      const hit = this.entries.find(([k]) => k === key);
      if (hit) return hit[1];
    }
    return undefined;
  }
}

function docOf(doc: Record<string, unknown>, spots: Spots): RenderedDoc {
  return { doc, spot: (path) => spots.find(path) };
}

function meta(c: Ctx, name: string, labels: Record<string, string>, namespaced = true): Record<string, unknown> {
  return objectMeta(name, namespaced ? c.ns : null, labels);
}

function chartLabels(c: Ctx): Record<string, string> {
  return { 'app.kubernetes.io/name': c.full, 'app.kubernetes.io/instance': c.release.name, 'app.kubernetes.io/managed-by': 'Helm' };
}

function daemonSet(c: Ctx): RenderedDoc {
  const spots = new Spots();
  const podSpec: YamlPath = ['spec', 'template', 'spec'];
  const containers = containersOf(c);
  const body = containers.map((ct, i) => {
    ct.env.forEach((e, j) => spots.add([...podSpec, 'containers', i, 'env', j], e.spot));
    spots.add([...podSpec, 'containers', i, 'image'], ct.imageSpot);
    return { ...ct.body, env: ct.env.map((e) => e.entry) };
  });
  const hasConfd = c.on(['datadog', 'confd']) || c.on(['datadog', 'autoconf']);
  const hasChecksd = c.on(['datadog', 'checksd']);
  const initMounts = [
    { name: 'config', mountPath: '/etc/datadog-agent' },
    ...(hasConfd ? [{ name: 'confd', mountPath: '/conf.d', readOnly: true }] : []),
    ...(hasChecksd ? [{ name: 'checksd', mountPath: '/checks.d', readOnly: true }] : []),
  ];
  const initEnv = commonEnv(c);
  initEnv.forEach((e, j) => spots.add([...podSpec, 'initContainers', 1, 'env', j], e.spot));
  const image = c.agentImage();
  const initContainers = [
    { name: 'init-volume', image, command: ['bash', '-c'], args: ['cp -r /etc/datadog-agent /opt'], volumeMounts: [{ name: 'config', mountPath: '/opt/datadog-agent' }] },
    { name: 'init-config', image, command: ['bash', '-c'], args: ["for script in $(find /etc/cont-init.d/ -type f -name '*.sh' | sort) ; do bash $script ; done"], env: initEnv.map((e) => e.entry), volumeMounts: initMounts },
  ];
  const volumes: Record<string, unknown>[] = [
    ...(c.autopilot ? [] : [{ name: 'auth-token', emptyDir: {} }]),
    { name: 'installinfo', configMap: { name: c.autopilot ? 'datadog-agent-installinfo' : `${c.full}-installinfo` } },
    { name: 'config', emptyDir: {} },
  ];
  if (hasChecksd) volumes.push({ name: 'checksd', configMap: { name: c.autopilot ? 'datadog-agent-checksd' : `${c.full}-checksd` } });
  if (hasConfd) {
    spots.add([...podSpec, 'volumes', volumes.length], { path: ['datadog', 'confd'] });
    volumes.push({ name: 'confd', configMap: { name: c.confdName() } });
  }
  if (c.otelAgent()) {
    const custom = text(c.get(['datadog', 'otelCollector', 'configMap', 'name']));
    volumes.push({ name: 'otelconfig', configMap: custom ? { name: custom } : { name: `${c.full}-otel-config`, items: [{ key: 'otel-config.yaml', path: 'otel-config.yaml' }] } });
  }
  spots.add([...podSpec, 'serviceAccountName'], rbacCause(c) ?? { path: ['agents', 'rbac', c.on(['agents', 'rbac', 'create']) ? 'create' : 'serviceAccountName'] });
  const partOf = `${(c.ns ?? '').replace(/-/g, '--')}-${c.full.replace(/-/g, '--')}`.slice(0, 63).replace(/-+$/, '');
  const podLabels = { ...chartLabels(c), 'app.kubernetes.io/instance': `${c.full}-agent`, 'app.kubernetes.io/component': 'agent', 'app.kubernetes.io/part-of': partOf, 'agent.datadoghq.com/component': 'agent' };
  const tolerations = asList(c.get(['agents', 'tolerations']));
  const nodeSelector = { 'kubernetes.io/os': c.linux ? 'linux' : 'windows', ...(asMap(c.get(['agents', 'nodeSelector'])) ?? {}) };
  const doc = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta(c, c.full, { ...podLabels, 'app.kubernetes.io/version': '7' }),
    spec: {
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: c.full } },
      template: {
        metadata: { labels: { ...podLabels, 'admission.datadoghq.com/enabled': 'false', app: c.full }, name: c.full },
        spec: {
          containers: body,
          initContainers,
          volumes,
          ...(tolerations.length ? { tolerations } : {}),
          serviceAccountName: c.serviceAccount(),
          ...(c.on(['agents', 'rbac', 'create']) ? { automountServiceAccountToken: truthy(c.get(['agents', 'rbac', 'automountServiceAccountToken'])) } : {}),
          nodeSelector,
        },
      },
      updateStrategy: asMap(c.get(['agents', 'updateStrategy'])) ?? { type: 'RollingUpdate' },
    },
  };
  return docOf(doc, spots);
}

/** Why the agent's ServiceAccount may list node-scaling kinds cluster-wide, if it may. */
function rbacCause(c: Ctx): ValuesSpot | undefined {
  if (!c.on(['agents', 'rbac', 'create'])) return undefined;
  if (!c.dcaDeployed) return { path: c.on(['existingClusterAgent', 'join']) ? ['existingClusterAgent', 'join'] : ['clusterAgent', 'enabled'] };
  if (c.on(['datadog', 'kubelet', 'useApiServer'])) return { path: ['datadog', 'kubelet', 'useApiServer'] };
  return undefined;
}

/** `rbac.yaml`: the node agent's ClusterRole, Binding and ServiceAccount. */
function agentRbac(c: Ctx): RenderedDoc[] {
  if (!c.on(['agents', 'rbac', 'create'])) return [];
  const labels = { ...chartLabels(c), 'app.kubernetes.io/version': '7' };
  const spots = new Spots();
  const rules: Array<{ rule: Record<string, unknown>; spot?: ValuesSpot }> = [];
  if (!c.dcaDeployed) {
    const cause = rbacCause(c);
    rules.push({ rule: { apiGroups: [''], resources: ['services', 'events', 'endpoints', 'pods', 'nodes', 'namespaces', 'componentstatuses'], verbs: ['get', 'list', 'watch'] }, spot: cause });
    // Chart 3.240.0 renders this rule next to the one above (baselines otel-agent_full, otel-agent_gateway).
    rules.push({ rule: { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] }, spot: cause });
    rules.push({ rule: { apiGroups: ['quota.openshift.io'], resources: ['clusterresourcequotas'], verbs: ['get', 'list'] }, spot: cause });
    if (c.on(['datadog', 'collectEvents'])) {
      rules.push({ rule: { apiGroups: [''], resources: ['configmaps'], resourceNames: [`${c.full}token`, 'datadogtoken'], verbs: ['get', 'update'] }, spot: { path: ['datadog', 'collectEvents'] } });
    }
    if (c.on(['datadog', 'leaderElection'])) {
      const le = { path: ['datadog', 'leaderElection'] };
      rules.push({ rule: { apiGroups: [''], resources: ['configmaps'], resourceNames: [`${c.full}-leader-election`, 'datadog-leader-election'], verbs: ['get', 'update'] }, spot: le });
      rules.push({ rule: { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] }, spot: le });
      rules.push({ rule: { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [`${c.full}-leader-election`], verbs: ['get', 'update'] }, spot: le });
      rules.push({ rule: { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] }, spot: le });
    }
    rules.push({ rule: { nonResourceURLs: ['/version', '/healthz'], verbs: ['get'] } });
  }
  rules.push({ rule: { nonResourceURLs: ['/metrics', '/metrics/slis'], verbs: ['get'] } });
  const kubelet = c.on(['datadog', 'kubelet', 'fineGrainedAuthorization']) ? ['nodes/pods', 'nodes/healthz', 'nodes/configz', 'nodes/logs'] : ['nodes/proxy'];
  rules.push({ rule: { apiGroups: [''], resources: ['nodes/metrics', 'nodes/spec', ...kubelet, 'nodes/stats'], verbs: ['get'] } });
  if (c.on(['datadog', 'kubelet', 'useApiServer'])) rules.push({ rule: { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }, spot: { path: ['datadog', 'kubelet', 'useApiServer'] } });
  rules.push({ rule: { apiGroups: [''], resources: ['endpoints'], verbs: ['get'] } });
  rules.push({ rule: { apiGroups: ['security.openshift.io'], resources: ['securitycontextconstraints'], verbs: ['use'], resourceNames: [c.full, 'hostaccess', 'privileged'] } });
  rules.push({ rule: { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get'] } });
  rules.push({ rule: { apiGroups: ['metrics.eks.amazonaws.com'], resources: ['kcm/metrics', 'ksh/metrics'], verbs: ['get'] } });
  rules.forEach((r, i) => spots.add(['rules', i], r.spot));
  const sa = c.serviceAccount();
  return [
    docOf({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(c, c.full, labels, false), rules: rules.map((r) => r.rule) }, spots),
    docOf(clusterRoleBinding(meta(c, c.full, labels, false), c.full, sa, c.ns), new Spots()),
    docOf(serviceAccount(meta(c, sa, labels), undefined, truthy(c.get(['agents', 'rbac', 'automountServiceAccountToken']))), new Spots()),
  ];
}

/** `confd-configmap.yaml`: `datadog.autoconf`, then `datadog.confd` (which wins on duplicate keys). Keys whose value is not text are left out: the chart would render an invalid ConfigMap. */
function confdConfigMap(c: Ctx): RenderedDoc[] {
  if (!c.on(['datadog', 'confd']) && !c.on(['datadog', 'autoconf'])) return [];
  const data: Record<string, string> = {};
  const from = new Map<string, YamlPath>();
  for (const source of ['autoconf', 'confd'] as const) {
    for (const [key, v] of Object.entries(asMap(c.get(['datadog', source])) ?? {})) {
      if (typeof v !== 'string') continue;
      data[key] = v;
      from.set(key, ['datadog', source, key]);
    }
  }
  const doc = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(c, c.confdName(), { ...chartLabels(c), 'app.kubernetes.io/version': '7' }), data };
  return [
    {
      doc,
      spot: (path, innerLine) => {
        const key = path[1];
        if (path[0] !== 'data' || typeof key !== 'string') return undefined;
        const at = from.get(key);
        if (!at) return { path: ['datadog', 'confd'] };
        // The values string is the key's text, line for line: a path inside it has the same inner line.
        if (path.length > 2) return { path: at, innerLine: lineOf(data[key], 0, path.slice(2)) - 1 };
        return innerLine === undefined ? { path: at } : { path: at, innerLine };
      },
    },
  ];
}

/** `cluster-agent-deployment.yaml` (not per-node; rendered so the release's objects stay recognisable). */
function clusterAgent(c: Ctx): RenderedDoc[] {
  if (!c.dcaDeployed) return [];
  const name = `${c.full}-cluster-agent`;
  const sa = c.on(['clusterAgent', 'rbac', 'create']) ? name : text(c.get(['clusterAgent', 'rbac', 'serviceAccountName'])) || 'default';
  const labels = { ...chartLabels(c), 'app.kubernetes.io/instance': name, 'app.kubernetes.io/component': 'cluster-agent' };
  const spots = new Spots();
  spots.add([], { path: ['clusterAgent', 'enabled'] });
  const replicas = Number(c.get(['clusterAgent', 'replicas']));
  const out: RenderedDoc[] = [
    docOf(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta(c, name, labels),
        spec: {
          replicas: Number.isFinite(replicas) ? replicas : 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { ...labels, app: name }, name },
            spec: {
              serviceAccountName: sa,
              containers: [{ name: 'cluster-agent', image: c.imagePath(c.get(['clusterAgent', 'image'])), env: [{ name: 'DD_CLUSTER_NAME', value: text(c.get(['datadog', 'clusterName'])) }].filter((e) => e.value) }],
            },
          },
        },
      },
      spots,
    ),
  ];
  if (c.on(['clusterAgent', 'rbac', 'create'])) out.push(docOf(serviceAccount(meta(c, sa, labels)), new Spots()));
  return out;
}

export const datadogChart: ChartAdapter = {
  charts: ['datadog'],
  defaults: DEFAULTS,
  anchors: [['clusterAgent', 'enabled'], ['datadog', 'kubelet', 'useApiServer'], ['datadog', 'confd'], ['datadog'], ['agents']],
  render(release, values) {
    const c = new Ctx(release, values);
    return [...confdConfigMap(c), ...agentRbac(c), ...(c.on(['agents', 'enabled']) ? [daemonSet(c)] : []), ...clusterAgent(c)];
  },
};
