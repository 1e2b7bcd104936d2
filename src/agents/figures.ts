/** The load model's figures in words, for watch-all messages: the staging trap in one line. */
import { agentLoad, formatBytes, formatCount, formatRatio, SEVERITY_RATIOS, type AgentProfile, type LoadParams } from '../load-model.js';
import type { Fleet } from '../rule.js';
import type { Cluster } from '../types.js';

/** passes (< 0.25×), strains (≥ 0.25×), overload (≥ 1×). */
export function verdict(ratio: number): string {
  if (ratio >= SEVERITY_RATIOS.high) return 'overload';
  if (ratio >= SEVERITY_RATIOS.medium) return 'strains';
  return 'passes';
}

function nodesText(c: Cluster): string {
  return `${formatCount(c.nodes)} nodes${c.nodesAssumed ? ', assumed' : ''}`;
}

/**
 * The staging trap in one line: the model at the smallest and the largest reached cluster
 * (`canary-1 (60 nodes): relist 0.8 GiB, 0.004× capacity — passes; prod-us (4,800 nodes): 5.1 TiB, 25× — overload`).
 */
export function stagingTrap(clusters: readonly Cluster[], profile: AgentProfile, p: LoadParams): string {
  const smallest = clusters[0];
  const largest = clusters[clusters.length - 1];
  const text = (c: Cluster, first: boolean) => {
    const load = agentLoad(profile, c.nodes, p);
    // Polling agents: the request rate is what the API servers feel; relists still happen on every rollout.
    const rate = load.requestsPerSecond > 0 ? `, ${formatCount(Math.round(load.requestsPerSecond))} req/s` : '';
    return `${c.name} (${nodesText(c)}): ${first ? 'relist ' : ''}${formatBytes(load.relistBytes)}${rate}, ${formatRatio(load.ratio)}${first ? ' capacity' : ''} — ${verdict(load.ratio)}`;
  };
  if (smallest.nodes === largest.nodes) return text(largest, true);
  return `${text(smallest, true)}; ${text(largest, false)}`;
}

/**
 * The model across the fleet's cluster sizes (every known cluster, and the reached ones such as
 * `unmapped`): what the Markdown report charts, so a reviewer sees where the agent would tip over.
 */
export function fleetChart(fleet: Fleet, reached: readonly Cluster[], profile: AgentProfile, p: LoadParams): Array<{ nodes: number; ratio: number }> {
  const sizes = [...new Set([...fleet.clusters, ...reached].map((c) => c.nodes))].sort((a, b) => a - b);
  return sizes.map((nodes) => ({ nodes, ratio: agentLoad(profile, nodes, p).ratio }));
}

/** The model at each reached cluster: what the Markdown report shows as a watch-all finding's load table. */
export function loadRows(clusters: readonly Cluster[], profile: AgentProfile, p: LoadParams) {
  return clusters.map((c) => {
    const l = agentLoad(profile, c.nodes, p);
    return { cluster: c.name, nodes: c.nodes, nodesAssumed: c.nodesAssumed, relistBytes: l.relistBytes, requestsPerSecond: l.requestsPerSecond, ratio: l.ratio };
  });
}
