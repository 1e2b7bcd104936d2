/**
 * blast-radius/fleet-fan-out — a change that reaches the whole fleet, or most of its nodes, in one merge
 * (RULEBOOK Part C principle "combine with Part D: is it going to all clusters at once?", B.6 restart
 * amplifiers; the issue that defines the blast-radius family).
 *
 * A change rule, only in fleets of two or more known clusters. Each object is compared per deployable unit
 * (same `Kind/namespace/name` on both sides of one unit), after Kustomize has resolved it, so an overlay
 * that pins its own image does not count as reached by a base image bump. Copies of one source across units
 * are one change over the union of the clusters where they changed. A change fans out when those clusters
 * are every known cluster, or two or more clusters holding more than half of the fleet's nodes (one cluster
 * alone is a stage, however big: its own rollout strategy paces it). Severity by what the change does
 * there:
 * - `pod-template` on a DaemonSet: every node of every reached cluster restarts a pod — high at 1,000 nodes
 *   or more (nothing paces a rollout across clusters), medium below;
 * - `pod-template` on other workloads (Deployment, StatefulSet, Job …): every replica rolls in every reached
 *   cluster at once — low;
 * - `data` (ConfigMap / Secret), `spec` (anything else outside `metadata`): low; medium for a ConfigMap a
 *   DaemonSet reads, on 1,000 nodes or more (an agent reloading its config takes it everywhere at once);
 * - metadata-only edits (labels, annotations, outside the pod template) roll nothing: no finding.
 * Objects created or deleted are judged by what they are (new-daemonset, network-daemonset,
 * admission-webhook, deletion …); kube-proxy / CNI DaemonSets and cluster DNS by their own rules.
 * The implicit cluster `unmapped` is not part of the fleet here (its reach is unknown).
 */
import { describeWorkload } from '../../src/agents/kit.js';
import { changedPairs, sameValue } from '../../src/changes.js';
import { configMapNamesOf, sourceFile } from '../../src/joins.js';
import { isClusterDnsConfigMap, isClusterDnsDeployment, isNetworkConfigMap, isNetworkDaemonSet } from '../../src/critical.js';
import { POD_SPEC_KINDS, podSpecPath } from '../../src/kube.js';
import { formatCount } from '../../src/load-model.js';
import { reachOf, reachText, type Reach } from '../../src/reach.js';
import type { ChangeContext, ChangeRule } from '../../src/rule.js';
import { isKubeDnsConfigMap } from './cluster-dns.js';
import type { KubeObject, Severity, YamlPath } from '../../src/types.js';
import { listing, quote } from '../../src/text.js';
import { asList, asMap, asString, getIn } from '../../src/yaml/walk.js';
import { ofKindInUnit, ofKinds } from '../../src/kinds.js';

/** From this many reached nodes a DaemonSet restart is "thousands of nodes": high. */
export const HIGH_NODES = 1000;

const REMEDIATION =
  'Roll the change out in stages: change the earliest stage\'s overlay (or pin the old version in the production overlays) first, and widen it in later pull requests once it runs healthy there.';

type Change = 'pod-template' | 'data' | 'spec';

/** Keys of an object that are not its content: a change confined to them rolls nothing. */
const NOT_CONTENT = new Set(['metadata', 'status']);

/** The pod template path of a workload kind (`spec.template`), or undefined. */
function templatePath(kind: string): YamlPath | undefined {
  const p = podSpecPath(kind);
  return p && p.length > 1 ? p.slice(0, -1) : undefined;
}

