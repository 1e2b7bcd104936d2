/**
 * watch-all/prometheus-sd — Prometheus Kubernetes service discovery (`kubernetes_sd_configs`) in a per-node
 * agent that lists and watches cluster-wide (RULEBOOK A.6 SCALE-PROM-1/2/3/4, A.5 Promtail, A.0 SCALE-002).
 *
 * Any YAML config of a per-node workload that embeds Prometheus SD is read: a Prometheus server or agent run
 * as a DaemonSet (`scrape_configs` at the top), Grafana Agent static mode (`metrics.configs[*]` and
 * `logs.configs[*]`), an OpenTelemetry Collector `prometheus` receiver (`receivers.prometheus*.config`),
 * Promtail. Every `scrape_configs` list is found with an alias-safe walk; each `kubernetes_sd_configs` entry
 * is one discovery with the informers Prometheus starts for its role (discovery/kubernetes/kubernetes.go):
 *
 * | role | lists and watches | node-scoped by |
 * |---|---|---|
 * | `pod` | pods (+ nodes with `attach_metadata.node`) | a `{role: pod, field: spec.nodeName=<node>}` selector |
 * | `endpoints` / `endpointslice` | endpoints or endpointslices, services, pods (+ nodes) | nothing for the endpoints: always cluster-sized |
 * | `service` / `ingress` | services / ingresses | nothing |
 * | `node` | nodes | a `{role: node, field: metadata.name=<node>}` selector |
 *
 * Severity is the load model's at the largest reached cluster, with these decisions:
 * - `namespaces.names` / `own_namespace` bound the count to some namespaces but not its growth with the
 *   node count (a namespace holding a DaemonSet has N pods), and the model cannot know the share: capped at
 *   high, and the message says so;
 * - relabel-only node filtering (`relabel_configs` `keep` on `__meta_kubernetes_pod_node_name` and its
 *   endpoint variants) filters targets after discovery: the API servers still send everything, so the
 *   model's severity stands and the message says so (SCALE-PROM-4 / SCALE-002);
 * - `attach_metadata.node` on an otherwise node-scoped discovery, without a `metadata.name` node selector, is
 *   SCALE-PROM-3 (WARN): capped at medium;
 * - Promtail (recognised by `positions` / `clients` beside `scrape_configs`, or a promtail image) adds
 *   `spec.nodeName=$HOSTNAME` to pod discovery itself (`fulfillKubePodSelector`): quiet, node-scoped
 *   evidence. It does so only when the entry has no `selectors` of its own: the function edits copies of the
 *   given selectors (a Go range loop over a slice of structs), so a pod discovery with its own selectors and
 *   no node field lists cluster-wide and is reported. Its other roles are SCALE-PT-2 (WARN): capped at medium.
 *
 * An OpenTelemetryCollector with `spec.targetAllocator.enabled: true` is skipped: the operator moves its
 * receivers' scrape configs to the target allocator, a single Deployment.
 *
 * Prometheus shares one discovery among scrape configs whose SD configs are identical (the discovery
 * manager compares them), so identical entries in one `scrape_configs` list are one finding, at the first.
 * A properly node-scoped discovery gives quiet evidence (it settles the agent's scope for
 * `watch-all/daemonset-cluster-watch`). A field value is taken as written: Prometheus does not expand
 * environment variables in `scrape_configs`, so the node name must be rendered at deploy time (the
 * OpenTelemetry Collector's `${env:…}` and `-config.expand-env` of Grafana Agent and Promtail do).
 */
import type { AgentConfig } from '../../src/agents/config.js';
import { DETECTOR_FOCUS, reportDetections, type Detection, type Detector, type Read } from '../../src/agents/kit.js';
import type { StateRule } from '../../src/rule.js';
import { levelRank, type KubeObject, type Severity, type YamlPath } from '../../src/types.js';
import { asList, asMap, asString, asStrings, getIn, walk } from '../../src/yaml/walk.js';
import { quote } from '../../src/text.js';

/** The `kubernetes_sd_configs` roles (Prometheus `discovery/kubernetes`; Alloy `discovery.kubernetes` too). */
export const SD_ROLES = ['pod', 'endpoints', 'endpointslice', 'service', 'ingress', 'node'] as const;
export type SdRole = (typeof SD_ROLES)[number];

export function isSdRole(s: string | undefined): s is SdRole {
  return s !== undefined && (SD_ROLES as readonly string[]).includes(s);
}

