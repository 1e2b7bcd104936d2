/**
 * watch-all/daemonset-cluster-watch — a per-node agent whose ServiceAccount may list / watch node-scaling
 * kinds cluster-wide (RULEBOOK A.0 SCALE-000 / SCALE-001, with severity from the load model, B.4).
 *
 * Per-node workloads: DaemonSet; OpenTelemetryCollector with `spec.mode: daemonset`; PrometheusAgent with
 * `spec.mode: DaemonSet` (the operators' enum values, case as they define them). Their ServiceAccount is
 * joined, inside the workload's unit only, to ClusterRoleBindings → ClusterRoles (src/rbac.ts). A grant of
 * list / watch on pods, nodes, leases, endpoints, endpointslices or events (or `*`) triggers the rule; every
 * kind the grants let it list (services, replicasets, namespaces, CRDs…) counts in the load profile.
 *
 * RBAC cannot be scoped to a node, so an agent that only reads its own node's pods needs the same
 * ClusterRole as one that lists the whole cluster. The workload says which with the annotation
 * `blast-radius.dev/api-scope` (on its metadata, or on the pod template's: `spec.template.metadata`,
 * OpenTelemetryCollector `spec.podAnnotations`, PrometheusAgent `spec.podMetadata.annotations`; the
 * workload's own wins):
 * - `node`: quiet (the author vouches that every list is bounded to the node; other watch-all rules judge
 *   the agent's config);
 * - `cluster`: the model's severity at the largest reached cluster;
 * - absent or anything else: scope unknown, one level below the model (critical → high … low → low), and the
 *   message says how to declare it.
 * The model assumes what RBAC allows (every granted kind listed cluster-wide by every replica).
 *
 * kube-proxy and CNI agents (calico-node, cilium, aws-node, flannel, antrea, weave, kube-router, canal…) must
 * watch cluster-wide by design; they are judged by the blast-radius family, not here. They are recognised by
 * name, `k8s-app` / `app.kubernetes.io/name` label, or container image.
 */
import { closest, sourceFile } from '../../src/joins.js';
import { REST_UNIT } from '../../src/units.js';
import type { StateContext, StateRule } from '../../src/rule.js';
import { DETECTORS } from './detectors.js';
import { fleetChart, loadRows, stagingTrap } from '../../src/agents/figures.js';
import { AGENT_KINDS, agentsIn, configScope, copyKey, objectsByUnit } from '../../src/agents/kit.js';
import { isNodeInfrastructure, perNode } from '../../src/agents/workloads.js';
import { agentLoad, isNodeScaling, loadParams, NODE_SCALING_KINDS, type AgentProfile, type LoadParams } from '../../src/load-model.js';
import { clusterGrantsFor, grantsNodeScaling, serviceAccountOf, subjectMatch, type ClusterGrant, type ServiceAccountRef } from '../../src/rbac.js';
import type { Cluster, KubeObject, RawFinding, Severity, YamlPath } from '../../src/types.js';
import { asList, asMap, asString, getIn } from '../../src/yaml/walk.js';
import { listing, quote } from '../../src/text.js';
import { ofKind } from '../../src/kinds.js';

/** The annotation that declares how the agent uses its cluster-wide permissions. */
export const API_SCOPE_ANNOTATION = 'blast-radius.dev/api-scope';

type Scope = 'node' | 'cluster' | 'unknown';

const REMEDIATION =
  'Scope the agent to its own node (a spec.nodeName field selector or the kubelet API) and declare blast-radius.dev/api-scope: node on the workload, or run cluster-wide collection as a single Deployment instead of on every node.';