/** What changed in one unit's copy (every kind of change it holds); empty when nothing but metadata did. */
function changesOf(base: KubeObject | undefined, head: KubeObject | undefined): Change[] {
  // Creation and deletion are judged by what is created or deleted (new-daemonset, network-daemonset,
  // admission-webhook, deletion …): a new Namespace or Role in every cluster is no fan-out risk.
  if (!base || !head || base.doc === head.doc) return [];
  const out = new Set<Change>();
  const path = templatePath(head.kind);
  if (path && !sameValue(getIn(base.doc, path), getIn(head.doc, path))) out.add('pod-template');
  const configData = head.kind === 'ConfigMap' || head.kind === 'Secret';
  for (const k of new Set([...Object.keys(base.doc), ...Object.keys(head.doc)])) {
    if (NOT_CONTENT.has(k)) continue;
    if (k === 'spec' && path) {
      // The rest of a workload's spec, its pod template aside.
      const rest = (d: Record<string, unknown>) => {
        const spec = asMap(d.spec);
        return spec ? Object.fromEntries(Object.entries(spec).filter(([key]) => key !== path[1])) : d.spec;
      };
      if (!sameValue(rest(base.doc), rest(head.doc))) out.add('spec');
      continue;
    }
    if (sameValue(base.doc[k], head.doc[k])) continue;
    out.add(configData && (k === 'data' || k === 'binaryData' || k === 'stringData') ? 'data' : 'spec');
  }
  return [...out];
}

/** `OnDelete` when a DaemonSet's or StatefulSet's pods take a new template only when they are recreated. */
function onDelete(o: KubeObject): boolean {
  return (o.kind === 'DaemonSet' || o.kind === 'StatefulSet') && asString(getIn(o.doc, ['spec', 'updateStrategy', 'type'])) === 'OnDelete';
}

/** `image "a:1" → "a:2" (container "agent")` for each container whose image changed. */
function imageChanges(base: KubeObject, head: KubeObject): string[] {
  const spec = podSpecPath(head.kind);
  if (!spec) return [];
  const images = (o: KubeObject) => {
    const out = new Map<string, string>();
    for (const field of ['initContainers', 'containers']) {
      for (const c of asList(getIn(o.doc, [...spec, field]))) {
        const name = asString(asMap(c)?.name);
        const image = asString(asMap(c)?.image);
        if (name && image) out.set(name, image);
      }
    }
    return out;
  };
  const before = images(base);
  const out: string[] = [];
  for (const [name, image] of images(head)) {
    const old = before.get(name);
    if (old !== undefined && old !== image) out.push(`container ${quote(name)} image ${quote(old)} → ${quote(image)}`);
  }
  return out;
}

/** One object (all copies of one source with one ref) changed in several clusters. */
interface Group {
  change: Change;
  base?: KubeObject | undefined;
  head?: KubeObject;
  clusters: Set<string>;
  /** Files holding the changed copies. */
  files: Set<string>;
}


const RANK: Readonly<Record<Change, number>> = { 'pod-template': 2, data: 1, spec: 0 };