/** What scopes one Kubernetes discovery, as written in a Prometheus or Alloy config. */
export interface SdShape {
  role: SdRole;
  /** A pod selector with `field: spec.nodeName=<node>`. */
  podNodeScoped: boolean;
  /** A node selector with `field: metadata.name=<node>`. */
  nodeNameScoped: boolean;
  /** `attach_metadata.node: true` (an extra node informer, for the pod and endpoints roles). */
  attachNode: boolean;
  /** Namespaces it is limited to (`namespaces.names`, `own_namespace` as `(own namespace)`); empty: all. */
  namespaces: string[];
}

const NAMESPACED: ReadonlySet<SdRole> = new Set(['pod', 'endpoints', 'endpointslice', 'service', 'ingress']);

/** The informers one discovery starts (Prometheus discovery/kubernetes Run, and attach_metadata). */
export function sdReads(s: SdShape): Read[] {
  const pods: Read = { resource: 'pods', scope: s.podNodeScoped ? 'node' : 'cluster' };
  const nodes: Read = { resource: 'nodes', scope: s.nodeNameScoped ? 'node' : 'cluster' };
  const attached = s.attachNode ? [nodes] : [];
  switch (s.role) {
    case 'pod':
      return [pods, ...attached];
    case 'endpoints':
      return [{ resource: 'endpoints', scope: 'cluster' }, { resource: 'services', scope: 'cluster' }, pods, ...attached];
    case 'endpointslice':
      return [{ resource: 'endpointslices', scope: 'cluster' }, { resource: 'services', scope: 'cluster' }, pods, ...attached];
    case 'service':
      return [{ resource: 'services', scope: 'cluster' }];
    case 'ingress':
      return [{ resource: 'ingresses', scope: 'cluster' }];
    case 'node':
      return [nodes];
  }
}

/**
 * True when a field selector bounds a list to one named object: a comma-separated term `<key>=<value>` (or
 * `==`) with a value. `more` says the written value continues in an expression (River `"spec.nodeName=" +
 * sys.env("HOSTNAME")`), so an empty literal value still names something.
 */
export function fieldNames(field: string, key: 'spec.nodeName' | 'metadata.name', more = false): boolean {
  const re = key === 'spec.nodeName' ? /(?:^|,)\s*spec\.nodeName\s*==?\s*([^,]*)/ : /(?:^|,)\s*metadata\.name\s*==?\s*([^,]*)/;
  const m = re.exec(field);
  return m !== null && (m[1].trim() !== '' || more);
}

/** `a`, `a and b`, `a, b and c`. */
export function listing(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}


/** The lower of two severity caps. */
export function lowerCap(a: Severity | undefined, b: Severity | undefined): Severity | undefined {
  if (!a) return b;
  if (!b) return a;
  return levelRank(a) <= levelRank(b) ? a : b;
}

/** Meta labels naming the node of a discovered target: a `keep` on them is relabel-only node filtering. */
const NODE_META_LABELS = new Set([
  '__meta_kubernetes_pod_node_name',
  '__meta_kubernetes_endpoint_node_name',
  '__meta_kubernetes_endpointslice_endpoint_node_name',
  '__meta_kubernetes_node_name',
]);

export function isNodeMetaLabel(label: string): boolean {
  return NODE_META_LABELS.has(label);
}

/** The node meta label a `relabel_configs` list keeps on, if any (Prometheus lower-cases actions). */
function relabelNodeKeep(relabel: unknown): string | undefined {
  for (const r of asList(relabel)) {
    const m = asMap(r);
    if ((asString(m?.action) ?? 'replace').trim().toLowerCase() !== 'keep') continue;
    const label = asStrings(m?.source_labels).find(isNodeMetaLabel);
    if (label) return label;
  }
  return undefined;
}

/** The text of the caveats shared by the Prometheus and Alloy rules. */
export const NOTES = {
  relabel: (label: string, where: string) =>
    `${where} keep on ${quote(label)} drops other nodes' targets only after discovery, so the API servers still send every object to every replica`,
  namespaces: (ns: readonly string[], field: string) =>
    `${field} ${listing(ns.map(quote))} lowers the count but not its growth with nodes (capped at high)`,
  clustering: 'clustering { enabled = true } shares scrape targets among replicas, not discovery: every replica still lists and watches',
};

/** What the cluster-wide reads of a shape are, for the message. */
function widely(reads: readonly Read[]): string[] {
  return [...new Set(reads.filter((r) => r.scope === 'cluster').map((r) => r.resource))];
}

