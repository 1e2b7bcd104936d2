/**
 * Score and level (DESIGN.md "Score and level"), from live findings only.
 *
 * Level = the highest live severity (`none` without live findings); it alone decides the exit code.
 * Score = how much of the fleet is at risk: live findings are grouped by `resource` (a null resource is
 * its own group); each group weighs its highest severity times its reach (the share of the fleet's
 * nodes in the union of its findings' clusters, at least 0.25; 1.0 when it reaches `unmapped`), and
 * score = round(100 × (1 − Π(1 − wᵢ))).
 */
import type { Fleet } from './rule.js';
import { UNMAPPED } from './fleet.js';
import { levelRank, type Finding, type Level, type Severity } from './types.js';

export const SEVERITY_WEIGHT: Readonly<Record<Severity, number>> = { low: 0.05, medium: 0.2, high: 0.5, critical: 0.85 };
export const MIN_REACH = 0.25;

/** The highest live severity, or `none`. */
export function levelOf(findings: readonly Finding[]): Level {
  let level: Level = 'none';
  for (const f of findings) if (!f.suppressed && levelRank(f.severity) > levelRank(level)) level = f.severity;
  return level;
}

/** Share of the fleet's nodes a set of clusters holds, floored at MIN_REACH; 1 for `unmapped`. */
export function reach(clusters: Iterable<string>, fleet: Pick<Fleet, 'cluster' | 'totalNodes'>): number {
  let nodes = 0;
  for (const name of clusters) {
    if (name === UNMAPPED) return 1;
    nodes += fleet.cluster(name)?.nodes ?? 0;
  }
  const share = fleet.totalNodes > 0 ? nodes / fleet.totalNodes : 1;
  return Math.max(MIN_REACH, Math.min(1, share));
}

/** The 0–100 score of the live findings. */
export function scoreOf(findings: readonly Finding[], fleet: Pick<Fleet, 'cluster' | 'totalNodes'>): number {
  const groups = new Map<string, { severity: Severity; clusters: Set<string> }>();
  let anonymous = 0;
  for (const f of findings) {
    if (f.suppressed) continue;
    const id = f.resource ?? `\u0000${anonymous++}`;
    const g = groups.get(id);
    if (!g) groups.set(id, { severity: f.severity, clusters: new Set(f.clusters) });
    else {
      if (levelRank(f.severity) > levelRank(g.severity)) g.severity = f.severity;
      for (const c of f.clusters) g.clusters.add(c);
    }
  }
  let safe = 1;
  for (const g of groups.values()) safe *= 1 - SEVERITY_WEIGHT[g.severity] * reach(g.clusters, fleet);
  return Math.round(100 * (1 - safe));
}

/** The exit code for a level: 1 at or above the fail-on level (`none` never fails), else 0. */
export function exitCodeFor(level: Level, failOn: Level): number {
  if (failOn === 'none' || level === 'none') return 0;
  return levelRank(level) >= levelRank(failOn) ? 1 : 0;
}
