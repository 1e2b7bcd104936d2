/**
 * The watch-all load model (DESIGN.md "Load model", RULEBOOK B.1 and B.4): what one per-node agent costs the
 * API servers of a cluster of N nodes, as a ratio of what they can serve. Pure arithmetic; docs/load-model.md
 * gives every formula with a worked table.
 *
 * Objects each agent lists, by watched kind (`podsPerNode` = `fleet.defaults.podsPerNode`, default 30):
 * - `pods`: `podsPerNode · N` cluster-wide; `podsPerNode` when scoped to the agent's node (the pod registry
 *   indexes its watch cache by `spec.nodeName`, so a `spec.nodeName=<node>` field selector really bounds the
 *   result: RULEBOOK A.0, [S-K8S-POD-STORAGE]);
 * - `nodes` and `leases` (node leases): `N` cluster-wide; 1 when scoped to the own node (`metadata.name`);
 * - `endpoints`, `endpointslices`, `events`: `podsPerNode · N` in both scopes. None of them has a field that
 *   names a node, so no selector bounds them to one: an agent "scoped to its node" still lists the whole
 *   cluster's count of these (DESIGN: "but still the whole cluster's count of any kind it watches unscoped");
 * - every other kind (replicasets, services, deployments, namespaces, configmaps, and unknown kinds such as
 *   CRDs) grows with workloads, not nodes: `fleet.defaults.objects.<resource>`, falling back to the built-in
 *   defaults (5,000; namespaces 500) and, for a kind neither names, to {@link DEFAULT_OBJECT_COUNT}.
 *   RULEBOOK B.1's scalability envelope (10,000 services, 150,000 objects per type at 5,000 nodes) makes
 *   5,000 a middle-sized cluster's figure, not a worst case.
 *
 * Per cluster of N nodes, for a per-node agent (one replica on every node):
 * - relist bytes `B = N × Σ objects × objectBytes` (objectBytes default 8 KiB, RULEBOOK B.4 ASSUMPTION: the API
 *   concepts doc cites 1–2 KiB per pod, real pods with managedFields are commonly 5–15 KiB);
 * - relist time `T = B / (apiServer.replicas × apiServer.egressBytesPerSecond)` (defaults 3 and 1.25e9 B/s =
 *   10 Gbit/s each, B.4 ASSUMPTION); `ratio_relist = T / 60 s`, 60 s being `--request-timeout` (B.1): can the
 *   API servers serve one relist storm (every rollout or restart of the DaemonSet) within a request timeout;
 * - request rate `R = N × polled kinds × 1000 / intervalMs`, plus `N / 3.2` lease GETs/s when the agent elects
 *   a leader (client-go retry period 2 s × mean jitter 1.6, every candidate GETs the Lease from etcd: RULEBOOK
 *   A.2, B.4 item 4); `ratio_rate = R / apiServer.requestsPerSecond` (default 2,000);
 * - `ratio = max(ratio_relist, ratio_rate)`; severity critical ≥ 10, high ≥ 1, medium ≥ 0.25, else low.
 *
 * So a cluster-wide per-node agent is quadratic in N (N agents × objects ∝ N) and a node-scoped one linear.
 * RULEBOOK B.4's check: pods only, cluster-wide, N = 100 → 2.3 GiB, ≈ 0.66 s (ratio 0.011, low);
 * N = 5,000 → 5.6 TiB, ≈ 1,638 s (ratio 27, critical), and 1,562 lease GETs/s if it elected a leader.
 */
import { DEFAULTS, type Config } from './config.js';
import type { Severity } from './types.js';

/** Whether an agent lists a kind across the cluster or only what concerns its own node. */
export type WatchScope = 'cluster' | 'node';

/** One kind an agent lists and watches. */
export interface WatchedKind {
  /** RBAC plural: pods, nodes, leases, endpoints, endpointslices, events, services, replicasets, … */
  resource: string;
  scope: WatchScope;
}

