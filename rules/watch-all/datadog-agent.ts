/**
 * watch-all/datadog-agent — Datadog node agents (the `DataDog/helm-charts charts/datadog` DaemonSet, or any
 * DaemonSet running the Datadog Agent image) that talk to the API server from every node (RULEBOOK A.10,
 * SCALE-DD-1/2/3). Rendered manifests: the agent containers' env vars reach the detector as `NAME=value`
 * lines (format `args`), the node agent's `confd` ConfigMap keys as configs of their own.
 *
 * - SCALE-DD-1 (WARN → at most medium): the cluster agent is disabled. Evidence: `DD_CLUSTER_AGENT_ENABLED`
 *   false on a container, or `DD_LEADER_ELECTION` true with no container setting `DD_CLUSTER_AGENT_ENABLED`
 *   true (the chart renders `DD_LEADER_ELECTION`, `DD_LEADER_ELECTION_DEFAULT_RESOURCE` and
 *   `DD_COLLECT_KUBERNETES_EVENTS` on the agent container only when `clusterAgent.enabled: false`, and sets
 *   `DD_CLUSTER_AGENT_ENABLED=false` on the other containers). Node agents then get cluster metadata
 *   (services) from the API server themselves, and with leader election on every one polls the lock
 *   (`N / 3.2` GETs/s). One finding per workload, on the first container showing it. An agent with neither
 *   variable is not flagged: the setting may live in its `datadog.yaml`.
 * - SCALE-DD-2 (WARN → at most medium): `DD_KUBELET_USE_API_SERVER` true (`datadog.kubelet.useApiServer`,
 *   Agent 7.65+, GKE Autopilot): each node agent lists its node's pods from the API server instead of the
 *   kubelet (the kubelet util keeps its node name for that list: node-scoped), once per workloadmeta pull
 *   (`pullCollectorInterval`, 5 s): `N / 5` LISTs per second.
 * - SCALE-DD-3 (BLOCK → model severity): a `kubernetes_state_core` check on the node agent — a node-agent
 *   ConfigMap key `kubernetes_state_core.yaml` (also `.yaml.default`, `.d--<file>`) without
 *   `cluster_check: true`, or `DD_KUBE_STATE_METRICS_CORE_ENABLED` true on a node-agent container (the
 *   Datadog Operator's variable; the Helm chart enables the check in the cluster agent's confd). Every node
 *   then runs kube-state-metrics: it lists each collector's kind cluster-wide (`instances[].collectors`,
 *   else the chart's default collectors). The legacy `kubernetes_state` check scrapes a kube-state-metrics
 *   endpoint rather than the API server: it is flagged medium (N scrapes of the whole cluster's metrics),
 *   not by the model.
 * - Quiet evidence: `DD_CLUSTER_AGENT_ENABLED=true` without `DD_KUBELET_USE_API_SERVER` true: the node agent
 *   reads pods from its own kubelet and cluster metadata from the cluster agent (node-scoped).
 *
 * Env vars: when a container lists a name twice, the LAST entry wins, and the finding points at it. The
 * kubelet's `makeEnvironmentVariables` (kubernetes/kubernetes `pkg/kubelet/kubelet_pods.go`) walks
 * `container.Env` in order and assigns `tmpEnv[envVar.Name] = runtimeVal`, so a later entry overwrites an
 * earlier one (also reported in camunda/camunda-platform-helm#731 and fluxcd/helm-controller#1333). This
 * matters for the chart: it renders `DD_KUBELET_USE_API_SERVER=false` and `DD_CLUSTER_AGENT_ENABLED` first
 * and the user's `datadog.env` after them in the same container, so `datadog.env: [{name:
 * DD_KUBELET_USE_API_SERVER, value: "true"}]` turns the API-server pod list on. A later `valueFrom` entry of
 * the name wins with a value the rule cannot read: the variable then counts as unset.
 *
 * A Datadog node agent: a container image `…/datadog/agent`, `…datadoghq…/agent` (gcr.io/datadoghq/agent,
 * registry.datadoghq.com/agent, public.ecr.aws/datadog/agent), or a container with a `DD_API_KEY` env var.
 */
import type { StateRule } from '../../src/rule.js';
import { DETECTOR_FOCUS, reportDetections, type Detection, type Detector, type Read } from '../../src/agents/kit.js';
import type { AgentConfig } from '../../src/agents/config.js';
import { podSpecOf } from '../../src/kube.js';
import type { KubeObject } from '../../src/types.js';
import { asList, asMap, asString, asStrings, getIn } from '../../src/yaml/walk.js';
import { listing, quote } from '../../src/text.js';

