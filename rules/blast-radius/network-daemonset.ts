/**
 * blast-radius/network-daemonset — kube-proxy and CNI agent DaemonSets: the node networking of every node
 * (RULEBOOK C.4 CRIT-NET-1, A.13 "any CNI DaemonSet change is also a CRIT rule", D.1).
 *
 * A change rule over the DaemonSets `isNetworkDaemonSet` recognises (kube-proxy, calico-node, canal, cilium,
 * aws-node, flannel, antrea, weave, kube-router, …) and their ConfigMaps. blast-radius/new-daemonset skips
 * these DaemonSets: this rule owns them. Three keys:
 * - `new` (high): a networking DaemonSet new in a cluster (the base had no DaemonSet with the same
 *   `Kind/namespace/name` reaching it, as in new-daemonset). Its creation ignores updateStrategy: every node
 *   gets the agent within minutes, and it rewrites routes, iptables / eBPF rules and the CNI config under
 *   the pods already running there;
 * - `template`: an existing one's `spec.template` changed (structural comparison: comment, key-order and
 *   metadata-only edits outside the template are quiet), in the clusters where the base already ran it.
 *   High when the change reaches the whole fleet (every known cluster of two or more, or more than half of
 *   the fleet's nodes; a one-cluster fleet is reached whole by a change to its cluster) and a rolling-update
 *   step is above 10 % (CRIT-NET-1): `maxUnavailable` or `maxSurge` as a percentage above 10 %, or as a
 *   count above 10 % of the largest reached cluster's nodes. A count of 1 (the default) is the smallest
 *   step a rolling update can take and never counts as above. `maxSurge` counts like maxUnavailable: a
 *   surge step starts the new agent on that many nodes at once, which is what breaks them. Medium
 *   otherwise: every node's agent still restarts. `updateStrategy.type: OnDelete` (the accepted
 *   alternative) restarts nothing at merge: quiet;
 * - `config`: the `data` / `binaryData` of a networking ConfigMap changed, was added to a unit whose base
 *   already ran a networking DaemonSet, or was deleted while the DaemonSet stays. Networking ConfigMaps are
 *   recognised by name (NETWORK_CONFIGMAPS) in the namespace of a networking DaemonSet of the same unit, or
 *   in kube-system (or no namespace written) when the unit has none (kube-proxy installed by the provider,
 *   its ConfigMap managed here). Medium; high when the change reaches the whole fleet (as above).
 * Copies of one object across units (one shared file, or one file per cluster) are one finding over the
 * union of their clusters (with `clusters`),
 * so messages carry the reach. The implicit cluster `unmapped` is not part of the fleet for "whole fleet"
 * (its reach is unknown), as in blast-radius/fleet-fan-out.
 */
import { sameValue } from '../../src/changes.js';
import { HIGH_NODES as FLEET_HIGH_NODES } from './fleet-fan-out.js';
import { isNetworkDaemonSet, NETWORK_CONFIGMAPS } from '../../src/critical.js';
import { configMapNamesOf } from '../../src/joins.js';
import { formatCount } from '../../src/load-model.js';
import { reachOf, reachText, type Reach } from '../../src/reach.js';
import type { ChangeContext, ChangeRule, Fleet } from '../../src/rule.js';
import type { Cluster, KubeObject, Severity, YamlPath, Tree } from '../../src/types.js';
import { listing, quote } from '../../src/text.js';
import { cmp } from '../../src/util.js';
import { asList, asMap, asString, getIn } from '../../src/yaml/walk.js';
import { ofKindInUnit } from '../../src/kinds.js';

const KIND = 'DaemonSet';

/** Above this share of a cluster's nodes per rolling-update step, a fleet-wide change is high (CRIT-NET-1). */
export const MAX_STEP_PERCENT = 10;


const REMEDIATION_NEW =
  'Create a networking DaemonSet on one small cluster first, limited to a labelled node pool by a nodeSelector, and widen it pool by pool and cluster by cluster in later pull requests, moving each node off any previous agent before the new one lands.';
