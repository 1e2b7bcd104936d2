/**
 * canary/workload-strategy — rollouts inside a cluster that cannot stop themselves (RULEBOOK D.1, ROLL-W-1..3;
 * the issue "Rule family canary", Workload strategy).
 *
 * A state rule over Deployments, DaemonSets and StatefulSets (apps/v1 field paths and defaults [S-APPSV1]).
 * Being a state rule, a finding is reported only when the pull request makes it new (the base lacked it at
 * the same key and severity in the same clusters): an unchanged workload never reports. Keys:
 * - `daemonset-max-unavailable`: DaemonSet `spec.updateStrategy.rollingUpdate.maxUnavailable` (default 1)
 *   of 100 %, or a count at least the node count of a reached cluster (known counts only): every node of that
 *   cluster drops its pod in the same step. **High** instead, in the clusters where a live watch-all finding
 *   is about the same DaemonSet, when the step is above 5 % of the cluster's nodes (ROLL-W-1): every step
 *   restarts that many agents at once, and each sends its initial cluster-wide LIST;
 * - `daemonset-max-surge` (high only): the same for `maxSurge` (default 0) above 5 % with a watch-all finding
 *   (ROLL-W-1 "or maxSurge > 5 %"); a large surge without one is not an availability risk: old pods stay;
 * - `on-delete`: DaemonSet / StatefulSet `updateStrategy.type: OnDelete`: a change to the pod template rolls
 *   out to no pod until each pod is deleted by hand, so every later change lands unstaged whenever pods are
 *   recycled. kube-proxy / CNI DaemonSets are exempt: OnDelete with a node-by-node procedure is the
 *   accepted pace for them (RULEBOOK C.4 CRIT-NET-1, blast-radius/network-daemonset);
 * - `recreate`: Deployment `spec.strategy.type: Recreate` with more than one replica;
 * - `deployment-max-unavailable`: Deployment RollingUpdate with `maxUnavailable` 100 % (or a count at least
 *   the replicas) and more than one replica: every replica stops in the first step;
 * - `no-readiness`: a DaemonSet, or a Deployment / StatefulSet of two or more replicas, where no container
 *   has a readinessProbe or startupProbe: each pod counts as ready as soon as its processes start, so the
 *   rollout never waits for a healthy one. One finding per workload (a probe on one container gates the
 *   pod). See the doc for why this is not "containers the PR changes";
 * - `no-pdb`: a Deployment / StatefulSet of two or more replicas that no PodDisruptionBudget of its unit
 *   protects (selector matching its pod template labels, namespace equal or unwritten, not allowing every
 *   replica out).
 * Replicas: `spec.replicas` (unset = 1), or the minReplicas (default 1) of a HorizontalPodAutoscaler of the
 * unit that targets the workload.
 *
 * Severity outside the high case: low; medium when the finding's reach — the union of the clusters of every
 * copy of the same resource (`Kind/namespace/name`) with the same key from one source file, across units —
 * holds
 * more than half of the fleet's nodes (`fleet.totalNodes`; the implicit `unmapped` cluster is not part of
 * the fleet). A state rule sees one object per deployable unit; judging each unit's clusters alone would make
 * a shared base under three overlays medium in the biggest cluster and low in the others, and moving an
 * object into a shared base would change severities. Per-cluster facts (node counts, watch-all findings)
 * are judged per cluster, and each finding carries its clusters explicitly.
 */
import { isNetworkDaemonSet } from '../../src/critical.js';
import { describeWorkload } from '../../src/agents/kit.js';
import { formatCount } from '../../src/load-model.js';
import type { StateContext, StateRule } from '../../src/rule.js';
import { quote } from '../../src/text.js';
import type { KubeObject, Severity, YamlPath } from '../../src/types.js';
import { cmp } from '../../src/util.js';
import { asList, asMap, asString, getIn, stringMap } from '../../src/yaml/walk.js';
import { pdbProtects, pdbSelects, pdbsFor, replicasOf } from '../../src/disruption.js';
import { sourceFile } from '../../src/joins.js';
import { ofKindInUnit, ofKinds } from '../../src/kinds.js';

const KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);
/** Above this share of a cluster's nodes per step, an agent with cluster-wide reads relists too many at once (ROLL-W-1). */
export const MAX_WATCH_ALL_STEP_PERCENT = 5;

export type Key =
  | 'daemonset-max-unavailable'
  | 'daemonset-max-surge'
  | 'on-delete'
  | 'recreate'
  | 'deployment-max-unavailable'
  | 'no-readiness'
  | 'no-pdb';