const REMEDIATION = 'Run the Datadog Cluster Agent and keep cluster-level collection in it: enable clusterAgent, leave datadog.kubelet.useApiServer off unless the kubelet is unreachable, and run kubernetes_state_core only as a cluster check.';
const REMEDIATION_DCA = 'Enable the Datadog Cluster Agent (clusterAgent.enabled: true) so node agents get cluster metadata from it and stop competing for the leader lock.';
const REMEDIATION_KUBELET = 'Leave datadog.kubelet.useApiServer off (DD_KUBELET_USE_API_SERVER=false) wherever the node agent can reach its kubelet.';
const REMEDIATION_KSM = 'Run kubernetes_state_core in the Datadog Cluster Agent (datadog.kubeStateMetricsCore.enabled) or as a cluster check (cluster_check: true), never in the node agent DaemonSet.';

/** The Datadog Agent image, by repository path (not the cluster agent, not agent-data-plane). */
const AGENT_IMAGE = /(^|[/.])(datadog|datadoghq)(\.[a-z.]+)?\/agent([:@]|$)/;

/** The Helm chart's default `kubernetes_state_core` collectors (`datadog-cluster-agent-confd`, chart baseline). */
export const DEFAULT_KSM_COLLECTORS = [
  'secrets', 'configmaps', 'nodes', 'pods', 'services', 'resourcequotas', 'replicationcontrollers', 'limitranges',
  'persistentvolumeclaims', 'persistentvolumes', 'namespaces', 'endpoints', 'endpointslices', 'daemonsets', 'deployments',
  'replicasets', 'statefulsets', 'controllerrevisions', 'cronjobs', 'jobs', 'horizontalpodautoscalers',
  'poddisruptionbudgets', 'storageclasses', 'volumeattachments', 'ingresses',
] as const;

/** Go's strconv.ParseBool, which the agent's config reads env vars with. */
const isTrue = (v: string | undefined) => v !== undefined && /^(1|t|true)$/i.test(v.trim());
const isFalse = (v: string | undefined) => v !== undefined && /^(0|f|false)$/i.test(v.trim());

interface Container {
  readonly index: number;
  /** The value each env var ends up with: the last entry of a name wins. */
  readonly env: ReadonlyMap<string, string>;
  /** The `env[j]` index of the entry that wins, by name. */
  readonly envAt: ReadonlyMap<string, number>;
}

interface AgentFacts {
  readonly containers: readonly Container[];
  /** The container the cluster-agent-disabled finding goes on, and the variable it shows. */
  readonly dcaOff?: { index: number; name: string };
  readonly leaderElection: boolean;
  readonly dcaOn?: number;
  readonly useApiServer?: number;
  readonly ksmEnv?: number;
}

const factsCache = new WeakMap<KubeObject, AgentFacts | null>();

/** What the workload's containers say, or null when it is not a Datadog node agent. */
function factsOf(workload: KubeObject): AgentFacts | null {
  const known = factsCache.get(workload);
  if (known !== undefined) return known;
  const spec = podSpecOf(workload);
  let datadog = false;
  const containers: Container[] = [];
  for (const list of ['initContainers', 'containers'] as const) {
    asList(spec?.[list]).forEach((c, index) => {
      const m = asMap(c);
      if (!m) return;
      const image = asString(m.image) ?? '';
      const env = new Map<string, string>();
      const envAt = new Map<string, number>();
      asList(m.env).forEach((e, j) => {
        const name = asString(getIn(e, ['name']));
        if (!name) return;
        if (name === 'DD_API_KEY') datadog = true;
        // The kubelet sets the entries in order, so a later entry of the same name replaces an earlier one
        // (see the module comment). A later `valueFrom` entry wins too, with a value unknown here.
        const value = asString(getIn(e, ['value']));
        if (value === undefined) {
          env.delete(name);
          envAt.delete(name);
        } else {
          env.set(name, value);
          envAt.set(name, j);
        }
      });
      if (AGENT_IMAGE.test(image)) datadog = true;
      if (list === 'containers') containers.push({ index, env, envAt });
    });
  }
  if (!datadog) {
    factsCache.set(workload, null);
    return null;
  }
  const first = (test: (c: Container) => boolean) => containers.find(test)?.index;
  const dcaOn = first((c) => isTrue(c.env.get('DD_CLUSTER_AGENT_ENABLED')));
  const explicitOff = first((c) => isFalse(c.env.get('DD_CLUSTER_AGENT_ENABLED')));
  const leaderElection = containers.some((c) => isTrue(c.env.get('DD_LEADER_ELECTION')));
  let dcaOff: AgentFacts['dcaOff'];
  if (explicitOff !== undefined || (leaderElection && dcaOn === undefined)) {
    // The first container showing it: its DD_CLUSTER_AGENT_ENABLED=false, else its DD_LEADER_ELECTION=true.
    for (const c of containers) {
      if (isFalse(c.env.get('DD_CLUSTER_AGENT_ENABLED'))) {
        dcaOff = { index: c.index, name: 'DD_CLUSTER_AGENT_ENABLED' };
        break;
      }
      if (dcaOn === undefined && isTrue(c.env.get('DD_LEADER_ELECTION'))) {
        dcaOff = { index: c.index, name: 'DD_LEADER_ELECTION' };
        break;
      }
    }
  }
  const useApiServer = first((c) => isTrue(c.env.get('DD_KUBELET_USE_API_SERVER')));
  const ksmEnv = first((c) => isTrue(c.env.get('DD_KUBE_STATE_METRICS_CORE_ENABLED')));
  const facts: AgentFacts = { containers, dcaOff, leaderElection, dcaOn, useApiServer, ksmEnv };
  factsCache.set(workload, facts);
  return facts;
}