/** What one agent (one replica) does against the API servers. */
export interface AgentProfile {
  watches: readonly WatchedKind[];
  /** Periodic GETs / LISTs: every `intervalMs`, one request for each of `kinds` kinds. */
  poll?: { intervalMs: number; kinds: number };
  /** Every replica is a leader-election candidate polling a Lease (adds `N / 3.2` GETs/s). */
  leaderElection?: boolean;
}

/** The model's parameters, from the config (`fleet.defaults`, `apiServer`). */
export interface LoadParams {
  podsPerNode: number;
  objectBytes: number;
  /** Object counts of kinds that grow with workloads rather than nodes, by RBAC plural. */
  objects: Readonly<Record<string, number>>;
  replicas: number;
  egressBytesPerSecond: number;
  requestsPerSecond: number;
}

/** The model's figures for one cluster. */
export interface ClusterLoad {
  nodes: number;
  /** Objects one agent lists on a relist (sum over its watched kinds). */
  objectsPerAgent: number;
  /** Bytes the API servers send when every agent relists: `N × objectsPerAgent × objectBytes`. */
  relistBytes: number;
  /** Time to send them at the API servers' combined egress. */
  relistSeconds: number;
  /** `relistSeconds / 60`. */
  ratioRelist: number;
  /** Polling and lease requests per second of all agents together. */
  requestsPerSecond: number;
  /** `requestsPerSecond / apiServer.requestsPerSecond`. */
  ratioRate: number;
  /** `max(ratioRelist, ratioRate)`. */
  ratio: number;
  severity: Severity;
}

/** The window a relist storm must fit in: the API server's default `--request-timeout` (RULEBOOK B.1). */
export const RELIST_WINDOW_SECONDS = 60;

/**
 * Seconds between a leader-election candidate's Lease GETs on average: client-go's retry period (2 s) times
 * the mean of its jitter (factor 1.2 → ×1.6), RULEBOOK A.2; hence `N / 3.2` GETs/s for N candidates.
 */
export const LEASE_GET_PERIOD_SECONDS = 3.2;

/** Object count of a kind that neither the config nor the built-in defaults name (a CRD, say). */
export const DEFAULT_OBJECT_COUNT = 5000;

/** Ratio thresholds of the severities (DESIGN.md "Load model"). */
export const SEVERITY_RATIOS = { critical: 10, high: 1, medium: 0.25 } as const;

/** Kinds whose count grows with pods: one object per pod or more, none with a field naming the node. */
const PER_POD_UNINDEXED = new Set(['endpoints', 'endpointslices', 'events']);

/** The kinds whose count grows with the cluster's node count, in the order messages list them. */
export const NODE_SCALING_KINDS = ['pods', 'nodes', 'leases', 'endpoints', 'endpointslices', 'events'] as const;

/** True for a kind whose object count grows with the number of nodes. */
export function isNodeScaling(resource: string): boolean {
  return (NODE_SCALING_KINDS as readonly string[]).includes(resource);
}

/** The model's parameters from a resolved config. */
export function loadParams(config: Config): LoadParams {
  const d = config.fleet.defaults;
  const a = config.apiServer;
  return {
    podsPerNode: d.podsPerNode,
    objectBytes: d.objectBytes,
    objects: { ...d.objects },
    replicas: a.replicas,
    egressBytesPerSecond: a.egressBytesPerSecond,
    requestsPerSecond: a.requestsPerSecond,
  };
}

/** Objects of one kind that one agent lists on a cluster of `nodes` nodes. */
export function objectsOfKind(resource: string, scope: WatchScope, nodes: number, p: LoadParams): number {
  const n = Math.max(0, nodes);
  switch (resource) {
    case 'pods':
      return scope === 'cluster' ? p.podsPerNode * n : p.podsPerNode;
    case 'nodes':
    case 'leases':
      return scope === 'cluster' ? n : 1;
    default:
      // Not node-indexed: a node-scoped agent still lists the whole cluster's count.
      if (PER_POD_UNINDEXED.has(resource)) return p.podsPerNode * n;
      return p.objects[resource] ?? (DEFAULTS.objects as Readonly<Record<string, number>>)[resource] ?? DEFAULT_OBJECT_COUNT;
  }
}