const DS_UNAVAILABLE: YamlPath = ['spec', 'updateStrategy', 'rollingUpdate', 'maxUnavailable'];
const DS_SURGE: YamlPath = ['spec', 'updateStrategy', 'rollingUpdate', 'maxSurge'];
const UPDATE_TYPE: YamlPath = ['spec', 'updateStrategy', 'type'];
const STRATEGY_TYPE: YamlPath = ['spec', 'strategy', 'type'];
const DEPLOY_UNAVAILABLE: YamlPath = ['spec', 'strategy', 'rollingUpdate', 'maxUnavailable'];
const CONTAINERS: YamlPath = ['spec', 'template', 'spec', 'containers'];

const REMEDIATION: Record<Key, string> = {
  'daemonset-max-unavailable':
    'Set updateStrategy.rollingUpdate.maxUnavailable to 1 or a few percent (at most 5% for an agent that reads the API cluster-wide) and a minReadySeconds of 30 or more, so a bad version stops after a few nodes.',
  'daemonset-max-surge':
    'Keep updateStrategy.rollingUpdate.maxSurge at 0 or at most 5% of the nodes for an agent that reads the API cluster-wide, or scope its reads to its own node first.',
  'on-delete':
    'Use updateStrategy.type: RollingUpdate with maxUnavailable 1 (and a partition for a StatefulSet that needs a canary), so the change rolls at merge where the stages can watch it.',
  recreate:
    'Use strategy.type: RollingUpdate with maxUnavailable 25% or less (0 with maxSurge 1 when it must never drop below its replicas), unless the application cannot run two versions side by side.',
  'deployment-max-unavailable':
    'Set strategy.rollingUpdate.maxUnavailable to 25% or less (or 0 with maxSurge 1), so replicas are replaced a few at a time.',
  'no-readiness':
    'Add a readinessProbe to the main container (an HTTP or exec check of real health) and a minReadySeconds, so the rollout waits for each new pod to be healthy.',
  'no-pdb':
    'Add a PodDisruptionBudget whose selector matches the pod template labels, with maxUnavailable 1 (or a percentage below 100%).',
};

/** An IntOrString field: a count, or a percentage (`"25%"`); undefined when absent or unreadable. */
interface Step {
  readonly n: number;
  readonly percent: boolean;
  readonly text: string;
}

function stepOf(value: unknown): Step | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { n: value, percent: false, text: String(value) };
  const s = asString(value);
  const m = typeof value === 'string' && s !== undefined ? /^\s*(\d+)%\s*$/.exec(s) : null;
  return m ? { n: Number(m[1]), percent: true, text: `${m[1]}%` } : undefined;
}

/** Pods a step takes down (or adds) at once in a cluster of `nodes` (percentages round up for DaemonSets). */
function podsPerStep(step: Step, nodes: number): number {
  return step.percent ? Math.ceil((Math.min(step.n, 100) * nodes) / 100) : Math.min(step.n, nodes);
}

/** True when the step is above 5 % of the cluster (a count of 1, the smallest possible step, never is). */
function aboveWatchAllStep(step: Step, nodes: number): boolean {
  if (step.percent) return step.n > MAX_WATCH_ALL_STEP_PERCENT;
  return step.n > 1 && step.n * 100 > MAX_WATCH_ALL_STEP_PERCENT * nodes;
}

// ---- replicas and PodDisruptionBudgets (per unit, cached per objects array) ----------------------------------

interface UnitIndex {
  readonly pdbs: readonly KubeObject[];
  readonly hpas: readonly KubeObject[];
}
const unitIndexes = new WeakMap<readonly KubeObject[], Map<string, UnitIndex>>();

function unitIndex(objects: readonly KubeObject[], unit: string): UnitIndex {
  let byUnit = unitIndexes.get(objects);
  if (!byUnit) unitIndexes.set(objects, (byUnit = new Map()));
  let found = byUnit.get(unit);
  if (!found) {
    found = {
      pdbs: ofKindInUnit(objects, 'PodDisruptionBudget', unit).filter((o) => o.apiVersion.startsWith('policy/')),
      hpas: ofKindInUnit(objects, 'HorizontalPodAutoscaler', unit),
    };
    byUnit.set(unit, found);
  }
  return found;
}





// ---- what one copy of a workload gets ------------------------------------------------------------------------