/** The 0-based line of the winning `NAME=…` entry (`env[j]`) in a container's args config. */
function envLine(config: AgentConfig, name: string, j: number | undefined): number | undefined {
  const lines = config.text.split('\n');
  const i = lines.findIndex((l, k) => {
    if (!l.startsWith(`${name}=`)) return false;
    if (j === undefined) return true;
    const p = config.locate({ line: k }).path ?? [];
    return p[p.length - 3] === 'env' && p[p.length - 2] === j;
  });
  return i < 0 ? undefined : i;
}

/** The `containers[i]` index of a container config, or undefined (init containers, ConfigMaps). */
function containerIndex(config: AgentConfig): number | undefined {
  if (config.format !== 'args' || config.holder !== config.workload) return undefined;
  const p = config.path;
  return p[p.length - 2] === 'containers' && typeof p[p.length - 1] === 'number' ? (p[p.length - 1] as number) : undefined;
}


/** `a`, `a and b`, `a, b and c`; long lists shortened. */
function kindsListing(items: readonly string[]): string {
  return items.length > 6 ? `${items.slice(0, 5).join(', ')} and ${items.length - 5} more kinds` : listing(items);
}

function containerDetections(config: AgentConfig, facts: AgentFacts, index: number): Detection[] {
  const out: Detection[] = [];
  const container = facts.containers.find((c) => c.index === index);
  const env = container?.env;
  const at = (name: string) => config.locate({ line: envLine(config, name, container?.envAt.get(name)) ?? 0 });
  if (facts.dcaOff?.index === index) {
    const name = facts.dcaOff.name;
    const shown = quote(`${name}=${env?.get(name) ?? ''}`);
    const because =
      name === 'DD_CLUSTER_AGENT_ENABLED'
        ? `${shown}: node agents run without the cluster agent`
        : `${shown} with no "DD_CLUSTER_AGENT_ENABLED=true" (what the chart renders for clusterAgent.enabled: false): node agents run without the cluster agent`;
    out.push({
      key: 'cluster-agent-disabled',
      what: `${because}, so every node agent reads cluster metadata (services) from the API server itself${facts.leaderElection ? ' and, with "DD_LEADER_ELECTION=true", polls the leader lock' : ''}`,
      reads: [{ resource: 'services', scope: 'cluster' }],
      ...(facts.leaderElection ? { leaderElection: true } : {}),
      maxSeverity: 'medium',
      remediation: REMEDIATION_DCA,
      at: at(name),
    });
  }
  if (facts.useApiServer === index) {
    out.push({
      key: 'kubelet-use-api-server',
      what: `${quote(`DD_KUBELET_USE_API_SERVER=${env?.get('DD_KUBELET_USE_API_SERVER') ?? 'true'}`)} (datadog.kubelet.useApiServer): every node agent lists its node's pods from the API server instead of its kubelet, once per 5 s workloadmeta pull`,
      reads: [{ resource: 'pods', scope: 'node' }],
      poll: { intervalMs: 5000, kinds: 1 },
      maxSeverity: 'medium',
      remediation: REMEDIATION_KUBELET,
      at: at('DD_KUBELET_USE_API_SERVER'),
    });
  }
  if (facts.ksmEnv === index) {
    out.push(ksmDetection(`${quote(`DD_KUBE_STATE_METRICS_CORE_ENABLED=${env?.get('DD_KUBE_STATE_METRICS_CORE_ENABLED') ?? 'true'}`)} turns on the kubernetes_state_core check in the node agent`, [...DEFAULT_KSM_COLLECTORS], at('DD_KUBE_STATE_METRICS_CORE_ENABLED'), 'ksm-core-env'));
  }
  if (!out.length && facts.dcaOn === index && facts.useApiServer === undefined && !facts.dcaOff) {
    out.push({
      key: 'node-scoped',
      what: `${quote(`DD_CLUSTER_AGENT_ENABLED=${env?.get('DD_CLUSTER_AGENT_ENABLED') ?? 'true'}`)}: the node agent reads pods from its kubelet and cluster metadata from the cluster agent`,
      reads: [{ resource: 'pods', scope: 'node' }],
      remediation: REMEDIATION,
      at: at('DD_CLUSTER_AGENT_ENABLED'),
      quiet: true,
    });
  }
  return out;
}

