/**
 * blast-radius/new-daemonset — a DaemonSet that is new in a cluster lands on every node of it at once
 * (RULEBOOK D.1 "Creation of a new DaemonSet ignores the update strategy", B.1 [S-DS-SLOWSTART]).
 *
 * A change rule: for each DaemonSet of the head (per deployable unit), the clusters it reaches on the head
 * minus the clusters where the base already had a DaemonSet with the same `Kind/namespace/name` are the
 * clusters where it is new. A DaemonSet already there is judged by the rollout rules (its updateStrategy
 * applies); one that is new is created by the DaemonSet controller on every eligible node in slow-start
 * batches (1, 2, 4 … capped by burstReplicas, 250, per sync), whatever its updateStrategy says.
 *
 * - medium (`new-in-clusters`): new in at least one cluster; the message gives the node count of each new
 *   cluster and the total;
 * - high: the same, and a live watch-all finding (`meta.after`) is about the same DaemonSet: every new pod
 *   then starts its cluster-wide list at about the same time.
 *
 * Copies of one source across units (a shared base under every cluster overlay) give one finding over all
 * their new clusters. A renamed DaemonSet is new (Kubernetes deletes the old one and creates the new one).
 * kube-proxy and CNI DaemonSets are left to blast-radius/network-daemonset, which owns them (a new one is
 * high there). Any object of kind
 * `DaemonSet` counts, whatever its API group (OpenKruise's Advanced DaemonSet keeps the upstream
 * controller's slow start), like the watch-all rules.
 */
import type { ChangeContext, ChangeRule } from '../../src/rule.js';
import { formatCount } from '../../src/load-model.js';
import type { Cluster, Finding, KubeObject } from '../../src/types.js';
import { isNetworkDaemonSet } from '../../src/critical.js';
import { clusterText } from '../../src/reach.js';
import { listing, quote } from '../../src/text.js';
import { cmp } from '../../src/util.js';
import { ofKind } from '../../src/kinds.js';

const KIND = 'DaemonSet';

const REMEDIATION =
  'Ship a new DaemonSet to one small cluster (or one node pool through a nodeSelector) first and widen it in later pull requests once it runs healthy there.';


/** One DaemonSet (all copies of one source with one ref) and the clusters where it is new. */
interface Group {
  object: KubeObject;
  clusters: Set<string>;
}

export const newDaemonset: ChangeRule = {
  meta: {
    id: 'blast-radius/new-daemonset',
    family: 'blast-radius',
    type: 'change',
    severity: 'medium',
    description:
      'Flag DaemonSets that are new in a cluster: their creation ignores the update strategy and lands on every node at once, with the node count of each new cluster (high when a watch-all rule also flags the DaemonSet).',
    docs: 'docs/rules/blast-radius/new-daemonset.md',
    remediation: REMEDIATION,
    after: ['watch-all'],
  },
  check(ctx: ChangeContext) {
    // Clusters where the base already runs a DaemonSet, by ref.
    const before = new Map<string, Set<string>>();
    for (const b of ofKind(ctx.base.objects, KIND)) {
      const set = before.get(b.ref) ?? before.set(b.ref, new Set()).get(b.ref)!;
      for (const c of ctx.fleet.clustersOfObject(b, 'base')) set.add(c);
    }

    const groups = new Map<string, Group>();
    const sourceIds = new Map<KubeObject, number>();
    for (const o of ofKind(ctx.head.objects, KIND)) {
      if (isNetworkDaemonSet(o)) continue;
      const old = before.get(o.ref);
      const fresh = ctx.fleet.clustersOfObject(o, 'head').filter((c) => !old?.has(c));
      if (fresh.length === 0) continue;
      const source = o.source ?? o;
      if (!sourceIds.has(source)) sourceIds.set(source, sourceIds.size);
      const id = `${sourceIds.get(source)}\u0000${o.ref}`;
      const group = groups.get(id) ?? groups.set(id, { object: o, clusters: new Set() }).get(id)!;
      for (const c of fresh) group.clusters.add(c);
    }

    const watchAll = new Map<string, Finding[]>();
    for (const f of ctx.prior) {
      if (f.family !== 'watch-all' || f.suppressed || f.resource === null) continue;
      (watchAll.get(f.resource) ?? watchAll.set(f.resource, []).get(f.resource)!).push(f);
    }

    for (const { object: o, clusters: names } of groups.values()) {
      // Fleet order (stage, then name); clusters the fleet does not know are skipped (none expected).
      const known = ctx.fleet.clusters.filter((c) => names.has(c.name));
      const unknown = [...names].filter((n) => !known.some((c) => c.name === n)).sort(cmp);
      const clusters = [...known, ...unknown.map((n) => ctx.fleet.cluster(n)).filter((c): c is Cluster => c !== undefined)];
      if (clusters.length === 0) continue;
      const total = clusters.reduce((sum, c) => sum + c.nodes, 0);
      const assumed = clusters.every((c) => c.nodesAssumed) ? ' (assumed)' : clusters.some((c) => c.nodesAssumed) ? ' (partly assumed)' : '';

      const flagged = watchAll.get(o.ref) ?? [];
      const rules = [...new Set(flagged.map((f) => f.ruleId))].sort(cmp);
      const name = o.namespace ? `${o.namespace}/${o.name}` : o.name;
      const where = clusters.length === 1 ? `cluster ${quote(clusters[0].name)}` : `${clusters.length} clusters`;
      const nodes = `${formatCount(total)} node${total === 1 ? '' : 's'}${assumed}`;
      let message =
        `new DaemonSet ${quote(name)} in ${where} lands on ${nodes} at once: ${clusters.map(clusterText).join(', ')}; ` +
        'the DaemonSet controller creates pods in slow-start batches (1, 2, 4 … up to 250 per sync, RULEBOOK B.1) regardless of updateStrategy';
      if (rules.length > 0) {
        message += `; ${listing(rules)} also flag${rules.length === 1 ? 's' : ''} it, so every new pod starts its cluster-wide list and watch at about the same time`;
      }

      ctx.report({
        key: 'new-in-clusters',
        severity: rules.length > 0 ? 'high' : 'medium',
        message,
        at: { object: o, path: ['metadata', 'name'] },
        clusters: clusters.map((c) => c.name),
        data: {
          totalNodes: total,
          clusters: clusters.map((c) => ({ cluster: c.name, nodes: c.nodes, nodesAssumed: c.nodesAssumed })),
          watchAll: rules,
        },
      });
    }
  },
};