function verdict(g: Group, reach: Reach, runsIt: readonly string[], readers: readonly string[]): { severity: Severity; what: string } {
  const o = (g.head ?? g.base)!;
  const nodes = `${formatCount(reach.nodes)} node${reach.nodes === 1 ? '' : 's'}`;
  switch (g.change) {
    case 'pod-template': {
      const images = g.base && g.head ? imageChanges(g.base, g.head) : [];
      const change = images.length > 0 ? listing(images) : 'its pod template changes';
      if (onDelete(o)) {
        return {
          severity: 'low',
          what: `${change}, but its updateStrategy is OnDelete: nothing restarts at merge, and each pod takes the change when it is recreated (a new node, an eviction, a manual delete) in every reached cluster, in no stage order`,
        };
      }
      if (o.kind === 'DaemonSet') {
        const severity: Severity = reach.nodes >= HIGH_NODES ? 'high' : 'medium';
        const restarts = `${change}: every one of the ${nodes} restarts a pod of it, in every reached cluster at the same time`;
        const pace = '(its updateStrategy paces the rollout inside each cluster, never across clusters)';
        if (runsIt.length > 0) {
          // A promotion: an earlier cluster already runs this very template. Still every reached cluster at
          // once, so still reported, one level lower.
          return {
            severity: severity === 'high' ? 'medium' : 'low',
            what: `${restarts}; ${listing(runsIt.map(quote))} already ${runsIt.length === 1 ? 'runs' : 'run'} this pod template, so this promotes a change that has run before, but to all of them at once ${pace}`,
          };
        }
        return { severity, what: `${restarts}, so a bad image or config fails on all of them before any stage has shown it works ${pace}` };
      }
      return { severity: 'low', what: `${change}: every replica rolls in every reached cluster at the same time` };
    }
    case 'data': {
      const what = 'its data changes: every pod that reads it sees the new values in every reached cluster at the same time (mounted files within about a minute, environment variables at the next restart)';
      if (readers.length === 0) return { severity: 'low', what };
      // Read by a per-node agent: an agent that reloads its config takes it on every node within about a
      // minute, with no rollout to pace it.
      return {
        severity: reach.nodes >= HIGH_NODES ? 'medium' : 'low',
        what: `${what}; ${listing(readers)} ${readers.length === 1 ? 'reads' : 'read'} it on every node, so an agent that reloads its config takes the change on all ${nodes} at once, with no rollout to pace it or stop it`,
      };
    }
    case 'spec':
      return { severity: 'low', what: 'its content changes in every reached cluster at the same time' };
  }
}

/**
 * The known clusters outside the reach whose base copy of the object already has the head's pod template
 * (what an earlier stage runs), in fleet order. `index` caches base objects by ref.
 */
function clustersRunning(ctx: ChangeContext, g: Group, reach: Reach, index: Map<string, KubeObject[]>): string[] {
  const head = g.head!;
  const path = templatePath(head.kind)!;
  if (index.size === 0) for (const b of ofKinds(ctx.base.objects, POD_SPEC_KINDS)) (index.get(b.ref) ?? index.set(b.ref, []).get(b.ref)!).push(b);
  const reached = new Set(reach.clusters.map((c) => c.name));
  const template = getIn(head.doc, path);
  const out = new Set<string>();
  for (const b of index.get(head.ref) ?? []) {
    const outside = ctx.fleet.clustersOfObject(b, 'base').filter((c) => !reached.has(c) && ctx.fleet.cluster(c) && !ctx.fleet.cluster(c)!.implicit);
    if (outside.length > 0 && sameValue(getIn(b.doc, path), template)) outside.forEach((c) => out.add(c));
  }
  return ctx.fleet.clusters.filter((c) => out.has(c.name)).map((c) => c.name);
}

/** The DaemonSets of a ConfigMap's unit (head) whose pods read it, as `DaemonSet "ns/name"`. */
function daemonSetReaders(ctx: ChangeContext, cm: KubeObject): string[] {
  const out: string[] = [];
  for (const d of ofKindInUnit(ctx.head.objects, 'DaemonSet', cm.unit)) {
    if (d.namespace === cm.namespace && configMapNamesOf(d).has(cm.name)) out.push(describeWorkload(d));
  }
  return out.sort();
}

/** ` (and its copies in "b.yaml" and "c.yaml")` when the change spans several files. */
function copies(g: Group, shown: KubeObject): string {
  const others = [...g.files].filter((f) => f !== sourceFile(shown)).sort();
  if (others.length === 0) return '';
  const named = others.slice(0, 3).map(quote);
  return ` (and its cop${others.length === 1 ? 'y' : 'ies'} in ${listing(others.length > 3 ? [...named, `${others.length - 3} more files`] : named)})`;
}