/** One finding candidate on one copy (one unit): the clusters it holds in, and those where it is high. */
interface Candidate {
  readonly o: KubeObject;
  readonly key: Key;
  readonly path: YamlPath;
  readonly clusters: readonly string[];
  readonly high: ReadonlySet<string>;
  /** The message, given the facts of every copy of the resource with the key. */
  readonly message: (g: GroupFacts) => string;
}

interface GroupFacts {
  /** Nodes of the known clusters the finding holds in, and of the fleet. */
  readonly nodes: number;
  readonly totalNodes: number;
  readonly medium: boolean;
  /** The largest cluster where the finding is high, with the pods per step there. */
  readonly largestHigh?: { name: string; nodes: number; assumed: boolean; pods: number };
}

function reachClause(g: GroupFacts): string {
  return g.medium ? `; it reaches ${formatCount(g.nodes)} of the fleet's ${formatCount(g.totalNodes)} nodes` : '';
}

/** `cluster "prod-us", 4,800 nodes` for the largest cluster where a finding is high. */
function largest(g: GroupFacts): string {
  const l = g.largestHigh;
  return l ? `cluster ${quote(l.name)}, ${formatCount(l.nodes)} nodes${l.assumed ? ', assumed' : ''}` : 'no known cluster';
}

function judgeDaemonSet(ctx: StateContext, o: KubeObject, clusters: readonly string[], watchAll: ReadonlySet<string>, out: Candidate[]): void {
  const updateType = asString(getIn(o.doc, UPDATE_TYPE));
  const what = describeWorkload(o);
  if (updateType === 'OnDelete') {
    if (!isNetworkDaemonSet(o)) out.push(onDelete(o, clusters));
    return;
  }
  if (updateType !== undefined && updateType !== 'RollingUpdate') return;
  const rawUnavailable = getIn(o.doc, DS_UNAVAILABLE);
  const unavailable = rawUnavailable === undefined || rawUnavailable === null ? { n: 1, percent: false, text: '1' } : stepOf(rawUnavailable);
  const surge = stepOf(getIn(o.doc, DS_SURGE));
  const sizeOf = (name: string) => ctx.fleet.cluster(name);

  if (unavailable) {
    const hits: string[] = [];
    const high = new Set<string>();
    for (const name of clusters) {
      const c = sizeOf(name);
      const all = unavailable.percent ? unavailable.n >= 100 : c !== undefined && !c.nodesAssumed && unavailable.n >= c.nodes;
      const fast = watchAll.has(name) && (unavailable.percent || (c !== undefined && !c.nodesAssumed)) && aboveWatchAllStep(unavailable, c?.nodes ?? 0);
      if (fast) high.add(name);
      if (fast || all) hits.push(name);
    }
    if (hits.length) {
      out.push({
        o,
        key: 'daemonset-max-unavailable',
        path: DS_UNAVAILABLE,
        clusters: hits,
        high,
        message: (g) =>
          high.size && g.largestHigh
            ? `maxUnavailable ${quote(unavailable.text)} of ${what} is above ${MAX_WATCH_ALL_STEP_PERCENT}% of the nodes per step, and a watch-all rule flags it for reading the API cluster-wide: ` +
              `every step restarts up to ${formatCount(g.largestHigh.pods)} agents at once (${largest(g)}), each sending its initial cluster-wide LIST within seconds of the others`
            : `maxUnavailable ${quote(unavailable.text)} of ${what} takes every node of the cluster's pod down in the same step, so a bad version reaches all nodes before any of them reports unhealthy` +
              reachClause(g),
      });
    }
  }
  if (surge && watchAll.size) {
    const high = new Set<string>();
    for (const name of clusters) {
      const c = sizeOf(name);
      if (watchAll.has(name) && (surge.percent || (c !== undefined && !c.nodesAssumed)) && aboveWatchAllStep(surge, c?.nodes ?? 0)) high.add(name);
    }
    if (high.size) {
      out.push({
        o,
        key: 'daemonset-max-surge',
        path: DS_SURGE,
        clusters: [...high],
        high,
        message: (g) =>
          `maxSurge ${quote(surge.text)} of ${what} is above ${MAX_WATCH_ALL_STEP_PERCENT}% of the nodes per step, and a watch-all rule flags it for reading the API cluster-wide: ` +
          `every step starts up to ${formatCount(g.largestHigh?.pods ?? 0)} new agents at once (${largest(g)}), each sending its initial cluster-wide LIST`,
      });
    }
  }
}

