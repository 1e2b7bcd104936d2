/**
 * watch-all/beats-cluster-scope — a per-node Filebeat, Metricbeat (any Beat) or Elastic Agent whose
 * Kubernetes metadata or discovery reads the whole cluster from every node (RULEBOOK A.9, SCALE-BEATS-1/2/3).
 *
 * Read from the agent's YAML config (any key of a mounted ConfigMap):
 * - autodiscover providers (`<beat>.autodiscover.providers[*]` with `type: kubernetes`, also nested
 *   `autodiscover: {providers: …}`), as libbeat's provider config validates them: `resource` defaults to
 *   `pod`; `scope` defaults to `node` for pod and node and is forced to `cluster` for anything else
 *   (services cannot be node-scoped):
 *   - `unique: true`: only the elected leader runs the templates, but every replica is a leader-election
 *     candidate polling the Lease (SCALE-BEATS-3, WARN: `N / 3.2` GETs/s, capped at medium);
 *   - `resource: service` (SCALE-BEATS-2, BLOCK): services and namespaces cluster-wide on every node;
 *   - `scope: cluster` (SCALE-BEATS-1, BLOCK): pods, nodes and namespaces (pod) or nodes (node)
 *     cluster-wide on every node, plus replicasets / jobs when `add_resource_metadata.deployment` /
 *     `cronjob` is true;
 *   - `scope: node`: quiet evidence (the pod and node watchers carry the node's field selector).
 * - `add_kubernetes_metadata` processors: `scope: cluster` → pods, nodes, namespaces cluster-wide
 *   (SCALE-BEATS-1); `scope: node` (the default; `node` / `host` names the node, else it is auto-detected)
 *   → quiet evidence.
 * - Metricbeat `module: kubernetes` entries: the `state_*` metricsets enrich at cluster scope (libbeat
 *   creates their watchers without a node), so with `add_metadata` (default true) every node watches the
 *   state resources cluster-wide; the `event` metricset watches every event. Both are SCALE-BEATS-1's
 *   "cluster scope" in module form and get the model's severity. Kubelet metricsets (`pod`, `node`, …) are
 *   not judged.
 * - Elastic Agent `providers.kubernetes`: `scope: cluster` → pods, nodes, namespaces cluster-wide;
 *   `resources.service.enabled: true` → services cluster-wide; node scope → quiet evidence.
 * A provider's templates (modules and processors inside them) run per discovered object — a condition
 * usually picks one pod, and a `unique: true` provider runs them on the leader only — so they are judged
 * through their provider, not on their own.
 */
import type { StateRule } from '../../src/rule.js';
import type { AgentConfig } from '../../src/agents/config.js';
import { DETECTOR_FOCUS, reportDetections, type Detection, type Detector, type Read } from '../../src/agents/kit.js';
import type { YamlPath } from '../../src/types.js';
import { asList, asMap, asString, asStrings, getIn, walk } from '../../src/yaml/walk.js';
import { listing, quote } from '../../src/text.js';

const REMEDIATION_SCOPE =
  'Use scope: node with node: ${NODE_NAME} (from fieldRef spec.nodeName) in the DaemonSet, and run cluster-wide discovery once, in a single-replica Deployment.';
const REMEDIATION_SERVICE =
  'Move the resource: service provider to a single-replica Deployment (services cannot be discovered at node scope) and keep only node-scoped pod discovery in the DaemonSet.';
const REMEDIATION_UNIQUE =
  'Move the unique: true provider and its cluster-level templates to a single-replica Deployment so that the DaemonSet replicas stop competing for the leader Lease.';
const REMEDIATION_MODULE =
  'Run the kubernetes state_* and event metricsets once per cluster, in a single-replica Deployment or under an autodiscover provider with unique: true, not in the DaemonSet.';
const REMEDIATION = 'Keep every Beats Kubernetes provider, processor and module in the DaemonSet at node scope and run cluster-wide collection once, in a Deployment.';

const isTrue = (v: unknown) => v === true || asString(v)?.trim().toLowerCase() === 'true';
const cluster = (resource: string): Read => ({ resource, scope: 'cluster' });
const node = (resource: string): Read => ({ resource, scope: 'node' });

