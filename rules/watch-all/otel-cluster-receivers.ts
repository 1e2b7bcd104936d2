/**
 * watch-all/otel-cluster-receivers — cluster-scoped OpenTelemetry Collector receivers (`k8s_cluster`,
 * `k8sobjects` / `k8s_objects`, `k8s_events`) in a collector that runs on every node (RULEBOOK A.2:
 * SCALE-OTEL-4 and SCALE-OTEL-5; severity from the load model, B.4).
 *
 * Configs and pipeline use as in `watch-all/otel-k8sattributes`: a receiver (`<type>` or `<type>/<name>`)
 * counts when a pipeline lists it under `service.pipelines.*.receivers` (or when the config has no
 * `service.pipelines`: a fragment). The collector never builds an unused receiver.
 *
 * What one replica reads:
 * - `k8s_cluster`: informers on pods, nodes, namespaces, services, replicationcontrollers, resourcequotas,
 *   deployments, replicasets, daemonsets, statefulsets, jobs, cronjobs and horizontalpodautoscalers, all
 *   cluster-wide (the chart's ClusterRole for the receiver, RULEBOOK A.2);
 * - `k8s_events`: events (cluster-wide, or of the listed `namespaces`: still not bounded to the node);
 * - `k8sobjects`: each `objects[].name` (a resource plural), `mode: watch`, or `pull` (the default) every
 *   `interval` (default 1h) — a periodic LIST, so pulls also count as polling. A pods entry whose
 *   `field_selector` holds `spec.nodeName=`, or a nodes entry with `metadata.name=`, is node-scoped.
 *
 * Verdicts, one per used receiver (key `receivers.<id>`):
 * - no `k8s_leader_elector` on the receiver: every replica reads cluster-wide — the model's severity
 *   (RULEBOOK BLOCK, SCALE-OTEL-4);
 * - `k8s_leader_elector: <extension>`: only the leader runs the informers, but every replica is a
 *   candidate polling the election's Lease (client-go GETs it every retry period, 2 s with jitter ×1.6 on
 *   average: N / 3.2 GETs/s, served from etcd) — leader election in the model, one Lease read each, at
 *   most medium (RULEBOOK WARN, SCALE-OTEL-5), with the advice to move the receiver to a single-replica
 *   Deployment. The receiver's reference is what counts: the collector refuses to start when it names an
 *   extension the config does not define, and an elector in `service.extensions` that no receiver
 *   references elects nothing for it;
 * - a `k8sobjects` receiver whose every object is node-scoped: quiet evidence.
 */
import { DETECTOR_FOCUS, reportDetections, type Detection, type Detector, type Read } from '../../src/agents/kit.js';
import type { StateRule } from '../../src/rule.js';
import type { YamlPath } from '../../src/types.js';
import { asList, asMap, asString, asStrings } from '../../src/yaml/walk.js';
import { otelConfig, pipelineComponents } from './otel-k8sattributes.js';
import { listing, quote } from '../../src/text.js';

const RECEIVER_ID = /^(k8s_cluster|k8sobjects|k8s_objects|k8s_events)(\/.*)?$/;

/** What the k8s_cluster receiver's informers watch, node-scaling kinds first. */
export const K8S_CLUSTER_KINDS = [
  'pods', 'nodes', 'namespaces', 'services', 'replicationcontrollers', 'resourcequotas', 'deployments', 'replicasets',
  'daemonsets', 'statefulsets', 'jobs', 'cronjobs', 'horizontalpodautoscalers',
] as const;

/** k8sobjects pull interval when none is given (receiver README). */
const DEFAULT_PULL_MS = 60 * 60 * 1000;



const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`1h`, `15m`, `1m30s`, `500ms`) in milliseconds; undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const s = text.trim();
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2]];
  return total;
}

/** What one replica of a receiver reads, and how often it pulls. */
interface Profile {
  reads: Read[];
  /** Pull intervals of `k8sobjects` entries in pull mode, in ms. */
  pulls: number[];
  /** Words for the message: the kinds read cluster-wide (`pods`, `events (watch)`) and node-scoped. */
  cluster: string[];
  node: string[];
}

function k8sobjectsProfile(receiver: Record<string, unknown>): Profile {
  const profile: Profile = { reads: [], pulls: [], cluster: [], node: [] };
  for (const o of asList(receiver.objects)) {
    const object = asMap(o);
    const name = asString(object?.name)?.trim().toLowerCase();
    if (!object || !name) continue;
    const selector = asString(object.field_selector) ?? '';
    // Only these two selectors bound a kind to the agent's node (pods are indexed by spec.nodeName).
    const nodeScoped = (name === 'pods' && /(^|,)\s*spec\.nodeName\s*==?\s*[^,\s]/.test(selector)) || (name === 'nodes' && /(^|,)\s*metadata\.name\s*==?\s*[^,\s]/.test(selector));
    profile.reads.push({ resource: name, scope: nodeScoped ? 'node' : 'cluster' });
    const watch = (asString(object.mode) ?? 'pull').trim().toLowerCase() === 'watch';
    if (!watch) profile.pulls.push(durationMs(asString(object.interval) ?? '') ?? DEFAULT_PULL_MS);
    (nodeScoped ? profile.node : profile.cluster).push(`${name} (${watch ? 'watch' : 'pull'})`);
  }
  return profile;
}

