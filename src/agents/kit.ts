/**
 * The shared runner of the watch-all config rules. A rule supplies a detector: given one config of a
 * per-node agent, what the agent reads from the API server (kinds and scope), how often it polls, and where
 * in the config that is said. The kit finds the per-node workloads of every unit, hands the detector their
 * configs, judges copies of one workload across units together, and reports with the load model's
 * severity at the largest reached cluster and the staging trap in the message.
 *
 * Detections also settle an agent's scope for `watch-all/daemonset-cluster-watch` (configScope): a config
 * that proves every read is node-scoped silences the RBAC rule; one that proves a cluster-wide read gives
 * it the model's full severity.
 */
import type { FocusSpec, StateContext } from '../rule.js';
import { agentLoad, isNodeScaling, loadParams, severityForRatio, type AgentProfile, type WatchScope } from '../load-model.js';
import { levelRank, type Cluster, type KubeObject, type ObjectLocation, type RawFinding, type Severity, type YamlPath } from '../types.js';
import { agentConfigsOf, type AgentConfig } from './config.js';
import { fleetChart, loadRows, stagingTrap } from './figures.js';
import { isNodeInfrastructure, perNode } from './workloads.js';
import { quote } from '../text.js';
import { ofKinds } from '../kinds.js';

export interface Read {
  /** RBAC plural of the kind read (pods, nodes, endpointslices, events, replicasets, services …). */
  readonly resource: string;
  readonly scope: WatchScope;
}

export interface Detection {
  /** Stable discriminator of what was found (`processors.k8sattributes`); never line numbers. */
  readonly key: string;
  /** What the config does, for the message (`processor "k8sattributes" watches pods cluster-wide: no filter.node_from_env_var`). */
  readonly what: string;
  readonly reads: readonly Read[];
  readonly poll?: { readonly intervalMs: number; readonly kinds: number };
  readonly leaderElection?: boolean;
  /** Highest severity the detection may take (RULEBOOK WARN items: medium). */
  readonly maxSeverity?: Severity;
  /** A fixed severity instead of the model's (RULEBOOK INFO advice: low). */
  readonly severity?: Severity;
  readonly remediation: string;
  readonly at: ObjectLocation;
  /** Evidence only (a properly node-scoped read): no finding, but it settles the agent's scope. */
  readonly quiet?: boolean;
}

export type Detector = (config: AgentConfig) => Detection[];

/** The kinds a per-node agent can be (src/agents/workloads.ts perNode). */
export const AGENT_KINDS = ['DaemonSet', 'OpenTelemetryCollector', 'PrometheusAgent'] as const;

/**
 * What a detector rule's findings depend on (src/focus.ts): each is about one agent, judged from the agent
 * and the ConfigMaps and Secrets of its unit that hold its configs.
 */
export const DETECTOR_FOCUS: FocusSpec = { subjects: AGENT_KINDS, context: ['ConfigMap', 'Secret'] };

const sourceIds = new WeakMap<KubeObject, number>();
let nextSourceId = 0;

/**
 * Which copies of one object are the same thing deployed several times, to be judged together over all
 * their clusters: objects built from one parsed source (a Kustomize base under several overlays), and the
 * objects of one chart rendered for several environments whose finding lands on the same values line
 * (`path` / `innerLine`: where in the object the finding points).
 */
export function copyKey(o: KubeObject, at?: { readonly path?: YamlPath; readonly innerLine?: number }): string {
  if (o.rendered) return `r:${o.rendered.group}:${o.ref}:${at ? o.rendered.origin(at.path ?? [], at.innerLine).place : ''}`;
  const source = o.source ?? o;
  let id = sourceIds.get(source);
  if (id === undefined) sourceIds.set(source, (id = nextSourceId++));
  return `s:${id}`;
}

const unitIndex = new WeakMap<readonly KubeObject[], Map<string, KubeObject[]>>();