const REMEDIATION_FAST =
  'Set updateStrategy.rollingUpdate.maxUnavailable to 1 (at most 10%) with no larger maxSurge, or use updateStrategy.type: OnDelete with a node-by-node procedure, and ship the change to one cluster per pull request.';
const REMEDIATION_TEMPLATE =
  'Ship networking agent changes to one cluster per pull request, smallest first, and keep maxUnavailable at 1 (at most 10%) so a bad version stops after a few nodes.';
const REMEDIATION_CONFIG =
  'Change networking configuration one cluster per pull request and apply it with a paced restart of the agents (kubectl rollout restart with maxUnavailable 1), checking node networking before the next cluster.';

/** `kube-system/calico-node`. */
function nameOf(o: KubeObject): string {
  return o.namespace ? `${o.namespace}/${o.name}` : o.name;
}

/** What the agent is, for messages: kube-proxy or a CNI agent. */
function agentOf(o: KubeObject): string {
  if (o.name.includes('kube-proxy')) return 'kube-proxy';
  const spec = getIn(o.doc, ['spec', 'template', 'spec']);
  for (const c of asList(getIn(spec, ['containers']))) {
    if (asString(getIn(c, ['image']))?.includes('kube-proxy')) return 'kube-proxy';
  }
  return 'CNI agent';
}

/**
 * True when the clusters are the whole fleet: every known cluster of two or more, or two or more clusters
 * with more than half its nodes (one cluster of a bigger fleet is a stage, however big, as in
 * fleet-fan-out), or the only cluster of a one-cluster fleet.
 */
function wholeFleet(fleet: Fleet, reach: Reach): boolean {
  if (reach.wholeFleet) return true;
  const reached = reach.clusters.filter((c) => !c.implicit);
  if (fleet.clusters.filter((c) => !c.implicit).length >= 2 && reached.length < 2) return false;
  const nodes = reached.reduce((n, c) => n + c.nodes, 0);
  return fleet.totalNodes > 0 && nodes * 2 > fleet.totalNodes;
}

/** `every cluster of the fleet` / `4,800 of the fleet's 8,060 nodes`. */
function fleetText(fleet: Fleet, reach: Reach): string {
  if (reach.wholeFleet) return 'every cluster of the fleet';
  const nodes = reach.clusters.filter((c) => !c.implicit).reduce((n, c) => n + c.nodes, 0);
  return nodes === fleet.totalNodes ? 'the whole fleet' : `${formatCount(nodes)} of the fleet's ${formatCount(fleet.totalNodes)} nodes`;
}


// ---- rolling-update pace ------------------------------------------------------------------------------

/** An IntOrString of the rolling update: a count or a percentage; `bad` for anything the API server rejects. */
type Amount = { kind: 'count'; value: number; text: string } | { kind: 'percent'; value: number; text: string } | { kind: 'bad'; text: string };

interface Pace {
  readonly onDelete: boolean;
  readonly maxUnavailable: Amount;
  readonly maxSurge: Amount;
  /** True when maxUnavailable is not written (the default, 1). */
  readonly defaulted: boolean;
}

function amountOf(value: unknown, fallback: number): Amount {
  if (value === undefined || value === null) return { kind: 'count', value: fallback, text: String(fallback) };
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? { kind: 'count', value, text: String(value) } : { kind: 'bad', text: String(value) };
  const s = asString(value);
  const m = s === undefined ? null : /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(s);
  if (m) return { kind: 'percent', value: Number(m[1]), text: quote(s!) };
  return { kind: 'bad', text: s === undefined ? 'a non-scalar value' : quote(s) };
}