function profileOf(type: string, receiver: Record<string, unknown>): Profile {
  if (type === 'k8s_cluster') return { reads: K8S_CLUSTER_KINDS.map((resource) => ({ resource, scope: 'cluster' })), pulls: [], cluster: [...K8S_CLUSTER_KINDS], node: [] };
  if (type === 'k8s_events') {
    const namespaces = asStrings(receiver.namespaces);
    return { reads: [{ resource: 'events', scope: 'cluster' }], pulls: [], cluster: [namespaces.length ? `events of namespaces ${listing(namespaces.map(quote))}` : 'events'], node: [] };
  }
  return k8sobjectsProfile(receiver);
}

const LEADER_REMEDIATION =
  'Move the receiver to a single-replica Deployment (a cluster collector) and keep only node-local receivers in the per-node collector, so no replica polls the election Lease.';
const NO_LEADER_REMEDIATION =
  'Move the receiver to a single-replica Deployment (a cluster collector), or reference a k8s_leader_elector extension from it (k8s_leader_elector: k8s_leader_elector/<name>) so only one replica reads the cluster.';

function judge(id: string, receiver: Record<string, unknown>, locate: (path: YamlPath) => Detection['at']): Detection | undefined {
  const type = id.split('/')[0];
  const profile = profileOf(type, receiver);
  if (!profile.reads.length) return undefined;
  const base: YamlPath = ['receivers', id];
  const name = quote(id);
  const elector = asString(receiver.k8s_leader_elector)?.trim();
  if (elector) {
    return {
      key: `receivers.${id}`,
      what: `receiver ${name} elects a leader (k8s_leader_elector ${quote(elector)}): only the leader reads ${listing([...profile.cluster, ...profile.node])}, but every replica on every node polls the election's Lease, about one GET from etcd every 3.2 s each`,
      // Each candidate GETs one named Lease: a bounded read; the polling is the leader-election term.
      reads: [{ resource: 'leases', scope: 'node' }],
      leaderElection: true,
      maxSeverity: 'medium',
      remediation: LEADER_REMEDIATION,
      at: locate(base),
    };
  }
  const poll = profile.pulls.length ? { intervalMs: Math.min(...profile.pulls), kinds: profile.pulls.length } : undefined;
  if (profile.reads.every((r) => r.scope === 'node')) {
    return { key: `receivers.${id}`, what: `receiver ${name} reads only its own node's ${listing(profile.node)}`, reads: profile.reads, ...(poll ? { poll } : {}), remediation: 'Keep the node field selectors.', at: locate(base), quiet: true };
  }
  return {
    key: `receivers.${id}`,
    what: `receiver ${name} has no k8s_leader_elector, so every replica on every node reads ${listing(profile.cluster)} cluster-wide${profile.node.length ? ` (and ${listing(profile.node)} of its own node only)` : ''}`,
    reads: profile.reads,
    ...(poll ? { poll } : {}),
    remediation: NO_LEADER_REMEDIATION,
    at: locate(base),
  };
}

/** The used cluster-scoped receivers of an OpenTelemetry Collector config. */
export const detector: Detector = (config) => {
  const doc = otelConfig(config);
  const receivers = asMap(doc?.receivers);
  if (!doc || !receivers) return [];
  const used = pipelineComponents(doc, 'receivers');
  const out: Detection[] = [];
  for (const [id, raw] of Object.entries(receivers)) {
    if (!RECEIVER_ID.test(id) || (used && !used.has(id))) continue;
    const d = judge(id, asMap(raw) ?? {}, (path) => config.locate({ path }));
    if (d) out.push(d);
  }
  return out;
};

const REMEDIATION =
  'Run k8s_cluster, k8sobjects and k8s_events receivers in a single-replica Deployment (a cluster collector) instead of the per-node collector, or at least behind a k8s_leader_elector extension.';

export const otelClusterReceivers: StateRule = {
  meta: {
    id: 'watch-all/otel-cluster-receivers',
    family: 'watch-all',
    type: 'state',
    severity: 'high',
    description:
      'Flag cluster-scoped OpenTelemetry Collector receivers (k8s_cluster, k8sobjects, k8s_events) in a per-node collector: every node reading the cluster without leader election (model severity), or every node polling the election Lease with it (at most medium).',
    docs: 'docs/rules/watch-all/otel-cluster-receivers.md',
    remediation: REMEDIATION,
  },
  focus: DETECTOR_FOCUS,
  check(ctx) {
    reportDetections(ctx, detector);
  },
};