function onDelete(o: KubeObject, clusters: readonly string[]): Candidate {
  return {
    o,
    key: 'on-delete',
    path: UPDATE_TYPE,
    clusters,
    high: new Set(),
    message: (g) =>
      `updateStrategy OnDelete of ${describeWorkload(o)} hides a change: nothing rolls until pods are deleted, so a change to its pod template reaches no pod at merge, ` +
      'no stage shows whether it works, and it lands later, unstaged, wherever pods happen to be recycled (node drains, upgrades, evictions)' +
      reachClause(g),
  };
}

function judgeReplicated(o: KubeObject, clusters: readonly string[], replicas: { n: number; hpa: boolean }, out: Candidate[]): void {
  const what = describeWorkload(o);
  const count = replicas.hpa ? `at least ${formatCount(replicas.n)} replicas (HorizontalPodAutoscaler minReplicas)` : `${formatCount(replicas.n)} replicas`;
  if (o.kind !== 'Deployment') return;
  const type = asString(getIn(o.doc, STRATEGY_TYPE));
  if (type === 'Recreate') {
    out.push({
      o,
      key: 'recreate',
      path: STRATEGY_TYPE,
      clusters,
      high: new Set(),
      message: (g) =>
        `strategy Recreate of ${what} with ${count}: every update stops all of them before any new pod starts, so each rollout is an outage and a bad version is never caught while old pods still serve` +
        reachClause(g),
    });
    return;
  }
  if (type !== undefined && type !== 'RollingUpdate') return;
  const step = stepOf(getIn(o.doc, DEPLOY_UNAVAILABLE));
  if (!step || !(step.percent ? step.n >= 100 : step.n >= replicas.n)) return;
  out.push({
    o,
    key: 'deployment-max-unavailable',
    path: DEPLOY_UNAVAILABLE,
    clusters,
    high: new Set(),
    message: (g) =>
      `maxUnavailable ${quote(step.text)} of ${what} with ${count}: the first step of every rolling update stops all of them at once, so a bad version takes the whole workload down instead of one step of it` +
      reachClause(g),
  });
}

function judgeReadiness(o: KubeObject, clusters: readonly string[], out: Candidate[]): void {
  const containers = asList(getIn(o.doc, CONTAINERS));
  if (containers.length === 0) return;
  const gated = containers.some((c) => asMap(getIn(c, ['readinessProbe'])) !== undefined || asMap(getIn(c, ['startupProbe'])) !== undefined);
  if (gated) return;
  const names = containers.map((c) => asString(getIn(c, ['name']))).filter((n): n is string => n !== undefined);
  if (names.length === 0) return; // no container the API server would accept
  const what = describeWorkload(o);
  out.push({
    o,
    key: 'no-readiness',
    path: [...CONTAINERS, 0],
    clusters,
    high: new Set(),
    message: (g) =>
      `no readinessProbe (nor startupProbe) in ${what}, on ${names.length === 1 ? `its container ${quote(names[0])}` : `any of its containers ${names.map(quote).join(', ')}`}: ` +
      'each new pod counts as ready as soon as its processes start, so a rolling update never waits for a healthy one and a version that starts but does not work replaces every pod' +
      reachClause(g),
  });
}

function judgePdb(o: KubeObject, clusters: readonly string[], replicas: { n: number; hpa: boolean }, index: UnitIndex, out: Candidate[]): void {
  const labels = stringMap(getIn(o.doc, ['spec', 'template', 'metadata', 'labels']));
  if (Object.keys(labels).length === 0) return; // the API server rejects a template without labels
  if (pdbsFor(index.pdbs, o.namespace).some((p) => pdbSelects(p, labels) && pdbProtects(p, replicas.n))) return;
  const what = describeWorkload(o);
  const count = replicas.hpa ? `at least ${formatCount(replicas.n)} replicas (HorizontalPodAutoscaler minReplicas)` : `${formatCount(replicas.n)} replicas`;
  out.push({
    o,
    key: 'no-pdb',
    path: replicas.hpa ? ['metadata', 'name'] : ['spec', 'replicas'],
    clusters,
    high: new Set(),
    message: (g) =>
      `no PodDisruptionBudget of its deployable unit selects the pods of ${what}, with ${count}: a node drain, cluster upgrade or autoscaler scale-down may evict all of them at once` +
      reachClause(g),
  });
}