/** The DaemonSet's update strategy (apps/v1 defaults: RollingUpdate, maxUnavailable 1, maxSurge 0). */
function paceOf(o: KubeObject): Pace {
  const strategy = asMap(getIn(o.doc, ['spec', 'updateStrategy']));
  const rolling = asMap(strategy?.rollingUpdate);
  const unavailable = rolling?.maxUnavailable;
  return {
    onDelete: asString(strategy?.type) === 'OnDelete',
    maxUnavailable: amountOf(unavailable, 1),
    maxSurge: amountOf(rolling?.maxSurge, 0),
    defaulted: unavailable === undefined || unavailable === null,
  };
}

/** Nodes one step touches in a cluster of `nodes` (percentages round up, as the DaemonSet controller does). */
function stepNodes(a: Amount, nodes: number): number {
  if (a.kind === 'bad') return 0;
  const n = a.kind === 'count' ? a.value : Math.ceil((a.value * nodes) / 100);
  return Math.min(n, nodes);
}

/** True when one step is above MAX_STEP_PERCENT of a cluster of `nodes` (a count of 1 never is). */
function tooFast(a: Amount, nodes: number): boolean {
  if (a.kind === 'percent') return a.value > MAX_STEP_PERCENT;
  if (a.kind === 'count') return a.value > 1 && a.value * 100 > MAX_STEP_PERCENT * nodes;
  return false;
}

/** The fields of a pace whose step is above the threshold at a cluster of `nodes`. */
function fastFields(p: Pace, nodes: number): Array<['maxUnavailable' | 'maxSurge', Amount]> {
  const out: Array<['maxUnavailable' | 'maxSurge', Amount]> = [];
  if (tooFast(p.maxUnavailable, nodes)) out.push(['maxUnavailable', p.maxUnavailable]);
  if (tooFast(p.maxSurge, nodes)) out.push(['maxSurge', p.maxSurge]);
  return out;
}

/** `maxUnavailable "50%" replaces it on up to 2,400 of the 4,800 nodes of "prod-us" at once`. */
function stepText(field: string, a: Amount, largest: Cluster): string {
  return `${field} ${a.text} replaces it on up to ${formatCount(stepNodes(a, largest.nodes))} of the ${formatCount(largest.nodes)} nodes of ${quote(largest.name)} at once`;
}

/** How the rollout is paced, for the medium message. */
function paceText(p: Pace, largest: Cluster): string {
  const fast = fastFields(p, largest.nodes);
  if (fast.length > 0) return fast.map(([f, a]) => stepText(f, a, largest)).join(' and ');
  if (p.maxUnavailable.kind === 'bad') return `maxUnavailable ${p.maxUnavailable.text} is not a count or percentage (the API server rejects the update)`;
  const unavailable = stepNodes(p.maxUnavailable, largest.nodes);
  const surge = stepNodes(p.maxSurge, largest.nodes);
  const what = surge > unavailable ? `maxSurge ${p.maxSurge.text}` : p.defaulted ? 'maxUnavailable 1 (the default)' : `maxUnavailable ${p.maxUnavailable.text}`;
  const step = Math.max(unavailable, surge);
  return `${what} paces it at ${formatCount(step)} node${step === 1 ? '' : 's'} at a time in ${quote(largest.name)}`;
}

// ---- where a template changed ----------------------------------------------------------------------------

/** The deepest path at which two values differ in exactly one place (the template path when several). */
function diffPath(a: unknown, b: unknown, path: YamlPath): YamlPath {
  let x = a;
  let y = b;
  const out = [...path];
  for (let depth = 0; depth < 16; depth++) {
    let next: string | number | undefined;
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) break;
      const diff: number[] = [];
      for (let i = 0; i < x.length && diff.length < 2; i++) if (!sameValue(x[i], y[i])) diff.push(i);
      if (diff.length !== 1) break;
      next = diff[0];
      x = x[next];
      y = y[next];
    } else {
      const mx = asMap(x);
      const my = asMap(y);
      if (!mx || !my) break;
      const diff: string[] = [];
      for (const k of new Set([...Object.keys(mx), ...Object.keys(my)])) {
        if (!sameValue(mx[k], my[k])) diff.push(k);
        if (diff.length > 1) break;
      }
      if (diff.length !== 1 || !Object.prototype.hasOwnProperty.call(my, diff[0])) break;
      next = diff[0];
      x = mx[next];
      y = my[next];
    }
    out.push(next);
  }
  return out;
}