/** The declared scope, with the raw value when one was given but is neither `node` nor `cluster`. */
function scopeOf(o: KubeObject): { scope: Scope; raw?: string } {
  const places: YamlPath[] = [
    ['metadata', 'annotations'],
    ['spec', 'template', 'metadata', 'annotations'],
    ['spec', 'podAnnotations'],
    ['spec', 'podMetadata', 'annotations'],
  ];
  for (const p of places) {
    const raw = asString(asMap(getIn(o.doc, p))?.[API_SCOPE_ANNOTATION]);
    if (raw === undefined) continue;
    const v = raw.trim().toLowerCase();
    if (v === 'node' || v === 'cluster') return { scope: v };
    return { scope: 'unknown', raw };
  }
  return { scope: 'unknown' };
}

const LOWER: Readonly<Record<Severity, Severity>> = { critical: 'high', high: 'medium', medium: 'low', low: 'low' };



/** Node-scaling kinds first (model order), then the rest alphabetically. */
function byKind(a: string, b: string): number {
  const rank = (r: string) => {
    const i = (NODE_SCALING_KINDS as readonly string[]).indexOf(r);
    return i < 0 ? NODE_SCALING_KINDS.length : i;
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** `ClusterRoleBinding "b" → ClusterRole "r"`, with the subject when it is not the ServiceAccount itself. */
function describeChains(grants: readonly ClusterGrant[]): string {
  const chains: string[] = [];
  for (const g of grants) {
    const via = g.subject.startsWith('ServiceAccount ') ? '' : ` (subject ${g.subject})`;
    const role = g.builtIn ? ' (Kubernetes default)' : g.source !== g.role ? ` (aggregating ${quote(g.source)})` : '';
    const text = `ClusterRoleBinding ${quote(g.binding.name)}${via} → ClusterRole ${quote(g.role)}${role}`;
    if (!chains.includes(text)) chains.push(text);
  }
  const shown = chains.slice(0, 3);
  return listing(chains.length > 3 ? [...shown, `${chains.length - 3} more`] : shown);
}

/** Where the finding lands: the field naming the ServiceAccount, else the pod spec / mode / name. */
function locationOf(o: KubeObject, kind: string, saPath: YamlPath | null): YamlPath {
  if (saPath) return saPath;
  if (kind === 'DaemonSet') return asMap(getIn(o.doc, ['spec', 'template', 'spec'])) ? ['spec', 'template', 'spec'] : ['metadata', 'name'];
  return ['spec', 'mode'];
}

/**
 * In the unit `.` (files no deployable unit reaches: a repository without clusters, or a folder of
 * unrelated renderings) one ServiceAccount name can be bound in many unrelated files. The bindings closest
 * to the workload win (src/joins.ts closest): those in its own file, else those sharing the most
 * directories with it.
 */
function nearest(o: KubeObject, sa: ServiceAccountRef, unitObjects: readonly KubeObject[], grants: ClusterGrant[]): ClusterGrant[] {
  if (o.unit !== REST_UNIT || grants.length === 0) return grants;
  const binders = bindersOf(unitObjects, sa);
  // Identical copies of a binding are indexed once (src/rbac.ts), so a grant is near when a binding of
  // the same name and role is.
  const id = (b: KubeObject) => `${b.name}\u0000${asString(getIn(b.doc, ['roleRef', 'name']))}`;
  const near = new Set(closest(sourceFile(o), binders, sourceFile).map(id));
  return grants.filter((g) => near.has(id(g.binding)));
}

/** The ClusterRoleBindings of a unit that name a ServiceAccount, found once per unit and account. */
const binderIndex = new WeakMap<readonly KubeObject[], { all: KubeObject[]; bySa: Map<string, KubeObject[]> }>();
function bindersOf(unitObjects: readonly KubeObject[], sa: ServiceAccountRef): KubeObject[] {
  let index = binderIndex.get(unitObjects);
  if (!index) binderIndex.set(unitObjects, (index = { all: [...ofKind(unitObjects, 'ClusterRoleBinding')], bySa: new Map() }));
  const key = `${sa.namespace ?? ''}\u0000${sa.name}`;
  let list = index.bySa.get(key);
  if (!list) index.bySa.set(key, (list = index.all.filter((x) => asList(x.doc.subjects).some((s) => subjectMatch(s, sa) !== undefined))));
  return list;
}

/** What one unit's copy of a per-node workload may read, before the clusters are known. */
interface Assessment {
  o: KubeObject;
  kind: string;
  scope: 'cluster' | 'unknown';
  raw?: string;
  /** The config that proves a cluster-wide read, when the scope comes from the agent's config. */
  evidence?: string;
  sa: NonNullable<ReturnType<typeof serviceAccountOf>>;
  grants: ClusterGrant[];
  triggering: ClusterGrant[];
  resources: string[];
  clusters: string[];
}

function assess(ctx: StateContext, o: KubeObject, unitObjects: readonly KubeObject[]): Assessment | undefined {
  const kind = perNode(o);
  if (!kind || isNodeInfrastructure(o)) return undefined;
  const declared = scopeOf(o);
  let { scope } = declared;
  const { raw } = declared;
  let evidence: string | undefined;
  if (scope === 'unknown') {
    // No declaration: the agent's own config may settle it (src/agents/kit.ts configScope).
    const fromConfig = configScope(o, unitObjects, DETECTORS);
    if (fromConfig) {
      scope = fromConfig.scope;
      evidence = fromConfig.because;
    }
  }
  if (scope === 'node') return undefined;
  const sa = serviceAccountOf(o);
  if (!sa) return undefined;
  const grants = nearest(o, sa, unitObjects, clusterGrantsFor(sa, unitObjects));
  const triggering = grants.filter(grantsNodeScaling);
  if (triggering.length === 0) return undefined;
  const resources = [...new Set(grants.flatMap((g) => g.resources.map((r) => r.resource)))].sort(byKind);
  return { o, kind, scope, ...(raw !== undefined ? { raw } : {}), ...(evidence !== undefined ? { evidence } : {}), sa, grants, triggering, resources, clusters: [...ctx.fleet.clustersOfObject(o, ctx.side)] };
}

/**
 * Reports one finding for copies of the same source workload that read the same kinds the same way in
 * several units (a shared base under every cluster overlay), so the staging trap — small cluster passes,
 * large one overloads — shows in one message.
 */
// An unchanged agent is judged the same way on both sides: its finding is built once per configuration.
const judged = new WeakMap<object, WeakMap<KubeObject, Map<string, RawFinding>>>();

function judge(ctx: StateContext, group: readonly Assessment[], p: LoadParams, signature: string): void {
  const { o, kind, scope, raw, evidence, sa, grants, triggering, resources } = group[0];
  const clusters = [...new Set(group.flatMap((a) => a.clusters))]
    .map((name) => ctx.fleet.cluster(name))
    .filter((c): c is Cluster => c !== undefined)
    .sort((a, b) => a.nodes - b.nodes || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (clusters.length === 0) return;
  let perConfig = judged.get(ctx.config);
  if (!perConfig) judged.set(ctx.config, (perConfig = new WeakMap()));
  const source = o.source ?? o;
  let perSource = perConfig.get(source);
  if (!perSource) perConfig.set(source, (perSource = new Map()));
  const memoKey = `${signature}\u0000${clusters.map((c) => c.name).join()}`;
  const known = perSource.get(memoKey);
  if (known && known.at?.object === o) {
    ctx.report(known);
    return;
  }

  const profile: AgentProfile = { watches: resources.map((resource) => ({ resource, scope: 'cluster' })) };
  const largest = clusters[clusters.length - 1];
  const load = agentLoad(profile, largest.nodes, p);
  const modelSeverity = load.severity;
  const severity = scope === 'cluster' ? modelSeverity : LOWER[modelSeverity];

  const verbs = [...new Set(triggering.flatMap((g) => g.verbs))].sort();
  const wildcard = grants.some((g) => g.wildcard) ? ' (resources "*" read as every node-scaling kind)' : '';
  const ns = sa.namespace ?? '(namespace unset)';
  const workload = `${kind} ${quote(o.namespace ? `${o.namespace}/${o.name}` : o.name)}`;
  const account = `ServiceAccount ${quote(`${ns}/${sa.name}`)}${sa.path ? '' : ' (the default)'}`;
  const grantText = `${account}, which may ${verbs.includes('*') ? 'list and watch (verbs "*")' : listing(verbs)} ${listing(resources)} cluster-wide${wildcard} through ${describeChains(grants)}`;
  const scopeText =
    scope === 'cluster'
      ? `${evidence !== undefined ? `its config reads cluster-wide (${evidence})` : `declared ${API_SCOPE_ANNOTATION}: cluster`}; every replica lists them cluster-wide`
      : `api-scope unknown${raw !== undefined ? ` (${API_SCOPE_ANNOTATION} ${quote(raw)} is neither node nor cluster)` : ''}: RBAC cannot be scoped to a node and nothing shows how the agent uses it, ` +
        `so this is one level below the model's ${modelSeverity} (declare ${API_SCOPE_ANNOTATION}: node on the ${kind} when every list is bounded to its node, or cluster); if every replica lists them cluster-wide`;
  const message = `per-node agent ${workload} runs as ${grantText}; ${scopeText}: ${stagingTrap(clusters, profile, p)}`;

  const finding: RawFinding = {
    key: `serviceaccount:${ns}/${sa.name}`,
    severity,
    message,
    remediation: REMEDIATION,
    at: { object: o, path: locationOf(o, kind, sa.path) },
    clusters: clusters.map((c) => c.name),
    data: {
      scope,
      modelSeverity,
      resources,
      nodeScaling: resources.filter(isNodeScaling),
      clusterRoles: [...new Set(grants.map((g) => g.role))].sort(),
      largest: { name: largest.name, nodes: largest.nodes, relistBytes: load.relistBytes, ratio: load.ratio },
      chart: fleetChart(ctx.fleet, clusters, profile, p),
      // Per reached cluster, for the Markdown report's load table.
      load: loadRows(clusters, profile, p),
    },
  };
  perSource.set(memoKey, finding);
  ctx.report(finding);
}

export const daemonsetClusterWatch: StateRule = {
  meta: {
    id: 'watch-all/daemonset-cluster-watch',
    family: 'watch-all',
    type: 'state',
    severity: 'high',
    description:
      'Flag per-node agents (DaemonSets, OpenTelemetryCollector and PrometheusAgent in daemonset mode) whose ServiceAccount may list or watch node-scaling kinds cluster-wide, with severity from the load model at the largest reached cluster.',
    docs: 'docs/rules/watch-all/daemonset-cluster-watch.md',
    remediation: REMEDIATION,
  },
  // An agent is judged from itself, the ClusterRoleBindings and ClusterRoles of its unit (src/rbac.ts), and
  // the ConfigMaps and Secrets that hold its configs (configScope): src/focus.ts.
  focus: { subjects: AGENT_KINDS, context: ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Secret'] },
  check(ctx) {
    // Joins happen inside one unit only (the index is shared with the config rules).
    const byUnit = objectsByUnit(ctx.tree.objects);
    const p = loadParams(ctx.config);
    // Copies of one source workload that read the same way are judged together, over all their clusters.
    const groups = new Map<string, Assessment[]>();
    const signatures = new Map<string, string>();
    for (const objects of byUnit.values()) {
      for (const o of agentsIn(objects)) {
        if (ctx.only && !ctx.only.has(o.ref)) continue;
        const a = assess(ctx, o, objects);
        if (!a) continue;
        const signature = [o.ref, a.scope, a.raw ?? '', a.evidence ?? '', a.sa.namespace, a.sa.name, a.resources.join(), describeChains(a.grants)].join('\u0000');
        const id = `${copyKey(o, { path: locationOf(o, a.kind, a.sa.path) })}\u0000${signature}`;
        (groups.get(id) ?? groups.set(id, []).get(id)!).push(a);
        signatures.set(id, signature);
      }
    }
    for (const [id, group] of groups) judge(ctx, group, p, signatures.get(id)!);
  },
};