function ksmDetection(because: string, collectors: readonly string[], at: Detection['at'], key: string): Detection {
  const reads: Read[] = collectors.map((resource) => ({ resource, scope: 'cluster' }));
  return {
    key,
    what: `${because}: every node runs kube-state-metrics and lists ${kindsListing(collectors)} cluster-wide`,
    reads,
    remediation: REMEDIATION_KSM,
    at,
  };
}

/** A node-agent confd key holding a kube-state-metrics check: which check, or undefined. */
function ksmCheckOf(key: string): 'kubernetes_state_core' | 'kubernetes_state' | undefined {
  const m = /^(kubernetes_state_core|kubernetes_state)(\.ya?ml(\.default)?|\.d--[\w.-]+)$/.exec(key);
  return m ? (m[1] as 'kubernetes_state_core' | 'kubernetes_state') : undefined;
}

function confdDetections(config: AgentConfig): Detection[] {
  if (config.path[0] !== 'data' || config.holder.kind !== 'ConfigMap') return [];
  const check = ksmCheckOf(config.name);
  if (!check) return [];
  // A check file that is not a YAML mapping cannot be loaded by the agent: nothing runs.
  const doc = asMap(config.doc);
  if (!doc) return [];
  const clusterCheck = doc.cluster_check;
  if (clusterCheck === true || (typeof clusterCheck === 'string' && /^true$/i.test(clusterCheck))) return [];
  const at = config.locate({ path: 'instances' in doc ? ['instances'] : [] });
  const where = `check ${quote(check)} (key ${quote(config.name)}) runs on the node agent without "cluster_check: true"`;
  if (check === 'kubernetes_state') {
    return [
      {
        key: 'ksm-legacy',
        what: `legacy ${where}: every node scrapes the whole cluster's kube-state-metrics output (load on kube-state-metrics, not the API server)`,
        reads: [],
        severity: 'medium',
        remediation: REMEDIATION_KSM,
        at,
      },
    ];
  }
  const listed = [...new Set(asList(doc.instances).flatMap((i) => asStrings(getIn(i, ['collectors'])).map((c) => c.trim().toLowerCase()).filter(Boolean)))];
  return [ksmDetection(where, listed.length ? listed : DEFAULT_KSM_COLLECTORS, at, 'ksm-core')];
}

/** The detector: see the module comment. */
export const detector: Detector = (config) => {
  const facts = factsOf(config.workload);
  if (!facts) return [];
  const index = containerIndex(config);
  if (index !== undefined) return containerDetections(config, facts, index);
  return confdDetections(config);
};

export const datadogAgent: StateRule = {
  meta: {
    id: 'watch-all/datadog-agent',
    family: 'watch-all',
    type: 'state',
    severity: 'high',
    description:
      'Flag Datadog node agents that read the API server from every node: the cluster agent disabled, the pod list taken from the API server instead of the kubelet, or kubernetes_state_core running in the DaemonSet.',
    docs: 'docs/rules/watch-all/datadog-agent.md',
    remediation: REMEDIATION,
  },
  focus: DETECTOR_FOCUS,
  check(ctx) {
    reportDetections(ctx, detector);
  },
};