// ---- grouping ---------------------------------------------------------------------------------------------

interface Group {
  object: KubeObject;
  /** The base copy (template and config changes). */
  base?: KubeObject;
  clusters: Set<string>;
  pace?: Pace;
  /** Config: what happened to the ConfigMap. */
  change?: 'changed' | 'added' | 'deleted';
}

/**
 * One finding per object (Kind/namespace/name) and kind of change, over the clusters where it happens:
 * whether the clusters share the object's file or each has a copy, one pull request changing them all
 * reaches them all at once.
 */
class Groups {
  readonly all = new Map<string, Group>();
  add(o: KubeObject, extra: string, clusters: readonly string[], make: () => Omit<Group, 'clusters'>): void {
    const id = `${o.ref}\u0000${extra}`;
    let g = this.all.get(id);
    if (!g) this.all.set(id, (g = { ...make(), clusters: new Set() }));
    for (const c of clusters) g.clusters.add(c);
  }
}

/** Objects of one kind by `unit\0ref` (the last wins, as kubectl apply would leave it). */
function byUnitRef(objects: readonly KubeObject[], keep: (o: KubeObject) => boolean): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  for (const o of objects) if (keep(o)) out.set(`${o.unit}\u0000${o.ref}`, o);
  return out;
}

export const networkDaemonset: ChangeRule = {
  meta: {
    id: 'blast-radius/network-daemonset',
    family: 'blast-radius',
    type: 'change',
    severity: 'high',
    description:
      'Flag kube-proxy and CNI agent DaemonSets that are new in a cluster (high), whose pod template changes (high fleet-wide with a rolling-update step above 10%), or whose networking ConfigMap changes, with the clusters and node counts they reach.',
    docs: 'docs/rules/blast-radius/network-daemonset.md',
    remediation: REMEDIATION_TEMPLATE,
  },
  check(ctx: ChangeContext) {
    const { fleet } = ctx;
    const baseDs = byUnitRef(ctx.base.objects, (o) => o.kind === KIND);
    const headDs = byUnitRef(ctx.head.objects, (o) => o.kind === KIND);
    const baseCm = byUnitRef(ctx.base.objects, (o) => o.kind === 'ConfigMap' && NETWORK_CONFIGMAPS.has(o.name));
    const headCm = byUnitRef(ctx.head.objects, (o) => o.kind === 'ConfigMap' && NETWORK_CONFIGMAPS.has(o.name));
    if (headDs.size === 0 && baseCm.size === 0 && headCm.size === 0) return;

    // Clusters where the base runs a DaemonSet, by ref; networking DaemonSets of the base, by cluster.
    const before = new Map<string, Set<string>>();
    const baseNetwork = new Map<string, Set<string>>();
    // Networking DaemonSets of each unit (either side): namespace → names, for the ConfigMaps.
    const unitNetwork = new Map<string, Map<string | null, Set<string>>>();
    const noteUnit = (o: KubeObject) => {
      const byNs = unitNetwork.get(o.unit) ?? unitNetwork.set(o.unit, new Map()).get(o.unit)!;
      (byNs.get(o.namespace) ?? byNs.set(o.namespace, new Set()).get(o.namespace)!).add(nameOf(o));
    };
    const network = new Set<KubeObject>();
    for (const b of baseDs.values()) {
      const clusters = fleet.clustersOfObject(b, 'base');
      const set = before.get(b.ref) ?? before.set(b.ref, new Set()).get(b.ref)!;
      for (const c of clusters) set.add(c);
      if (!isNetworkDaemonSet(b)) continue;
      network.add(b);
      noteUnit(b);
      for (const c of clusters) (baseNetwork.get(c) ?? baseNetwork.set(c, new Set()).get(c)!).add(nameOf(b));
    }
    for (const h of headDs.values()) {
      if (!isNetworkDaemonSet(h)) continue;
      network.add(h);
      noteUnit(h);
    }

    const fresh = new Groups();
    const template = new Groups();
    for (const [id, h] of headDs) {
      const b = baseDs.get(id);
      if (!network.has(h) && !(b && network.has(b))) continue;
      const headClusters = fleet.clustersOfObject(h, 'head');
      const old = before.get(h.ref);
      const added = headClusters.filter((c) => !old?.has(c));
      if (added.length > 0 && network.has(h)) fresh.add(h, '', added, () => ({ object: h }));
      if (!b || b.doc === h.doc) continue;
      const path = ['spec', 'template'];
      if (sameValue(getIn(b.doc, path), getIn(h.doc, path))) continue;
      const pace = paceOf(h);
      if (pace.onDelete) continue; // nothing restarts at merge: the accepted alternative (CRIT-NET-1)
      const kept = new Set(fleet.clustersOfObject(b, 'base'));
      const clusters = headClusters.filter((c) => kept.has(c));
      if (clusters.length === 0) continue;
      template.add(h, JSON.stringify(pace), clusters, () => ({ object: h, base: b, pace }));
    }

    const config = new Groups();
    const namespaceFits = (o: KubeObject) => {
      const byNs = unitNetwork.get(o.unit);
      if (!byNs || byNs.size === 0) return o.namespace === null || o.namespace === 'kube-system';
      return o.namespace === null || byNs.has(o.namespace) || byNs.has(null);
    };
    const unitHasNetwork = (unit: string, objects: Map<string, KubeObject>) => {
      for (const o of objects.values()) if (o.unit === unit && network.has(o)) return true;
      return false;
    };
    for (const [id, h] of headCm) {
      if (!namespaceFits(h)) continue;
      const b = baseCm.get(id);
      let change: Group['change'];
      if (!b) {
        // Added: only a change when the unit's base already ran a networking DaemonSet (else `new` speaks).
        if (!unitHasNetwork(h.unit, baseDs)) continue;
        change = 'added';
      } else {
        if (b.doc === h.doc || (sameValue(b.doc.data, h.doc.data) && sameValue(b.doc.binaryData, h.doc.binaryData))) continue;
        change = 'changed';
      }
      // A changed ConfigMap: the clusters that had it (a cluster it is new in gets a `new` DaemonSet).
      const had = b ? new Set(fleet.clustersOfObject(b, 'base')) : undefined;
      const clusters = fleet.clustersOfObject(h, 'head').filter((c) => !had || had.has(c));
      if (clusters.length === 0) continue;
      config.add(h, change, clusters, () => ({ object: h, ...(b ? { base: b } : {}), change }));
    }
    for (const [id, b] of baseCm) {
      if (headCm.has(id) || !namespaceFits(b)) continue;
      // Deleted while a networking DaemonSet that reads it stays: its agents fail at their next start. (Deleted
      // with its readers, as when a whole CNI install goes, it is part of that deletion.)
      if (readersOf(b, ctx.head).length === 0) continue;
      const clusters = fleet.clustersOfObject(b, 'base');
      config.add(b, 'deleted', clusters, () => ({ object: b, base: b, change: 'deleted' }));
    }

    for (const g of fresh.all.values()) reportNew(ctx, g, baseNetwork);
    for (const g of template.all.values()) reportTemplate(ctx, g);
    for (const g of config.all.values()) reportConfig(ctx, g);
  },
};