/**
 * The load a per-node agent puts on the API servers of a cluster of `nodes` nodes. A kind listed twice counts
 * once, at its wider scope. A polling interval below 1 ms counts as 1 ms.
 */
export function agentLoad(profile: AgentProfile, nodes: number, p: LoadParams): ClusterLoad {
  const n = Math.max(0, nodes);
  const scopes = new Map<string, WatchScope>();
  for (const w of profile.watches) {
    if (scopes.get(w.resource) !== 'cluster') scopes.set(w.resource, w.scope);
  }
  let objectsPerAgent = 0;
  for (const [resource, scope] of scopes) objectsPerAgent += objectsOfKind(resource, scope, n, p);
  const relistBytes = n * objectsPerAgent * p.objectBytes;
  const relistSeconds = relistBytes / (p.replicas * p.egressBytesPerSecond);
  const ratioRelist = relistSeconds / RELIST_WINDOW_SECONDS;
  const polls = profile.poll ? (n * Math.max(0, profile.poll.kinds) * 1000) / Math.max(1, profile.poll.intervalMs) : 0;
  const leases = profile.leaderElection ? n / LEASE_GET_PERIOD_SECONDS : 0;
  const requestsPerSecond = polls + leases;
  const ratioRate = requestsPerSecond / p.requestsPerSecond;
  const ratio = Math.max(ratioRelist, ratioRate);
  return { nodes: n, objectsPerAgent, relistBytes, relistSeconds, ratioRelist, requestsPerSecond, ratioRate, ratio, severity: severityForRatio(ratio) };
}

/** critical ≥ 10, high ≥ 1, medium ≥ 0.25, else low. */
export function severityForRatio(ratio: number): Severity {
  if (ratio >= SEVERITY_RATIOS.critical) return 'critical';
  if (ratio >= SEVERITY_RATIOS.high) return 'high';
  if (ratio >= SEVERITY_RATIOS.medium) return 'medium';
  return 'low';
}

/** `1234567` → `1,234,567` (rounded; locale-independent). */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const s = String(Math.round(Math.abs(n)));
  return (n < 0 ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/**
 * Bytes in binary units: the largest unit in which the value is at least 0.5, one decimal below 100
 * ("0.8 GiB", "2.3 GiB", "5.1 TiB"), whole numbers from 100 on; plain bytes below 512.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} B`;
  if (bytes < 512) return `${Math.round(Math.max(0, bytes))} B`;
  let unit = 1;
  while (unit < BYTE_UNITS.length - 1 && bytes / 1024 ** (unit + 1) >= 0.5) unit++;
  const v = bytes / 1024 ** unit;
  return `${v < 100 ? v.toFixed(1) : formatCount(v)} ${BYTE_UNITS[unit]}`;
}

/** Drops trailing zeros of a fixed-point number: `0.10` → `0.1`, `2.0` → `2`. */
function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/**
 * A capacity ratio: whole numbers from 10 on ("25×", "1,638×"), one decimal from 1 ("1.5×"), two decimals
 * from 0.01 ("0.25×"), one significant digit below ("0.004×").
 */
export function formatRatio(ratio: number): string {
  if (Number.isNaN(ratio)) return '?×';
  if (!Number.isFinite(ratio)) return '∞×';
  if (ratio <= 0) return '0×';
  if (ratio >= 10) return `${formatCount(ratio)}×`;
  if (ratio >= 1) return `${trimZeros(ratio.toFixed(1))}×`;
  if (ratio >= 0.01) return `${trimZeros(ratio.toFixed(2))}×`;
  if (ratio < 1e-6) return '<0.000001×';
  const decimals = Math.ceil(-Math.log10(ratio));
  return `${trimZeros(ratio.toFixed(decimals))}×`;
}