/** Why a discovery of this shape reads cluster-wide, in Prometheus YAML terms or Alloy terms. */
export function whyWide(s: SdShape, syntax: 'yaml' | 'river'): string {
  const podSel = syntax === 'yaml' ? 'no selectors entry {role: pod, field: "spec.nodeName=<node>"}' : 'no selectors block with role = "pod" and field = "spec.nodeName=" + sys.env("HOSTNAME")';
  const nodeSel = syntax === 'yaml' ? 'no selectors entry {role: node, field: "metadata.name=<node>"}' : 'no selectors block with role = "node" and field = "metadata.name=" + sys.env("HOSTNAME")';
  switch (s.role) {
    case 'pod':
      return podSel;
    case 'endpoints':
    case 'endpointslice':
      return `${s.role === 'endpoints' ? 'endpoints' : 'endpointslices'} cannot be bounded to a node, and discovery also lists the services${s.podNodeScoped ? '' : ' and pods'} they point at`;
    case 'service':
    case 'ingress':
      return `${s.role === 'service' ? 'services' : 'ingresses'} cannot be bounded to a node`;
    case 'node':
      return nodeSel;
  }
}

/** Remediation of a cluster-wide discovery of this shape. */
export function remediationFor(s: SdShape, tool: 'prometheus' | 'alloy'): string {
  const central = tool === 'prometheus' ? 'one central Prometheus (a Deployment or StatefulSet)' : 'one clustered Alloy Deployment or StatefulSet';
  switch (s.role) {
    case 'pod':
      return tool === 'prometheus'
        ? `Add selectors: [{role: pod, field: "spec.nodeName=<node>"}] to this kubernetes_sd_configs entry, with the node name rendered from the downward API at deploy time, or discover pods from ${central} instead of every node.`
        : `Add selectors { role = "pod", field = "spec.nodeName=" + sys.env("HOSTNAME") } to this discovery.kubernetes block (HOSTNAME from fieldRef spec.nodeName), or discover pods from ${central} instead of every node.`;
    case 'node':
      return tool === 'prometheus'
        ? `Add selectors: [{role: node, field: "metadata.name=<node>"}] to this kubernetes_sd_configs entry, or discover nodes from ${central} instead of every node.`
        : `Add selectors { role = "node", field = "metadata.name=" + sys.env("HOSTNAME") } to this discovery.kubernetes block, or discover nodes from ${central} instead of every node.`;
    default:
      return `Move this ${s.role} discovery to ${central}, and keep only node-scoped pod discovery in the per-node agent.`;
  }
}

export const ATTACH_REMEDIATION = 'Add a node selector with field metadata.name=<node> next to attach_metadata node, or turn attach_metadata node off.';

/**
 * Builds the detection of one discovery: quiet evidence when every read is node-scoped; a SCALE-PROM-3
 * detection (at `attachAt`) when only the attached node watch is cluster-wide; else the discovery's.
 */
export function sdDetection(args: {
  shape: SdShape;
  key: string;
  /** `scrape_configs job "x" kubernetes_sd_configs role "pod"`, `discovery.kubernetes "pods" (role "pod")`. */
  where: string;
  syntax: 'yaml' | 'river';
  tool: 'prometheus' | 'alloy';
  at: Detection['at'];
  attachAt: Detection['at'];
  /** Why the pods read is node-scoped when it is, for the quiet evidence. */
  scopedBy: string;
  notes: string[];
  /** Replaces the standard reason (Promtail's own selectors). */
  reason?: string;
  cap?: Severity;
  remediation?: string;
}): Detection {
  const { shape, key, where, notes } = args;
  const reads = sdReads(shape);
  const wide = widely(reads);
  if (!wide.length) {
    return { key, what: `${where} lists ${shape.role === 'node' ? 'its own node only' : `pods of its own node only (${args.scopedBy})`}`, reads, remediation: remediationFor(shape, args.tool), at: args.at, quiet: true };
  }
  let cap = args.cap;
  const extra = [...notes];
  // Node-scoped pods and only the attached node informer cluster-wide: SCALE-PROM-3 (WARN).
  if (shape.role === 'pod' && wide.length === 1 && wide[0] === 'nodes' && shape.attachNode) {
    return {
      key: `${key}.attach_metadata.node`,
      what: `${where} lists pods of its own node, but attach_metadata node watches nodes cluster-wide: ${args.syntax === 'yaml' ? 'no selectors entry {role: node, field: "metadata.name=<node>"}' : 'no selectors block with role = "node" and field = "metadata.name=…"'}${extra.length ? `; ${extra.join('; ')}` : ''}`,
      reads,
      maxSeverity: lowerCap(cap, 'medium'),
      remediation: ATTACH_REMEDIATION,
      at: args.attachAt,
    };
  }
  if (shape.namespaces.length && NAMESPACED.has(shape.role)) {
    extra.push(NOTES.namespaces(shape.namespaces, args.syntax === 'yaml' ? 'namespaces.names' : 'namespaces { names }'));
    cap = lowerCap(cap, 'high');
  }
  if (shape.attachNode && !shape.nodeNameScoped) extra.push('attach_metadata node adds a cluster-wide node watch');
  const what = `${where} lists and watches ${listing(wide)} cluster-wide: ${args.reason ?? whyWide(shape, args.syntax)}${extra.length ? `; ${extra.join('; ')}` : ''}`;
  return { key, what, reads, ...(cap ? { maxSeverity: cap } : {}), remediation: args.remediation ?? remediationFor(shape, args.tool), at: args.at };
}