/**
 * A tree's objects by unit. Cached per objects array, so every rule of a side gets the same arrays, and
 * what is cached per unit (RBAC index, agent configs, detections) is shared between rules.
 */
export function objectsByUnit(objects: readonly KubeObject[]): ReadonlyMap<string, readonly KubeObject[]> {
  let units = unitIndex.get(objects);
  if (!units) {
    units = new Map();
    for (const o of objects) (units.get(o.unit) ?? units.set(o.unit, []).get(o.unit)!).push(o);
    unitIndex.set(objects, units);
  }
  return units;
}


/**
 * What a detection says, for a message. A config held in a Secret keeps its values out of every report:
 * what the detectors quote from it (job names, settings, labels) is left out; the finding still names the
 * Secret, its key and the line.
 */
export function whatOf(config: AgentConfig, d: Detection): string {
  return config.holder.kind === 'Secret' ? d.what.replace(/"(?:[^"\\]|\\.)*"/g, '"…"') : d.what;
}

/** `DaemonSet "monitoring/agent"`. */
export function describeWorkload(o: KubeObject): string {
  return `${o.kind} ${quote(o.namespace ? `${o.namespace}/${o.name}` : o.name)}`;
}

// A detector's verdict on a config, computed once: the rule that owns it and the RBAC rule's scope
// evidence both ask.
const detectionCache = new WeakMap<AgentConfig, Map<Detector, Detection[]>>();
function detect(config: AgentConfig, detector: Detector): Detection[] {
  let perConfig = detectionCache.get(config);
  if (!perConfig) detectionCache.set(config, (perConfig = new Map()));
  let found = perConfig.get(detector);
  if (!found) perConfig.set(detector, (found = detector(config)));
  return found;
}

const agents = new WeakMap<KubeObject, boolean>();
/** A per-node workload that is not node infrastructure: an agent these rules judge (cached per object). */
function isAgent(o: KubeObject): boolean {
  let yes = agents.get(o);
  if (yes === undefined) agents.set(o, (yes = perNode(o) !== undefined && !isNodeInfrastructure(o)));
  return yes;
}

const agentLists = new WeakMap<readonly KubeObject[], KubeObject[]>();
/** The agents among a unit's objects, listed once for every rule. */
export function agentsIn(objects: readonly KubeObject[]): KubeObject[] {
  let list = agentLists.get(objects);
  if (!list) agentLists.set(objects, (list = ofKinds(objects, AGENT_KINDS).filter(isAgent)));
  return list;
}

/** The configs' detections of one per-node workload. */
function detectionsOf(workload: KubeObject, unitObjects: readonly KubeObject[], detectors: readonly Detector[]): Array<{ config: AgentConfig; d: Detection }> {
  if (!isAgent(workload)) return [];
  const out: Array<{ config: AgentConfig; d: Detection }> = [];
  for (const config of agentConfigsOf(workload, unitObjects)) for (const detector of detectors) for (const d of detect(config, detector)) out.push({ config, d });
  return out;
}

/**
 * What the configs prove about an agent's API scope: `cluster` when a detection reads a node-scaling kind
 * cluster-wide, `node` when detections read node-scaling kinds only node-scoped, else undefined.
 */
export function configScope(workload: KubeObject, unitObjects: readonly KubeObject[], detectors: readonly Detector[]): { scope: WatchScope; because: string } | undefined {
  let node: string | undefined;
  for (const { config, d } of detectionsOf(workload, unitObjects, detectors)) {
    const scaling = d.reads.filter((r) => isNodeScaling(r.resource));
    const wide = scaling.find((r) => r.scope === 'cluster');
    if (wide) return { scope: 'cluster', because: `${config.holder.kind} ${quote(config.holder.name)} ${quote(config.name)}: ${whatOf(config, d)}` };
    if (scaling.length && !node) node = `${config.holder.kind} ${quote(config.holder.name)} ${quote(config.name)}: ${whatOf(config, d)}`;
  }
  return node ? { scope: 'node', because: node } : undefined;
}