function reportNew(ctx: ChangeContext, g: Group, baseNetwork: ReadonlyMap<string, ReadonlySet<string>>): void {
  const o = g.object;
  const reach = reachOf(ctx.fleet, g.clusters);
  if (reach.clusters.length === 0) return;
  const others = new Set<string>();
  for (const c of reach.clusters) for (const n of baseNetwork.get(c.name) ?? []) if (n !== nameOf(o)) others.add(n);
  let message =
    `new networking DaemonSet ${quote(nameOf(o))} (${agentOf(o)}) lands at once on every node of ${reachText(reach)}; ` +
    'its creation ignores updateStrategy (slow-start batches up to 250 pods per sync, RULEBOOK B.1), and on each node it rewrites ' +
    (agentOf(o) === 'kube-proxy' ? 'the Service rules (iptables, IPVS or nftables)' : 'routes, iptables or eBPF rules and the CNI config') +
    ' under the pods already running there';
  if (others.size > 0) {
    const list = [...others].sort(cmp).map(quote);
    message += `; the base already runs ${listing(list)} there: two networking agents on one node (or one replacing another in the same merge) fight over the same routes and CNI config`;
  }
  ctx.report({
    key: 'new',
    severity: 'high',
    message,
    remediation: REMEDIATION_NEW,
    at: { object: o, path: ['metadata', 'name'] },
    clusters: reach.clusters.map((c) => c.name),
    data: { totalNodes: reach.nodes, clusters: reach.clusters.map((c) => ({ cluster: c.name, nodes: c.nodes, nodesAssumed: c.nodesAssumed })), alongside: [...others].sort(cmp) },
  });
}