// ---- Prometheus YAML ----------------------------------------------------------------------------------

const PROMTAIL_IMAGE = /(^|\/)promtail([:@]|$)/;

/** True when a container of the workload runs Promtail. */
function runsPromtail(workload: KubeObject): boolean {
  const spec = getIn(workload.doc, ['spec', 'template', 'spec']);
  for (const field of ['containers', 'initContainers']) {
    for (const c of asList(getIn(spec, [field]))) {
      const image = asString(getIn(c, ['image']));
      if (image && PROMTAIL_IMAGE.test(image)) return true;
    }
  }
  return false;
}

/** The namespaces an SD entry is limited to. */
function namespacesOf(sd: Record<string, unknown>): string[] {
  const ns = asMap(sd.namespaces);
  if (!ns) return [];
  const names = asStrings(ns.names).filter((n) => n.trim() !== '');
  return getIn(ns, ['own_namespace']) === true ? [...names, '(own namespace)'] : names;
}

/** The shape of one `kubernetes_sd_configs` entry, as Prometheus reads it. */
function shapeOf(sd: Record<string, unknown>, role: SdRole): SdShape {
  let podNodeScoped = false;
  let nodeNameScoped = false;
  for (const s of asList(sd.selectors)) {
    const m = asMap(s);
    const field = asString(m?.field) ?? '';
    const sRole = asString(m?.role)?.trim();
    if (sRole === 'pod' && fieldNames(field, 'spec.nodeName')) podNodeScoped = true;
    if (sRole === 'node' && fieldNames(field, 'metadata.name')) nodeNameScoped = true;
  }
  return { role, podNodeScoped, nodeNameScoped, attachNode: getIn(sd, ['attach_metadata', 'node']) === true, namespaces: namespacesOf(sd) };
}

/** A readable, number-free name for the path of a `scrape_configs` list (list items by their `name`). */
function prefixKey(doc: unknown, path: YamlPath): string {
  return path.map((step, k) => (typeof step === 'number' ? `[${asString(getIn(doc, [...path.slice(0, k + 1), 'name'])) ?? step}]` : (k ? '.' : '') + step)).join('');
}

interface Entry {
  job: string;
  i: number;
  j: number;
  sd: Record<string, unknown>;
  role: SdRole;
  relabel?: string;
}