/** Owner watchers a pod watcher adds (`add_resource_metadata.deployment` / `cronjob`, both off by default). */
function ownerReads(settings: unknown): Read[] {
  const meta = asMap(getIn(settings, ['add_resource_metadata']));
  return [...(isTrue(meta?.deployment) ? [cluster('replicasets')] : []), ...(isTrue(meta?.cronjob) ? [cluster('jobs')] : [])];
}

/** `add_resource_metadata.namespace.enabled: false` turns the namespace watcher off. */
function namespaceReads(settings: unknown): Read[] {
  return getIn(settings, ['add_resource_metadata', 'namespace', 'enabled']) === false ? [] : [cluster('namespaces')];
}


const nodeNamed = (settings: Record<string, unknown>): { key: string; value: string } | undefined => {
  for (const key of ['node', 'host']) {
    const value = asString(settings[key]);
    if (value?.trim()) return { key, value: value.trim() };
  }
  return undefined;
};

/** Where the node comes from, for quiet evidence: `node "${NODE_NAME}"` or `node auto-detected`. */
const nodeText = (settings: Record<string, unknown>) => {
  const n = nodeNamed(settings);
  return n ? `${n.key} ${quote(n.value)}` : 'node auto-detected';
};

/** True when `path` is an item of an autodiscover `providers` list. */
function isProviderPath(path: ReadonlyArray<string | number>): boolean {
  const n = path.length;
  if (n < 2 || typeof path[n - 1] !== 'number') return false;
  const list = path[n - 2];
  if (typeof list !== 'string') return false;
  if (/(^|\.)autodiscover\.providers$/.test(list)) return true;
  return list === 'providers' && n >= 3 && typeof path[n - 3] === 'string' && /(^|\.)autodiscover$/.test(path[n - 3] as string);
}

function autodiscover(config: AgentConfig, provider: Record<string, unknown>, path: YamlPath): Detection | undefined {
  const at = (key: string) => config.locate({ path: key in provider ? [...path, key] : path });
  if (isTrue(provider.unique)) {
    return {
      key: 'autodiscover.unique',
      what:
        'autodiscover provider "kubernetes" has unique: true: only the leader runs its templates, but every node is a leader-election candidate ' +
        'that GETs the Lease every 2 s (with jitter) from etcd',
      reads: [],
      leaderElection: true,
      maxSeverity: 'medium',
      remediation: REMEDIATION_UNIQUE,
      at: at('unique'),
    };
  }
  const resource = (asString(provider.resource)?.trim() || 'pod').toLowerCase();
  const rawScope = asString(provider.scope)?.trim().toLowerCase();
  const ns = asString(provider.namespace)?.trim();
  const inNs = ns ? ` in namespace ${quote(ns)}` : '';
  if (resource === 'service') {
    return {
      key: 'autodiscover.resource-service',
      what: `autodiscover provider "kubernetes" with resource: service lists and watches services${inNs} cluster-wide from every node (services cannot be discovered at node scope)`,
      reads: [cluster('services'), ...namespaceReads(provider)],
      remediation: REMEDIATION_SERVICE,
      at: at('resource'),
    };
  }
  if (resource !== 'pod' && resource !== 'node') return undefined; // libbeat refuses to start
  const scope = rawScope || 'node';
  if (scope === 'cluster') {
    const reads = resource === 'pod' ? [cluster('pods'), cluster('nodes'), ...namespaceReads(provider), ...ownerReads(provider)] : [cluster('nodes')];
    return {
      key: 'autodiscover.scope-cluster',
      what: `autodiscover provider "kubernetes" (resource ${resource}) has scope: cluster without unique: true: every node lists and watches ${listing(reads.map((r) => r.resource))}${inNs} cluster-wide`,
      reads,
      remediation: REMEDIATION_SCOPE,
      at: at('scope'),
    };
  }
  if (scope !== 'node') return undefined; // libbeat rejects any other scope
  const where = nodeNamed(provider);
  return {
    key: 'autodiscover.scope-node',
    what: `autodiscover provider "kubernetes" (resource ${resource}) is node-scoped (${nodeText(provider)})`,
    reads: resource === 'pod' ? [node('pods'), node('nodes'), ...namespaceReads(provider)] : [node('nodes')],
    remediation: REMEDIATION_SCOPE,
    at: at(where?.key ?? 'scope'),
    quiet: true,
  };
}