function reportTemplate(ctx: ChangeContext, g: Group): void {
  const o = g.object;
  const pace = g.pace!;
  const reach = reachOf(ctx.fleet, g.clusters);
  if (reach.clusters.length === 0) return;
  const largest = reach.clusters.reduce((a, c) => (c.nodes > a.nodes ? c : a));
  const everywhere = wholeFleet(ctx.fleet, reach);
  const fast = fastFields(pace, largest.nodes);
  const agent = agentOf(o);
  // Across two or more clusters with 1,000 nodes or more, nothing paces the rollout across clusters: high
  // whatever the step, as blast-radius/fleet-fan-out judges any other DaemonSet (a networking agent is not
  // less critical). A single-cluster fleet counts when the step is fast.
  const acrossClusters =
    everywhere && pace.maxUnavailable.kind !== 'bad' && reach.clusters.filter((c) => !c.implicit).length >= 2 && reach.nodes >= FLEET_HIGH_NODES;
  const severity: Severity = everywhere && (fast.length > 0 || acrossClusters) ? 'high' : 'medium';
  let message = `pod template of networking DaemonSet ${quote(nameOf(o))} (${agent}) changed in ${reachText(reach)}; every node's ${agent} restarts`;
  if (severity === 'high' && fast.length === 0) {
    message +=
      `; ${paceText(pace, largest)}, but the change reaches ${fleetText(ctx.fleet, reach)} in one merge, ` +
      `so every reached cluster rolls the new ${agent} at the same time and a bad version that passes readiness (broken service routing, dropped policy) spreads to all of them before any stage has shown it works`;
  } else if (severity === 'high') {
    message +=
      `; ${fast.map(([f, a]) => stepText(f, a, largest)).join(' and ')}, and the change reaches ${fleetText(ctx.fleet, reach)} in one merge, ` +
      `so a bad version breaks node networking on that share of every reached cluster before the rollout stalls on unready pods (CRIT-NET-1: at most ${MAX_STEP_PERCENT}% at a time)`;
  } else {
    message += `; ${paceText(pace, largest)}`;
    if (everywhere) message += `, across ${fleetText(ctx.fleet, reach)} in one merge`;
  }
  ctx.report({
    key: 'template',
    severity,
    message,
    remediation: severity === 'high' && fast.length > 0 ? REMEDIATION_FAST : REMEDIATION_TEMPLATE,
    at: { object: o, path: diffPath(getIn(g.base!.doc, ['spec', 'template']), getIn(o.doc, ['spec', 'template']), ['spec', 'template']) },
    clusters: reach.clusters.map((c) => c.name),
    data: {
      totalNodes: reach.nodes,
      wholeFleet: everywhere,
      maxUnavailable: pace.maxUnavailable.kind === 'bad' ? null : pace.maxUnavailable.text,
      maxSurge: pace.maxSurge.kind === 'bad' ? null : pace.maxSurge.text,
      stepAbove: fast.map(([f]) => f),
    },
  });
}