export const workloadStrategy: StateRule = {
  meta: {
    id: 'canary/workload-strategy',
    family: 'canary',
    type: 'state',
    severity: 'low',
    description:
      'Flag workload rollouts that cannot stop themselves: DaemonSet maxUnavailable of 100% (high above 5% for an agent with a watch-all finding), OnDelete, Deployment Recreate or maxUnavailable 100% with several replicas, no readiness probe, no PodDisruptionBudget.',
    docs: 'docs/rules/canary/workload-strategy.md',
    remediation: REMEDIATION['daemonset-max-unavailable'],
    after: ['watch-all'],
  },
  // A workload is judged from itself, the PodDisruptionBudgets and HorizontalPodAutoscalers of its unit, and
  // its watch-all findings (planned with the watch-all rules: src/focus.ts).
  focus: { subjects: [...KINDS], context: ['PodDisruptionBudget', 'HorizontalPodAutoscaler'] },
  check(ctx) {
    // Clusters of each resource's live watch-all findings.
    const watchAll = new Map<string, Set<string>>();
    for (const f of ctx.prior) {
      if (f.family !== 'watch-all' || f.suppressed || f.resource === null) continue;
      const set = watchAll.get(f.resource) ?? watchAll.set(f.resource, new Set()).get(f.resource)!;
      for (const c of f.clusters) set.add(c);
    }
    const none = new Set<string>();

    const candidates: Candidate[] = [];
    for (const o of ofKinds(ctx.tree.objects, KINDS)) {
      if (ctx.only && !ctx.only.has(o.ref)) continue;
      if (!asMap(getIn(o.doc, ['spec']))) continue;
      const clusters = ctx.fleet.clustersOfObject(o, ctx.side);
      if (o.kind === 'DaemonSet') {
        judgeDaemonSet(ctx, o, clusters, watchAll.get(o.ref) ?? none, candidates);
        judgeReadiness(o, clusters, candidates);
        continue;
      }
      if (o.kind === 'StatefulSet' && asString(getIn(o.doc, UPDATE_TYPE)) === 'OnDelete') candidates.push(onDelete(o, clusters));
      const index = unitIndex(ctx.tree.objects, o.unit);
      const replicas = replicasOf(o, index.hpas);
      if (!replicas || replicas.n < 2) continue;
      judgeReplicated(o, clusters, replicas, candidates);
      judgeReadiness(o, clusters, candidates);
      judgePdb(o, clusters, replicas, index, candidates);
    }

    // Every copy of one resource with one key from one source file (a shared base under several overlays):
    // one reach. Copies in other files keep theirs, so a file the pull request does not touch keeps its
    // severity when another cluster's copy is added.
    const groups = new Map<string, Candidate[]>();
    for (const c of candidates) {
      const id = `${sourceFile(c.o)}\u0000${c.o.ref}\u0000${c.key}`;
      (groups.get(id) ?? groups.set(id, []).get(id)!).push(c);
    }
    const total = ctx.fleet.totalNodes;
    for (const copies of groups.values()) {
      const names = new Set(copies.flatMap((c) => c.clusters));
      const known = [...names].map((n) => ctx.fleet.cluster(n)).filter((c) => c !== undefined && !c.implicit);
      const nodes = known.reduce((n, c) => n + c!.nodes, 0);
      let largestHigh: GroupFacts['largestHigh'];
      for (const c of copies) {
        for (const name of c.high) {
          const cl = ctx.fleet.cluster(name);
          if (!cl || (largestHigh && (largestHigh.nodes > cl.nodes || (largestHigh.nodes === cl.nodes && cmp(largestHigh.name, name) <= 0)))) continue;
          const step = stepOf(getIn(c.o.doc, c.key === 'daemonset-max-surge' ? DS_SURGE : DS_UNAVAILABLE));
          largestHigh = { name, nodes: cl.nodes, assumed: cl.nodesAssumed, pods: step ? podsPerStep(step, cl.nodes) : 0 };
        }
      }
      const facts: GroupFacts = { nodes, totalNodes: total, medium: total > 0 && nodes * 2 > total, ...(largestHigh ? { largestHigh } : {}) };
      for (const c of copies) {
        const byLevel = new Map<Severity, string[]>();
        for (const name of c.clusters) {
          const level: Severity = c.high.has(name) ? 'high' : facts.medium ? 'medium' : 'low';
          (byLevel.get(level) ?? byLevel.set(level, []).get(level)!).push(name);
        }
        for (const [severity, clusters] of byLevel) {
          ctx.report({
            key: c.key,
            severity,
            message: c.message(severity === 'high' ? facts : { ...facts, largestHigh: undefined }),
            remediation: REMEDIATION[c.key],
            at: { object: c.o, path: c.path },
            clusters,
            data: { nodes, totalNodes: total },
          });
        }
      }
    }
  },
};