export const fleetFanOut: ChangeRule = {
  meta: {
    id: 'blast-radius/fleet-fan-out',
    family: 'blast-radius',
    type: 'change',
    severity: 'high',
    description:
      'Flag changes that reach every cluster of the fleet, or more than half of its nodes, in one merge, with the clusters and node totals; high for a DaemonSet pod-template change on thousands of nodes.',
    docs: 'docs/rules/blast-radius/fleet-fan-out.md',
    remediation: REMEDIATION,
  },
  check(ctx: ChangeContext) {
    const known = ctx.fleet.clusters.filter((c) => !c.implicit);
    if (known.length < 2) return;
    const knownNames = new Set(known.map((c) => c.name));
    const fleetNodes = known.reduce((n, c) => n + c.nodes, 0);

    // One group per object (Kind/namespace/name) and kind of change: the clusters where that change
    // happens, whether they share the object's file or each has a copy (the same bump in every cluster's
    // folder fans out too). A change confined to one cluster never borrows another change's clusters.
    const groups = new Map<string, Group>();
    for (const pair of changedPairs(ctx.base, ctx.head)) {
      const changes = changesOf(pair.base, pair.head);
      if (changes.length === 0) continue;
      const o = pair.head!;
      // kube-proxy / CNI DaemonSets and their ConfigMaps are network-daemonset's (with their rollout
      // pace), cluster DNS (CoreDNS, the kube-dns ConfigMap) is cluster-dns's.
      if (isNetworkDaemonSet(o) || isNetworkConfigMap(o) || isClusterDnsDeployment(o) || isClusterDnsConfigMap(o) || isKubeDnsConfigMap(o)) continue;
      const clusters = ctx.fleet.clustersOfObject(o, 'head').filter((c) => knownNames.has(c));
      if (clusters.length === 0) continue;
      for (const change of changes) {
        const id = `${pair.ref}\u0000${change}`;
        let g = groups.get(id);
        if (!g) groups.set(id, (g = { change, clusters: new Set(), files: new Set(), base: pair.base, head: o }));
        g.files.add(sourceFile(o));
        for (const c of clusters) g.clusters.add(c);
      }
    }

    // Per object, the most serious change that fans out by its own clusters.
    const fanning = new Map<string, { g: Group; reach: Reach; everywhere: boolean }>();
    for (const g of groups.values()) {
      const reach = reachOf(ctx.fleet, g.clusters);
      const everywhere = reach.clusters.length === known.length;
      // One cluster is a stage, not a fan-out (its own rollout strategy paces it), however big it is.
      if (reach.clusters.length < 2 || (!everywhere && reach.nodes * 2 <= fleetNodes)) continue;
      const ref = g.head!.ref;
      const known_ = fanning.get(ref);
      if (!known_ || RANK[g.change] > RANK[known_.g.change]) fanning.set(ref, { g, reach, everywhere });
    }

    const baseByRef = new Map<string, KubeObject[]>();
    for (const { g, reach, everywhere } of fanning.values()) {
      const o = (g.head ?? g.base)!;
      const { severity, what } = verdict(
        g,
        reach,
        g.change === 'pod-template' ? clustersRunning(ctx, g, reach, baseByRef) : [],
        g.change === 'data' && o.kind === 'ConfigMap' ? daemonSetReaders(ctx, o) : [],
      );
      const scope = everywhere
        ? `every cluster of the fleet (${reachText(reach)})`
        : `${formatCount(reach.nodes)} of the fleet's ${formatCount(fleetNodes)} nodes (${reachText(reach)})`;
      const path: YamlPath = g.change === 'pod-template' ? templatePath(o.kind)! : g.change === 'data' ? ['data'] : ['metadata', 'name'];
      ctx.report({
        key: g.change,
        severity,
        message: `change to ${describeWorkload(o)}${copies(g, o)} reaches ${scope} in one merge; ${what}`,
        at: { object: o, path },
        clusters: reach.clusters.map((c) => c.name),
        data: {
          totalNodes: reach.nodes,
          fleetNodes,
          everyCluster: everywhere,
          clusters: reach.clusters.map((c) => ({ cluster: c.name, nodes: c.nodes, nodesAssumed: c.nodesAssumed })),
        },
      });
    }
  },
};