/** Runs one detector over the per-node agents of a tree and reports what it finds. */
export function reportDetections(ctx: StateContext, detector: Detector): void {
  const params = loadParams(ctx.config);
  const groups = new Map<string, Array<{ workload: KubeObject; config: AgentConfig; d: Detection }>>();
  for (const objects of objectsByUnit(ctx.tree.objects).values()) {
    for (const workload of agentsIn(objects)) {
      if (ctx.only && !ctx.only.has(workload.ref)) continue;
      for (const { config, d } of detectionsOf(workload, objects, [detector])) {
        if (d.quiet) continue;
        // Copies of one workload and config in several units (a shared base) are one finding.
        const at = d.at.object.source ?? d.at.object;
        // (`what` stands for the place inside the config: reading `innerLine` would parse the config.)
        // Releases of one chart for several environments are copies too, when the finding lands on the
        // same values line (a line of the chart's values.yaml rather than of one environment's file).
        const id = [copyKey(workload), workload.ref, copyKey(at, d.at), (d.at.path ?? []).join('.'), d.what, d.key, JSON.stringify([d.reads, d.poll, d.leaderElection, d.severity, d.maxSeverity])].join('\u0000');
        (groups.get(id) ?? groups.set(id, []).get(id)!).push({ workload, config, d });
      }
    }
  }
  for (const group of groups.values()) {
    const { workload, config, d } = group[0];
    const clusters = [...new Set(group.flatMap((g) => ctx.fleet.clustersOfObject(g.workload, ctx.side)))]
      .map((n) => ctx.fleet.cluster(n))
      .filter((c): c is Cluster => c !== undefined)
      .sort((a, b) => a.nodes - b.nodes || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (!clusters.length) continue;
    // An unchanged agent gives the same detection object on both sides: its finding is built once (per
    // configuration, whose load parameters shape it).
    const memoKey = `${workload.ref}\u0000${clusters.map((c) => c.name).join()}`;
    let perConfig = findingMemo.get(ctx.config);
    if (!perConfig) findingMemo.set(ctx.config, (perConfig = new WeakMap()));
    let perDetection = perConfig.get(d);
    if (!perDetection) perConfig.set(d, (perDetection = new Map()));
    const known = perDetection.get(memoKey);
    if (known && known.about === workload) {
      ctx.report(known);
      continue;
    }
    const profile: AgentProfile = { watches: d.reads, ...(d.poll ? { poll: d.poll } : {}), ...(d.leaderElection ? { leaderElection: true } : {}) };
    const largest = clusters[clusters.length - 1];
    const load = agentLoad(profile, largest.nodes, params);
    let severity = d.severity ?? severityForRatio(load.ratio);
    if (!d.severity && d.maxSeverity && levelRank(severity) > levelRank(d.maxSeverity)) severity = d.maxSeverity;
    const where = config.holder === workload ? quote(config.name) : `${config.holder.kind} ${quote(config.holder.name)} key ${quote(config.name)}`;
    const finding: RawFinding = {
      key: `${d.key}@${config.holder.kind}/${config.holder.name}/${config.path.join('.')}`,
      severity,
      message: `per-node agent ${describeWorkload(workload)}, config ${where}: ${whatOf(config, d)}: ${stagingTrap(clusters, profile, params)}`,
      remediation: d.remediation,
      at: d.at,
      about: workload,
      clusters: clusters.map((c) => c.name),
      data: {
        reads: d.reads,
        ...(d.poll ? { poll: d.poll } : {}),
        leaderElection: d.leaderElection ?? false,
        // The model at every cluster size of the fleet: the Markdown report's chart.
        chart: fleetChart(ctx.fleet, clusters, profile, params),
        // Per reached cluster: what the Markdown report shows as the load table.
        load: loadRows(clusters, profile, params),
      },
    };
    perDetection.set(memoKey, finding);
    ctx.report(finding);
  }
}

const findingMemo = new WeakMap<object, WeakMap<Detection, Map<string, RawFinding>>>();
