/**
 * How far a finding reaches: its clusters (in fleet order) with their node counts, and the total. Rules use
 * it in messages; the reports print it as each finding's "reach" line.
 */
import { formatCount } from './load-model.js';
import type { Fleet } from './rule.js';
import type { Cluster, ReportCluster } from './types.js';
import { cmp } from './util.js';

export interface Reach {
  /** The clusters the fleet knows, in fleet order (stage, then name). */
  readonly clusters: readonly Cluster[];
  /** Sum of their nodes. */
  readonly nodes: number;
  /** `''`, `' (assumed)'` when every count is assumed, `' (partly assumed)'` when some are. */
  readonly assumed: string;
  /** True when the clusters are every cluster of a fleet of two or more. */
  readonly wholeFleet: boolean;
}

/**
 * The reach of a set of cluster names: the fleet's clusters in fleet order, then any other name the fleet
 * resolves (the implicit `unmapped`); names it does not know are left out.
 */
export function reachOf(fleet: Pick<Fleet, 'clusters'> & Partial<Pick<Fleet, 'cluster'>>, names: Iterable<string>): Reach {
  const wanted = new Set(names);
  const listed = fleet.clusters.filter((c) => wanted.has(c.name));
  const extra = [...wanted]
    .filter((n) => !listed.some((c) => c.name === n))
    .sort(cmp)
    .map((n) => fleet.cluster?.(n))
    .filter((c): c is Cluster => c !== undefined);
  const clusters = [...listed, ...extra];
  const nodes = clusters.reduce((sum, c) => sum + c.nodes, 0);
  const assumed = clusters.length === 0 ? '' : clusters.every((c) => c.nodesAssumed) ? ' (assumed)' : clusters.some((c) => c.nodesAssumed) ? ' (partly assumed)' : '';
  const known = fleet.clusters.filter((c) => !c.implicit);
  const wholeFleet = known.length >= 2 && known.every((c) => wanted.has(c.name));
  return { clusters, nodes, assumed, wholeFleet };
}

/** `prod-us (4,800)`, `unmapped (5,000, assumed)`. */
export function clusterText(c: Cluster): string {
  return `${c.name} (${formatCount(c.nodes)}${c.nodesAssumed ? ', assumed' : ''})`;
}

/** `1 node`, `8,060 nodes (partly assumed)`. */
export function nodesText(reach: Reach): string {
  return `${formatCount(reach.nodes)} node${reach.nodes === 1 ? '' : 's'}${reach.assumed}`;
}

/** `cluster "prod-us" (4,800 nodes)` or `3 clusters, 8,060 nodes: canary-1 (60), prod-eu (3,200), prod-us (4,800)`. */
export function reachText(reach: Reach): string {
  if (reach.clusters.length === 0) return 'no known cluster';
  if (reach.clusters.length === 1) {
    const c = reach.clusters[0];
    return `cluster ${JSON.stringify(c.name)} (${nodesText(reach)})`;
  }
  return `${reach.clusters.length} clusters, ${nodesText(reach)}: ${reach.clusters.map(clusterText).join(', ')}`;
}

/** Cluster names sorted the way reports list them. */
export function sortedNames(names: Iterable<string>): string[] {
  return [...new Set(names)].sort(cmp);
}

/**
 * A finding's reach line as the reports print it: `3 clusters, 8,060 nodes: canary-1 (60), prod-eu
 * (3,200), prod-us (4,800)`, from the report's cluster table (a cluster the table lacks counts no nodes),
 * then, when a reached cluster before the last stage has a DNS bake time, how long to wait before the next
 * stage (the longest of those).
 * Past `max` clusters the smallest are counted, not named. `none` for a finding that reaches nothing.
 */
export function findingReach(clusters: readonly string[], table: readonly ReportCluster[], max = 10): string {
  if (clusters.length === 0) return 'none';
  const byName = new Map(table.map((c) => [c.name, c] as const));
  const rows = clusters.map((name) => byName.get(name) ?? { name, nodes: 0, nodesAssumed: true, unknown: true });
  const nodes = rows.reduce((n, c) => n + c.nodes, 0);
  const assumed = rows.every((c) => c.nodesAssumed) ? ' (assumed)' : rows.some((c) => c.nodesAssumed) ? ' (partly assumed)' : '';
  const total = `${formatCount(nodes)} node${nodes === 1 ? '' : 's'}${assumed}`;
  // Largest first when some must be left out; otherwise in the finding's (name) order.
  const shown = rows.length > max ? [...rows].sort((a, b) => b.nodes - a.nodes || cmp(a.name, b.name)).slice(0, max) : rows;
  const named = shown.map((c) => ('unknown' in c ? `${c.name} (size unknown)` : `${c.name} (${formatCount(c.nodes)}${c.nodesAssumed ? ', assumed' : ''})`)).join(', ');
  const more = rows.length > max ? `, and ${rows.length - max} smaller` : '';
  // Only a change that has a next stage to wait for: the table is in stage order, so its last row holds
  // the last stage (the implicit cluster takes it).
  const lastStage = table.at(-1)?.stage;
  const beforeLast = rows.filter((c) => 'stage' in c && c.stage !== lastStage);
  const bake = Math.max(0, ...beforeLast.map((c) => ('bakeSeconds' in c && typeof c.bakeSeconds === 'number' ? c.bakeSeconds : 0)));
  const wait = bake > 0 ? `; bake at least ${durationText(bake)} before the next stage: CoreDNS may answer from its cache that long, hiding a DNS failure` : '';
  return `${rows.length} cluster${rows.length === 1 ? '' : 's'}, ${total}: ${named}${more}${wait}`;
}

/** `45 s`, `30 min`, `1 h 30 min` (whole minutes past the first hour). */
export function durationText(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}