/** Keys of `data` and `binaryData` that differ (sorted, quoted, at most five named). */
function changedDataKeys(b: KubeObject, h: KubeObject): { keys: string[]; first?: YamlPath } {
  const keys: string[] = [];
  let first: YamlPath | undefined;
  for (const field of ['data', 'binaryData']) {
    const x = asMap(b.doc[field]) ?? {};
    const y = asMap(h.doc[field]) ?? {};
    for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort(cmp)) {
      if (sameValue(x[k], y[k])) continue;
      keys.push(k);
      if (!first && Object.prototype.hasOwnProperty.call(y, k)) first = [field, k];
    }
  }
  return { keys, first };
}

/**
 * The networking DaemonSets of a ConfigMap's unit on the head that read it (their pod spec names it), in the
 * same namespace (or either has none written).
 */
function readersOf(o: KubeObject, head: Tree): string[] {
  const out = new Set<string>();
  for (const d of ofKindInUnit(head.objects, KIND, o.unit)) {
    if (!isNetworkDaemonSet(d)) continue;
    if (d.namespace !== o.namespace && d.namespace !== null && o.namespace !== null) continue;
    if (configMapNamesOf(d).has(o.name)) out.add(nameOf(d));
  }
  return [...out].sort(cmp);
}

function reportConfig(ctx: ChangeContext, g: Group): void {
  const o = g.object;
  const reach = reachOf(ctx.fleet, g.clusters);
  if (reach.clusters.length === 0) return;
  const everywhere = wholeFleet(ctx.fleet, reach);
  const readers = readersOf(o, ctx.head).map(quote);
  const one = readers.length <= 1;
  const who = readers.length > 0 ? `${listing(readers)} read${one ? 's' : ''} it on every node` : 'the networking agent that reads it (not in this repository) runs on every node';
  const picks = `and ${one ? 'picks' : 'pick'} the new values up at ${one ? 'its' : 'their'} next restart`;
  let what: string;
  let path: YamlPath = ['data'];
  switch (g.change) {
    case 'deleted':
      what = `deleted (line on the base) in ${reachText(reach)}; ${who}, and every agent that starts after the merge fails on the missing ConfigMap (a node reboot, an eviction or the next rollout is enough)`;
      path = ['metadata', 'name'];
      break;
    case 'added':
      what = `added in ${reachText(reach)}, where the networking DaemonSet already runs: its content replaces whatever the clusters hold; ${who} ${picks} (a node reboot, an eviction, the next rollout), with nothing staging it`;
      break;
    default: {
      const { keys, first } = changedDataKeys(g.base!, o);
      if (first) path = first;
      const named = keys.slice(0, 5).map(quote);
      const list = keys.length > 5 ? `${named.join(', ')} and ${keys.length - 5} more` : listing(named);
      const which = keys.length === 0 ? '' : ` (${keys.length === 1 ? 'key' : 'keys'} ${list})`;
      what = `data changed${which} in ${reachText(reach)}; ${who} ${picks} (a node reboot, an eviction, the next rollout), with nothing staging it`;
    }
  }
  let message = `networking ConfigMap ${quote(nameOf(o))} ${what}`;
  if (everywhere) message += `; the change reaches ${fleetText(ctx.fleet, reach)} in one merge`;
  ctx.report({
    key: 'config',
    severity: everywhere ? 'high' : 'medium',
    message,
    remediation: REMEDIATION_CONFIG,
    at: { object: o, path },
    clusters: reach.clusters.map((c) => c.name),
    data: { change: g.change, totalNodes: reach.nodes, wholeFleet: everywhere, readers: readers.length },
  });
}