function kubernetesMetadata(config: AgentConfig, settings: Record<string, unknown>, path: YamlPath): Detection {
  const scope = asString(settings.scope)?.trim().toLowerCase() || 'node';
  if (scope === 'cluster') {
    const reads = [cluster('pods'), cluster('nodes'), ...namespaceReads(settings), ...ownerReads(settings)];
    return {
      key: 'add_kubernetes_metadata.scope-cluster',
      what: `processor "add_kubernetes_metadata" has scope: cluster: every node lists and watches ${listing(reads.map((r) => r.resource))} cluster-wide`,
      reads,
      remediation: REMEDIATION_SCOPE,
      at: config.locate({ path: [...path, 'scope'] }),
    };
  }
  const where = nodeNamed(settings);
  return {
    key: 'add_kubernetes_metadata',
    what: `processor "add_kubernetes_metadata" is node-scoped (${nodeText(settings)})`,
    reads: [node('pods'), node('nodes'), ...namespaceReads(settings)],
    remediation: REMEDIATION_SCOPE,
    at: config.locate({ path: where ? [...path, where.key] : path }),
    quiet: true,
  };
}

/** The kinds a `state_*` metricset's enricher watches (libbeat: the metricset name without `state_`). */
function stateReads(metricset: string): Read[] {
  const kind = metricset.slice('state_'.length);
  if (kind === 'pod' || kind === 'container') return [cluster('pods'), cluster('nodes'), cluster('namespaces')];
  if (kind === 'namespace') return [cluster('namespaces')];
  if (!kind) return [];
  return [cluster(kind.endsWith('s') ? `${kind}es` : `${kind}s`)];
}

/** Metricbeat `module: kubernetes`: cluster-scoped state_* enrichment and the event metricset. */
function kubernetesModule(config: AgentConfig, module: Record<string, unknown>, path: YamlPath): Detection[] {
  const out: Detection[] = [];
  const metricsets = asStrings(module.metricsets).map((m) => m.trim().toLowerCase());
  const index = (name: string) => asStrings(module.metricsets).findIndex((m) => m.trim().toLowerCase() === name);
  const events = metricsets.includes('event');
  if (events) {
    out.push({
      key: 'module.kubernetes.event',
      what: 'module "kubernetes" runs the event metricset on every node: each one lists and watches every event of the cluster',
      reads: [cluster('events')],
      remediation: REMEDIATION_MODULE,
      at: config.locate({ path: [...path, 'metricsets', index('event')] }),
    });
  }
  const state = metricsets.filter((m) => m.startsWith('state_'));
  if (state.length && module.add_metadata !== false && asString(module.add_metadata)?.toLowerCase() !== 'false') {
    const reads = new Map<string, Read>();
    for (const m of state) for (const r of stateReads(m)) reads.set(r.resource, r);
    const list = [...reads.values()];
    if (list.length) {
      out.push({
        key: 'module.kubernetes.state',
        what:
          `module "kubernetes" runs ${listing(state.map((m) => quote(m)))} with add_metadata on every node: their enrichers watch ` +
          `${listing(list.map((r) => r.resource))} cluster-wide (state metricsets are never node-scoped)`,
        reads: list,
        remediation: REMEDIATION_MODULE,
        at: config.locate({ path: [...path, 'metricsets', index(state[0])] }),
      });
    }
  }
  return out;
}