/** The detections of one `scrape_configs` list. */
function scrapeConfigs(config: AgentConfig, list: readonly unknown[], path: YamlPath, promtail: boolean): Detection[] {
  // Identical SD configs share one discovery (Prometheus discovery manager): group them.
  const groups = new Map<string, Entry[]>();
  list.forEach((job, i) => {
    const jobMap = asMap(job);
    if (!jobMap) return;
    const name = asString(jobMap.job_name) ?? `#${i + 1}`;
    const relabel = relabelNodeKeep(jobMap.relabel_configs);
    asList(jobMap.kubernetes_sd_configs).forEach((s, j) => {
      const sd = asMap(s);
      const role = asString(sd?.role)?.trim();
      if (!sd || !isSdRole(role)) return;
      let id: string;
      try {
        id = JSON.stringify(sd);
      } catch {
        id = `${i}/${j}`;
      }
      const entry: Entry = { job: name, i, j, sd, role, ...(relabel ? { relabel } : {}) };
      (groups.get(id) ?? groups.set(id, []).get(id)!).push(entry);
    });
  });
  const prefix = prefixKey(config.doc, path);
  const keys = new Map<string, number>();
  const out: Detection[] = [];
  for (const entries of groups.values()) {
    const first = entries[0];
    const shape = shapeOf(first.sd, first.role);
    const ownSelectors = asList(first.sd.selectors).length > 0;
    // Promtail adds spec.nodeName=$HOSTNAME to pod discovery without selectors of its own (see the module comment).
    if (promtail && first.role === 'pod' && !ownSelectors) shape.podNodeScoped = true;
    const jobs = [...new Set(entries.map((e) => e.job))];
    let key = `${prefix}/${first.job}/${first.role}`;
    const n = (keys.get(key) ?? 0) + 1;
    keys.set(key, n);
    if (n > 1) key += `#${n}`;
    const where = `${promtail ? 'Promtail ' : ''}scrape_configs job ${quote(first.job)}${jobs.length > 1 ? ` (shared with ${listing(jobs.slice(1).map(quote))})` : ''} kubernetes_sd_configs role ${quote(first.role)}`;
    const relabel = entries.find((e) => e.relabel)?.relabel;
    const at = config.locate({ path: [...path, first.i, 'kubernetes_sd_configs', first.j, 'role'] });
    const attachAt = config.locate({ path: [...path, first.i, 'kubernetes_sd_configs', first.j, 'attach_metadata', 'node'] });
    const promtailOwn = promtail && first.role === 'pod' && ownSelectors && !shape.podNodeScoped;
    out.push(
      sdDetection({
        shape,
        key,
        where,
        syntax: 'yaml',
        tool: 'prometheus',
        at,
        attachAt,
        scopedBy: promtail && !ownSelectors ? 'Promtail adds spec.nodeName=$HOSTNAME to it' : 'selectors field spec.nodeName',
        notes: relabel ? [NOTES.relabel(relabel, 'relabel_configs')] : [],
        ...(promtailOwn
          ? {
              reason: 'Promtail adds its spec.nodeName selector only to pod discovery without selectors, and these selectors name no node',
              remediation: 'Add field: "spec.nodeName=${HOSTNAME}" to the pod selector (with -config.expand-env=true), or remove the selectors so Promtail adds its own.',
            }
          : {}),
        // Promtail's roles other than pod: SCALE-PT-2 (WARN).
        ...(promtail && first.role !== 'pod' ? { cap: 'medium' as Severity } : {}),
      }),
    );
  }
  return out;
}

/** Prometheus SD in any YAML config of a per-node agent. */
export const detector: Detector = (config) => {
  if (config.format !== 'yaml' || asMap(config.doc) === undefined) return [];
  // With the target allocator, the operator hands the receivers' scrape configs to the allocator (one
  // Deployment) and the collectors receive targets over HTTP: the discovery does not run on every node.
  if (config.workload.kind === 'OpenTelemetryCollector' && getIn(config.workload.doc, ['spec', 'targetAllocator', 'enabled']) === true) return [];
  const out: Detection[] = [];
  const promtailImage = runsPromtail(config.workload);
  walk(config.doc, (value, path) => {
    if (!path.length || path[path.length - 1] !== 'scrape_configs' || !Array.isArray(value)) return;
    const parent = asMap(getIn(config.doc, path.slice(0, -1)));
    const promtail = promtailImage || ['positions', 'clients', 'client'].some((k) => parent?.[k] !== undefined);
    out.push(...scrapeConfigs(config, value, path, promtail));
    return 'skip';
  });
  return out;
};

const REMEDIATION =
  'Scope pod discovery of a per-node agent to its node with a {role: pod, field: "spec.nodeName=<node>"} selector, and move endpoints, service, ingress and node discovery to a central Prometheus.';

export const prometheusSd: StateRule = {
  meta: {
    id: 'watch-all/prometheus-sd',
    family: 'watch-all',
    type: 'state',
    severity: 'high',
    description:
      'Flag Prometheus kubernetes_sd_configs in per-node agents (Prometheus or Grafana Agent as a DaemonSet, OpenTelemetry prometheus receivers, Promtail) that list and watch pods, endpoints, services, ingresses or nodes cluster-wide, with severity from the load model.',
    docs: 'docs/rules/watch-all/prometheus-sd.md',
    remediation: REMEDIATION,
  },
  focus: DETECTOR_FOCUS,
  check(ctx) {
    reportDetections(ctx, detector);
  },
};