/** Elastic Agent standalone `providers.kubernetes`. */
function agentProvider(config: AgentConfig, provider: Record<string, unknown>): Detection[] {
  const path: YamlPath = ['providers', 'kubernetes'];
  const out: Detection[] = [];
  const scope = asString(provider.scope)?.trim().toLowerCase() || 'node';
  if (isTrue(getIn(provider, ['resources', 'service', 'enabled']))) {
    out.push({
      key: 'agent.kubernetes.service',
      what: 'Elastic Agent provider "kubernetes" has resources.service.enabled: every node lists and watches services cluster-wide',
      reads: [cluster('services'), ...namespaceReads(provider)],
      remediation: REMEDIATION_SERVICE,
      at: config.locate({ path: [...path, 'resources', 'service', 'enabled'] }),
    });
  }
  if (scope === 'cluster') {
    const reads = [cluster('pods'), cluster('nodes'), ...namespaceReads(provider), ...ownerReads(provider)];
    out.push({
      key: 'agent.kubernetes.scope-cluster',
      what: `Elastic Agent provider "kubernetes" has scope: cluster: every node lists and watches ${listing(reads.map((r) => r.resource))} cluster-wide`,
      reads,
      remediation: REMEDIATION_SCOPE,
      at: config.locate({ path: [...path, 'scope'] }),
    });
  } else if (scope === 'node') {
    const where = nodeNamed(provider);
    out.push({
      key: 'agent.kubernetes.scope-node',
      what: `Elastic Agent provider "kubernetes" is node-scoped (${nodeText(provider)})`,
      reads: [node('pods'), node('nodes'), ...namespaceReads(provider)],
      remediation: REMEDIATION_SCOPE,
      at: config.locate({ path: where ? [...path, where.key] : path }),
      quiet: true,
    });
  }
  return out;
}

/** Beats and Elastic Agent Kubernetes settings in one YAML config. */
export const detector: Detector = (config) => {
  if (config.format !== 'yaml' || config.doc === null || typeof config.doc !== 'object') return [];
  const providers: Array<{ value: Record<string, unknown>; path: YamlPath }> = [];
  const processors: Array<{ value: Record<string, unknown>; path: YamlPath }> = [];
  const modules: Array<{ value: Record<string, unknown>; path: YamlPath }> = [];
  walk(config.doc, (v, path) => {
    const map = asMap(v);
    if (!map) return;
    if (isProviderPath(path) && asString(map.type)?.trim().toLowerCase() === 'kubernetes') providers.push({ value: map, path: [...path] });
    if (Object.prototype.hasOwnProperty.call(map, 'add_kubernetes_metadata')) {
      const settings = map.add_kubernetes_metadata;
      // `- add_kubernetes_metadata:` with nothing after it is the processor with its defaults.
      if (settings === null || asMap(settings)) processors.push({ value: asMap(settings) ?? {}, path: [...path, 'add_kubernetes_metadata'] });
    }
    if (asString(map.module)?.trim().toLowerCase() === 'kubernetes') modules.push({ value: map, path: [...path] });
  });
  // A provider's templates run per discovered object (a condition usually picks one pod, or the leader of a
  // unique provider runs them once): they are judged through the provider, not on their own.
  const underProvider = (path: YamlPath) => providers.some((p) => path.length > p.path.length && p.path.every((step, i) => path[i] === step));

  const out: Detection[] = [];
  for (const p of providers) {
    const d = autodiscover(config, p.value, p.path);
    if (d) out.push(d);
  }
  for (const p of processors) if (!underProvider(p.path)) out.push(kubernetesMetadata(config, p.value, p.path));
  for (const m of modules) if (!underProvider(m.path)) out.push(...kubernetesModule(config, m.value, m.path));
  const agent = asMap(getIn(config.doc, ['providers', 'kubernetes']));
  if (agent && asList(getIn(config.doc, ['inputs'])).length + Object.keys(asMap(getIn(config.doc, ['outputs'])) ?? {}).length + (asMap(getIn(config.doc, ['agent'])) ? 1 : 0) > 0) {
    out.push(...agentProvider(config, agent));
  }
  return out;
};

export const beatsClusterScope: StateRule = {
  meta: {
    id: 'watch-all/beats-cluster-scope',
    family: 'watch-all',
    type: 'state',
    severity: 'high',
    description:
      'Flag per-node Filebeat, Metricbeat and Elastic Agent configs whose Kubernetes autodiscover, add_kubernetes_metadata or kubernetes module reads pods, nodes, services or events cluster-wide from every node, or whose unique: true provider makes every node poll a leader Lease.',
    docs: 'docs/rules/watch-all/beats-cluster-scope.md',
    remediation: REMEDIATION,
  },
  focus: DETECTOR_FOCUS,
  check(ctx) {
    reportDetections(ctx, detector);
  },
};
