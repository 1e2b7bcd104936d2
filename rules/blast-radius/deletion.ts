/**
 * blast-radius/deletion — a pull request deletes an object whose absence breaks a whole cluster (RULEBOOK
 * C.2 APF, C.3 cluster DNS, C.4 node networking, C.5 CRD-4, D.1 PodDisruptionBudget; B.3 APF bootstrap).
 *
 * A change rule. `changedPairs` pairs each object of a deployable unit with its counterpart on the other side
 * (same unit, same `Kind/namespace/name`); a pair with a base object and no head object was deleted from that
 * unit — whether its file was deleted or the object was removed from a file. A move to another file of the
 * same unit is not a deletion; a rename of kind, namespace or name is (Kubernetes deletes the old object).
 * The clusters that lose the object are those its unit reached on the base minus every cluster a head object
 * with the same ref still reaches (moved from a per-cluster overlay into a shared base: nothing is lost).
 *
 * Keys (one finding per source object and ref, with the clusters that lose it and their node counts):
 * - `cluster-dns` high: the CoreDNS Deployment or its `coredns` ConfigMap (medium for `coredns-custom`, and for
 *   the kube-dns add-on's `kube-dns` ConfigMap when it set stub domains or upstream nameservers or kube-dns
 *   rejected it: kube-dns falls back to its defaults; quiet when it held neither);
 * - `network-daemonset` high: kube-proxy or a CNI agent DaemonSet;
 * - `crd` high when custom resources of the type are still applied by the head in a cluster that loses the
 *   CRD (the cascade deletes them and their next sync fails), medium otherwise;
 * - `apf` medium for a custom FlowSchema, or a custom PriorityLevelConfiguration that FlowSchemas of the
 *   head still point at; low for a suggested object the repository tuned (the API server re-creates it with
 *   its built-in spec); quiet for the mandatory `exempt` / `catch-all` objects and for suggested objects
 *   annotated `apf.kubernetes.io/autoupdate-spec: "true"`;
 * - `last-pdb` medium: the last PodDisruptionBudget protecting a Deployment or StatefulSet of ≥ 2 replicas
 *   that the head keeps.
 * A base object annotated so the GitOps tool does not prune it (`argocd.argoproj.io/sync-options` with
 * `Prune=false`, `kustomize.toolkit.fluxcd.io/prune: disabled`) is not deleted by removing it from Git: quiet.
 *
 * Findings point at `metadata.name` of the base object (the engine finds its line on the base commit) and
 * the message says so.
 */
import { objectsByUnit } from '../../src/agents/kit.js';
import { changedPairs } from '../../src/changes.js';
import { isClusterDnsConfigMap, isClusterDnsDeployment, isNetworkDaemonSet } from '../../src/critical.js';
import { isKubeDnsConfigMap, kubeDnsConfigOf } from './cluster-dns.js';
import { formatCount } from '../../src/load-model.js';
import { pdbProtects, pdbSelects, replicasOf } from '../../src/disruption.js';
import { nodesText, reachOf, reachText } from '../../src/reach.js';
import type { ChangeContext, ChangeRule, Fleet } from '../../src/rule.js';
import { listing, quote } from '../../src/text.js';
import type { KubeObject, Severity } from '../../src/types.js';
import { cmp } from '../../src/util.js';
import { asList, asMap, asString, getIn, stringMap } from '../../src/yaml/walk.js';
import { ofKinds } from '../../src/kinds.js';

type Key = 'cluster-dns' | 'network-daemonset' | 'crd' | 'apf' | 'last-pdb';

const KINDS: ReadonlySet<string> = new Set([
  'Deployment',
  'ConfigMap',
  'DaemonSet',
  'CustomResourceDefinition',
  'FlowSchema',
  'PriorityLevelConfiguration',
  'PodDisruptionBudget',
]);

const APF_GROUP = 'flowcontrol.apiserver.k8s.io/';
/** Mandatory APF objects: the API server keeps them in existence with a fixed spec [S-APF-BOOTSTRAP]. */
const APF_MANDATORY = new Set(['exempt', 'catch-all']);
/** Suggested APF objects of current releases [S-APF-BOOTSTRAP]; a deleted one is re-created by the API server. */
const APF_SUGGESTED: Readonly<Record<string, ReadonlySet<string>>> = {
  PriorityLevelConfiguration: new Set(['system', 'node-high', 'leader-election', 'workload-high', 'workload-low', 'global-default']),
  FlowSchema: new Set([
    'probes',
    'system-leader-election',
    'workload-leader-election',
    'system-node-high',
    'system-nodes',
    'kube-controller-manager',
    'kube-scheduler',
    'kube-system-service-accounts',
    'service-accounts',
    'global-default',
  ]),
};
const APF_AUTOUPDATE = 'apf.kubernetes.io/autoupdate-spec';

/** CoreDNS defaults [S-COREDNS-CACHE][S-COREDNS-K8S]: cache max TTL for answers, kubernetes plugin record TTL. */
const COREDNS_CACHE_MAX_TTL = 3600;
const COREDNS_K8S_TTL = 5;

const REMEDIATION: Record<Key, string> = {
  'cluster-dns':
    'Keep CoreDNS and its ConfigMap in the repository, or stop managing them without deleting them (annotate them `argocd.argoproj.io/sync-options: Prune=false` or `kustomize.toolkit.fluxcd.io/prune: disabled` in an earlier pull request) once another manager owns them.',
  'network-daemonset':
    'Keep the DaemonSet, or migrate node networking pool by pool (cordon, drain, switch agents, uncordon) on one small cluster first, and stop managing it without deleting it (annotate it `argocd.argoproj.io/sync-options: Prune=false` or `kustomize.toolkit.fluxcd.io/prune: disabled` first) when another manager takes it over.',
  crd: 'Keep the CustomResourceDefinition until no cluster needs the type (annotate it `argocd.argoproj.io/sync-options: Prune=false` or `kustomize.toolkit.fluxcd.io/prune: disabled` to stop managing it without deleting it), and delete its custom resources deliberately, one cluster at a time, before removing it.',
  apf: 'Keep the APF object, or first move the requests it classified to a FlowSchema and priority level sized for them, and remove it in a later pull request once the API servers show no rejected or long-queued requests for that traffic.',
  'last-pdb':
    'Keep a PodDisruptionBudget for the workload (add its replacement in the same pull request, or widen another one\'s selector to cover its pods) before deleting this one.',
};

/** What one deleted object means in the clusters that lose it. */
interface Verdict {
  key: Key;
  severity: Severity;
  /** `CoreDNS Deployment "kube-system/coredns"`. */
  what: string;
  /** What the deletion does there (message tail, lower-case, no period). */
  consequence: string;
  /** Adds the lock-out risk and the break-glass path. */
  lockOut?: string;
  /** Overrides the key's remediation. */
  remediation?: string;
}

/** One deleted object (all copies of one source with one ref and one verdict) and the clusters that lose it. */
interface Group {
  object: KubeObject;
  verdict: Verdict;
  clusters: Set<string>;
}

const nsName = (o: KubeObject) => (o.namespace ? `${o.namespace}/${o.name}` : o.name);

function annotation(o: KubeObject, key: string): string | undefined {
  return asString(asMap(getIn(o.doc, ['metadata', 'annotations']))?.[key]);
}

/** True when the base object tells the GitOps tool not to prune it: removing it from Git leaves it running. */
function pruneDisabled(o: KubeObject): boolean {
  const argo = annotation(o, 'argocd.argoproj.io/sync-options');
  if (argo && argo.split(',').some((s) => s.trim() === 'Prune=false')) return true;
  return annotation(o, 'kustomize.toolkit.fluxcd.io/prune') === 'disabled';
}

/** The key a deleted object of interest falls under, or undefined. */
function keyOf(o: KubeObject): Key | undefined {
  switch (o.kind) {
    case 'Deployment':
      return isClusterDnsDeployment(o) ? 'cluster-dns' : undefined;
    case 'ConfigMap':
      return isClusterDnsConfigMap(o) || isKubeDnsConfigMap(o) ? 'cluster-dns' : undefined;
    case 'DaemonSet':
      return isNetworkDaemonSet(o) ? 'network-daemonset' : undefined;
    case 'CustomResourceDefinition':
      return o.apiVersion.startsWith('apiextensions.k8s.io/') ? 'crd' : undefined;
    case 'FlowSchema':
    case 'PriorityLevelConfiguration':
      return o.apiVersion.startsWith(APF_GROUP) ? 'apf' : undefined;
    case 'PodDisruptionBudget':
      return o.apiVersion.startsWith('policy/') ? 'last-pdb' : undefined;
    default:
      return undefined;
  }
}

// ---- reach ----------------------------------------------------------------------------------------------


// ---- cluster DNS ------------------------------------------------------------------------------------------

/** TTLs a Corefile sets: the `cache` plugin's max TTL (absent: no cache plugin) and the `kubernetes` plugin's `ttl`. */
export interface CorefileTtls {
  cache?: { ttl: number; written: boolean };
  kubernetesTtl?: number;
}

const INT = /^\d+$/;

/**
 * Reads `cache [TTL]` (or `success CAPACITY [TTL]` inside a cache block) and `ttl N` inside a `kubernetes`
 * block of the first server block that has them. Comments are stripped; anything unparsable is ignored.
 */
export function corefileTtls(corefile: string): CorefileTtls {
  const out: CorefileTtls = {};
  const stack: string[] = [];
  for (const raw of corefile.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const opens = line.endsWith('{');
    const tokens = line.replace(/\{$/, '').trim().split(/\s+/).filter(Boolean);
    const inside = stack[stack.length - 1];
    if (line === '}' || line.startsWith('}')) {
      stack.pop();
      continue;
    }
    if (stack.length === 1 && tokens[0] === 'cache' && !out.cache) {
      out.cache = INT.test(tokens[1] ?? '') ? { ttl: Number(tokens[1]), written: true } : { ttl: COREDNS_CACHE_MAX_TTL, written: false };
    } else if (inside === 'cache' && tokens[0] === 'success' && INT.test(tokens[2] ?? '') && out.cache && !out.cache.written) {
      out.cache = { ttl: Number(tokens[2]), written: true };
    } else if (inside === 'kubernetes' && tokens[0] === 'ttl' && INT.test(tokens[1] ?? '') && out.kubernetesTtl === undefined) {
      out.kubernetesTtl = Number(tokens[1]);
    }
    if (opens) stack.push(stack.length === 0 ? 'server' : (tokens[0] ?? ''));
  }
  return out;
}

function corefileOf(o: KubeObject | undefined): string | undefined {
  return o ? asString(asMap(getIn(o.doc, ['data']))?.Corefile) : undefined;
}

/** `5 s for cluster names (kubernetes plugin ttl, default) and up to 3,600 s for external names (cache max TTL, default)`. */
function ttlText(corefile: string | undefined): string {
  if (corefile === undefined) {
    return `${COREDNS_K8S_TTL} s for cluster names and up to ${formatCount(COREDNS_CACHE_MAX_TTL)} s for external names (CoreDNS defaults: kubernetes plugin ttl, cache max TTL; no Corefile in the repository)`;
  }
  const t = corefileTtls(corefile);
  const k8s = t.kubernetesTtl ?? COREDNS_K8S_TTL;
  const cap = t.cache ? Math.min(k8s, t.cache.ttl) : k8s;
  const cluster = `${formatCount(cap)} s for cluster names (kubernetes plugin ttl ${t.kubernetesTtl !== undefined ? `${t.kubernetesTtl} in the base Corefile` : `${COREDNS_K8S_TTL}, default`})`;
  const external = !t.cache
    ? 'the upstream TTL for external names (no cache plugin in the base Corefile)'
    : `up to ${formatCount(t.cache.ttl)} s for external names (cache max TTL${t.cache.written ? ` ${t.cache.ttl} in the base Corefile` : `, default ${formatCount(COREDNS_CACHE_MAX_TTL)}`})`;
  return `${cluster} and ${external}`;
}

const DNS_LOCKOUT =
  'in-cluster GitOps controllers cannot resolve their Git or Helm source any more, so reverting this in Git may never reach the cluster';

const KUBE_DNS_REMEDIATION =
  'Keep the kube-dns ConfigMap in the repository (when moving to another DNS, configure its stub domains and upstream servers there first), or stop managing it without deleting it (annotate it `argocd.argoproj.io/sync-options: Prune=false` or `kustomize.toolkit.fluxcd.io/prune: disabled` in an earlier pull request).';

/**
 * The kube-dns add-on's ConfigMap deleted: kube-dns mounts it as an optional volume, which empties at the
 * kubelet's next sync, and then runs its defaults (kubernetes/dns `NewDefaultConfig`): no stub domains, upstream
 * servers from the node's /etc/resolv.conf. Undefined (quiet) when it configured neither.
 */
function kubeDnsDeletionVerdict(o: KubeObject): Verdict | undefined {
  const config = kubeDnsConfigOf(o);
  if (!config) return undefined; // not a ConfigMap the API server accepts: nothing to delete
  const what = `kube-dns ConfigMap ${quote(nsName(o))}`;
  const reset =
    'kube-dns goes back to its defaults (no stub domains, upstream servers from the node\'s /etc/resolv.conf) within about a minute or two (its ConfigMap volume is optional and empties at the kubelet\'s next sync; kube-dns and dnsmasq-nanny re-read it every 10 s, and dnsmasq-nanny restarts dnsmasq in every kube-dns pod)';
  if (config.problems.length > 0) {
    return {
      key: 'cluster-dns',
      severity: 'medium',
      what,
      consequence: `${reset}; kube-dns rejected its content (${listing(config.problems.map((p) => p.text))}), so running kube-dns pods may still hold stub domains and upstream servers from an earlier version, and those go too`,
      remediation: KUBE_DNS_REMEDIATION,
    };
  }
  const parts: string[] = [];
  const domains = [...config.stubDomains.keys()];
  if (domains.length > 0) {
    parts.push(
      `stub domain${domains.length === 1 ? '' : 's'} ${listing(domains.map(quote))} ${domains.length === 1 ? 'is' : 'are'} dropped, so names under ${domains.length === 1 ? 'it' : 'them'} stop resolving for every pod there (their queries go to the upstream servers, which do not serve a private zone)`,
    );
  }
  if (config.upstreams.length > 0) {
    parts.push(`external names are resolved by the nameservers of the node's /etc/resolv.conf instead of ${listing(config.upstreams.map(quote))}`);
  }
  if (parts.length === 0) return undefined; // it held the defaults: kube-dns runs the same without it
  return { key: 'cluster-dns', severity: 'medium', what, consequence: `${reset}: ${listing(parts)}`, remediation: KUBE_DNS_REMEDIATION };
}

function clusterDnsVerdict(o: KubeObject, baseUnit: readonly KubeObject[]): Verdict | undefined {
  if (o.kind === 'ConfigMap' && isKubeDnsConfigMap(o)) return kubeDnsDeletionVerdict(o);
  if (o.kind === 'Deployment') {
    const cm = baseUnit.find((b) => b.kind === 'ConfigMap' && b.name === 'coredns' && isClusterDnsConfigMap(b));
    return {
      key: 'cluster-dns',
      severity: 'high',
      what: `CoreDNS Deployment ${quote(nsName(o))}`,
      consequence:
        'name resolution stops for every pod there as soon as the CoreDNS pods terminate: CoreDNS\'s cache lives in those pods and goes with them, and only answers cached outside CoreDNS (NodeLocal DNSCache, client libraries) survive, for at most the TTL CoreDNS gave them: ' +
        ttlText(corefileOf(cm)),
      lockOut: DNS_LOCKOUT,
    };
  }
  if (o.name === 'coredns') {
    return {
      key: 'cluster-dns',
      severity: 'high',
      what: `CoreDNS ConfigMap ${quote(nsName(o))}`,
      consequence:
        'running CoreDNS pods keep the Corefile they mounted, but every CoreDNS pod created from now on (a rollout, a node drain, an eviction, the autoscaler adding replicas) cannot mount it and never starts, so name resolution for every pod there fails as the running ones are replaced',
      lockOut: DNS_LOCKOUT,
    };
  }
  return {
    key: 'cluster-dns',
    severity: 'medium',
    what: `CoreDNS ConfigMap ${quote(nsName(o))}`,
    consequence:
      'the server blocks and overrides CoreDNS imports from it (stub domains, forwarders, rewrites, custom hosts) are dropped at its next reload, so every name they resolved stops resolving for every pod there',
  };
}

// ---- node networking ------------------------------------------------------------------------------------

const KUBE_PROXY_NAME = /^kube-proxy(-.+)?$/;

function isKubeProxy(o: KubeObject): boolean {
  if (KUBE_PROXY_NAME.test(o.name)) return true;
  const labels = asMap(getIn(o.doc, ['metadata', 'labels']));
  if (asString(labels?.['k8s-app']) === 'kube-proxy') return true;
  return asList(getIn(o.doc, ['spec', 'template', 'spec', 'containers'])).some((c) => /(^|\/)kube-proxy([:@]|$)/.test(asString(getIn(c, ['image'])) ?? ''));
}

/** Stands for the node count of the clusters that lose the object; filled in when the finding is reported. */
const NODES = '\u0001nodes\u0001';

function networkVerdict(o: KubeObject): Verdict {
  const lockOut =
    'a GitOps controller pod that restarts or is rescheduled gets no working network either, so reverting this in Git may never reach the cluster';
  if (isKubeProxy(o)) {
    return {
      key: 'network-daemonset',
      severity: 'high',
      what: `kube-proxy DaemonSet ${quote(nsName(o))}`,
      consequence: `nodes keep the Service rules kube-proxy last wrote, but none of the ${NODES} programs Service or endpoint changes any more: traffic to every new Service, and through Services to every pod rescheduled, scaled or rolled out after that, stops routing`,
      lockOut,
    };
  }
  return {
    key: 'network-daemonset',
    severity: 'high',
    what: `CNI DaemonSet ${quote(nsName(o))}`,
    consequence: `pods already running keep the data path the agent set up, but new pods on the ${NODES} get no working network (their CNI plugin's agent is gone: sandboxes fail, or come up without routes and policy), and routes, network policy and endpoints stop being updated for the running ones`,
    lockOut,
  };
}

// ---- CRDs -------------------------------------------------------------------------------------------------

/** Objects of a tree by `group/kind` (group `''` for the core group), built once per tree. */
const byGroupKind = new WeakMap<readonly KubeObject[], Map<string, KubeObject[]>>();

function groupKindIndex(objects: readonly KubeObject[]): Map<string, KubeObject[]> {
  let index = byGroupKind.get(objects);
  if (!index) {
    index = new Map();
    for (const o of objects) {
      const slash = o.apiVersion.indexOf('/');
      const id = `${slash < 0 ? '' : o.apiVersion.slice(0, slash)}/${o.kind}`;
      (index.get(id) ?? index.set(id, []).get(id)!).push(o);
    }
    byGroupKind.set(objects, index);
  }
  return index;
}

/** Distinct refs of the objects of `group/kind` in `objects` that reach one of `lost` on `side`. */
function customResources(objects: readonly KubeObject[], group: string, kind: string, lost: ReadonlySet<string>, fleet: Fleet, side: 'base' | 'head'): Set<string> {
  const refs = new Set<string>();
  for (const cr of groupKindIndex(objects).get(`${group}/${kind}`) ?? []) {
    if (fleet.clustersOfObject(cr, side).some((c) => lost.has(c))) refs.add(cr.ref);
  }
  return refs;
}

function crdVerdict(o: KubeObject, lost: ReadonlySet<string>, ctx: ChangeContext): Verdict {
  const what = `CustomResourceDefinition ${quote(o.name)}`;
  const head = 'deleting a CRD deletes every custom resource of that type in the cluster';
  const group = asString(getIn(o.doc, ['spec', 'group']));
  const kind = asString(getIn(o.doc, ['spec', 'names', 'kind']));
  if (!group || !kind) {
    return { key: 'crd', severity: 'medium', what, consequence: `${head}, including any created outside Git by controllers or users` };
  }
  const type = `every ${kind} (${group})`;
  const onBase = customResources(ctx.base.objects, group, kind, lost, ctx.fleet, 'base');
  const kept = customResources(ctx.head.objects, group, kind, lost, ctx.fleet, 'head');
  const check = `kubectl get ${o.name} --all-namespaces`;
  if (kept.size > 0) {
    const n = kept.size;
    return {
      key: 'crd',
      severity: 'high',
      what,
      consequence:
        `${head}: ${type} there goes, including ${n === 1 ? 'the one' : `the ${formatCount(n)}`} this repository still applies (${listing([...kept].sort(cmp).slice(0, 3).map(quote))}${n > 3 ? ' …' : ''}), ` +
        `which then ${n === 1 ? 'fails' : 'fail'} to sync (no matches for kind ${quote(kind)}), and any created outside Git by controllers or users`,
    };
  }
  if (onBase.size > 0) {
    const n = onBase.size;
    return {
      key: 'crd',
      severity: 'medium',
      what,
      consequence: `${head}: ${type} there goes; ${n === 1 ? 'the one' : `the ${formatCount(n)}`} in this repository ${n === 1 ? 'is' : 'are'} deleted by this change too, but so is any created outside Git by controllers or users (check with ${check})`,
    };
  }
  return {
    key: 'crd',
    severity: 'medium',
    what,
    consequence: `${head}: ${type} there goes; none is in this repository, so what is lost is whatever controllers and users created in the cluster (check with ${check})`,
  };
}

// ---- APF --------------------------------------------------------------------------------------------------

function apfVerdict(o: KubeObject, headUnit: readonly KubeObject[]): Verdict | undefined {
  if (APF_MANDATORY.has(o.name)) return undefined; // the API server keeps it in existence with a fixed spec
  const what = `${o.kind} ${quote(o.name)}`;
  if (APF_SUGGESTED[o.kind]?.has(o.name)) {
    if (annotation(o, APF_AUTOUPDATE) === 'true') return undefined; // the API server owned its spec already
    return {
      key: 'apf',
      severity: 'low',
      what,
      consequence: `it is part of the API server's suggested APF configuration, which every kube-apiserver restores within about a minute of a deletion with its built-in spec, so this only drops the tuning the repository gave it (its spec reverts to the default)`,
      remediation:
        'Keep the object with `apf.kubernetes.io/autoupdate-spec: "false"` while its tuning matters, or set the annotation to "true" first so the API server owns its spec, then remove it from the repository.',
    };
  }
  if (o.kind === 'FlowSchema') {
    const level = asString(getIn(o.doc, ['spec', 'priorityLevelConfiguration', 'name']));
    const precedence = asString(getIn(o.doc, ['spec', 'matchingPrecedence'])) ?? '1000';
    const fallThrough =
      `the requests it classified (matchingPrecedence ${precedence}${level ? `, priority level ${quote(level)}` : ''}) fall through to the next FlowSchema that matches them ` +
      '(with the suggested configuration: kube-system service accounts to "kube-system-service-accounts" at workload-high, other service accounts to "service-accounts" at workload-low, other users to "global-default") and compete for that level\'s seats, queueing or getting HTTP 429 under load';
    return {
      key: 'apf',
      severity: 'medium',
      what,
      consequence: fallThrough,
      ...(level === 'exempt'
        ? { lockOut: 'these requests were exempt from API Priority and Fairness and now queue behind everything else exactly when the API servers are overloaded' }
        : {}),
    };
  }
  // A custom PriorityLevelConfiguration: FlowSchemas pointing at a missing level are ignored (Dangling).
  const users = headUnit
    .filter((h) => h.kind === 'FlowSchema' && h.apiVersion.startsWith(APF_GROUP) && asString(getIn(h.doc, ['spec', 'priorityLevelConfiguration', 'name'])) === o.name)
    .map((h) => h.name)
    .sort(cmp);
  if (users.length === 0) return undefined; // nothing in the repository routes to it any more
  const names = [...new Set(users)];
  return {
    key: 'apf',
    severity: 'medium',
    what,
    consequence:
      `${names.length === 1 ? 'FlowSchema' : `${names.length} FlowSchemas`} ${listing(names.map(quote))} still point${names.length === 1 ? 's' : ''} at it, and the API server ignores a FlowSchema whose priority level is missing (condition Dangling): ` +
      'their requests fall through to the next matching FlowSchema and lose the concurrency this level reserved for them',
  };
}

const APF_BREAK_GLASS = 'break-glass: a credential in group system:masters stays exempt through the mandatory FlowSchema "exempt"';

// ---- PodDisruptionBudgets ---------------------------------------------------------------------------------






function lastPdbVerdict(pdb: KubeObject, headUnit: readonly KubeObject[]): Verdict | undefined {
  const others = headUnit.filter((h) => h.kind === 'PodDisruptionBudget' && h.namespace === pdb.namespace && h.apiVersion.startsWith('policy/'));
  const exposed: string[] = [];
  let most = 0;
  for (const w of headUnit) {
    if ((w.kind !== 'Deployment' && w.kind !== 'StatefulSet') || w.namespace !== pdb.namespace) continue;
    const labels = stringMap(getIn(w.doc, ['spec', 'template', 'metadata', 'labels']));
    if (!pdbSelects(pdb, labels)) continue;
    const r = replicasOf(w, headUnit);
    if (!r || r.n < 2 || !pdbProtects(pdb, r.n)) continue;
    if (others.some((p) => pdbSelects(p, labels) && pdbProtects(p, r.n))) continue;
    exposed.push(`${w.kind} ${quote(nsName(w))} (${r.hpa ? `at least ${formatCount(r.n)} replicas, HorizontalPodAutoscaler minReplicas` : `${formatCount(r.n)} replicas`})`);
    most = Math.max(most, r.n);
  }
  if (exposed.length === 0) return undefined;
  exposed.sort(cmp);
  return {
    key: 'last-pdb',
    severity: 'medium',
    what: `PodDisruptionBudget ${quote(nsName(pdb))}`,
    consequence:
      `it was the last PodDisruptionBudget protecting ${listing(exposed)}, which this change keeps: node drains, cluster upgrades and autoscaler scale-downs can now evict ` +
      `${exposed.length === 1 ? `all ${formatCount(most)} replicas` : 'all their replicas'} at once`,
  };
}

// ---- the rule ---------------------------------------------------------------------------------------------

function shortCommit(sha: string): string {
  return /^[0-9a-f]{40}$/i.test(sha) ? sha.slice(0, 12) : sha;
}

export const deletion: ChangeRule = {
  meta: {
    id: 'blast-radius/deletion',
    family: 'blast-radius',
    type: 'change',
    severity: 'high',
    description:
      'Flag deletions that break a whole cluster: CoreDNS or the kube-dns ConfigMap, kube-proxy or a CNI DaemonSet, a CustomResourceDefinition (its custom resources go with it), an API Priority and Fairness object, or the last PodDisruptionBudget of a multi-replica workload, with the clusters and nodes that lose it.',
    docs: 'docs/rules/blast-radius/deletion.md',
    remediation:
      'Keep what the clusters need, or stop managing it without deleting it (the GitOps prune annotations, in an earlier pull request), and remove it one cluster at a time once nothing depends on it.',
  },
  check(ctx: ChangeContext) {
    const deleted: Array<{ o: KubeObject; key: Key }> = [];
    for (const p of changedPairs(ctx.base, ctx.head, KINDS)) {
      if (!p.base || p.head) continue;
      const key = keyOf(p.base);
      if (!key || pruneDisabled(p.base)) continue;
      // A file the head can no longer parse (or now skips) loses its objects here, not in the cluster: applying
      // it fails, and the parse error is reported on its own.
      const headFile = ctx.head.files.get((p.base.source ?? p.base).file);
      if (headFile?.error || headFile?.skipped) continue;
      deleted.push({ o: p.base, key });
    }
    if (deleted.length === 0) return;

    // Clusters where the head still has each ref (in any unit): those do not lose it.
    const refs = new Set(deleted.map((d) => d.o.ref));
    const kept = new Map<string, Set<string>>();
    for (const h of ofKinds(ctx.head.objects, KINDS)) {
      if (!refs.has(h.ref)) continue;
      const set = kept.get(h.ref) ?? kept.set(h.ref, new Set()).get(h.ref)!;
      for (const c of ctx.fleet.clustersOfObject(h, 'head')) set.add(c);
    }

    const baseUnits = objectsByUnit(ctx.base.objects);
    const headUnits = objectsByUnit(ctx.head.objects);
    const groups = new Map<string, Group>();
    const sourceIds = new Map<KubeObject, number>();
    for (const { o, key } of deleted) {
      const still = kept.get(o.ref);
      const lost = new Set(ctx.fleet.clustersOfObject(o, 'base').filter((c) => !still?.has(c)));
      if (lost.size === 0) continue;
      const headUnit = headUnits.get(o.unit) ?? [];
      let verdict: Verdict | undefined;
      switch (key) {
        case 'cluster-dns':
          verdict = clusterDnsVerdict(o, baseUnits.get(o.unit) ?? []);
          break;
        case 'network-daemonset':
          verdict = networkVerdict(o);
          break;
        case 'crd':
          verdict = crdVerdict(o, lost, ctx);
          break;
        case 'apf':
          verdict = apfVerdict(o, headUnit);
          break;
        case 'last-pdb':
          verdict = lastPdbVerdict(o, headUnit);
          break;
      }
      if (!verdict) continue;
      const source = o.source ?? o;
      if (!sourceIds.has(source)) sourceIds.set(source, sourceIds.size);
      const id = [sourceIds.get(source), o.ref, verdict.key, verdict.severity, verdict.what, verdict.consequence, verdict.lockOut ?? ''].join('\u0000');
      const group = groups.get(id) ?? groups.set(id, { object: o, verdict, clusters: new Set() }).get(id)!;
      for (const c of lost) group.clusters.add(c);
    }

    const base = shortCommit(ctx.changes.base);
    for (const { object: o, verdict: v, clusters: names } of groups.values()) {
      const reach = reachOf(ctx.fleet, names);
      if (reach.clusters.length === 0) continue;
      const consequence = v.consequence.split(NODES).join(nodesText(reach));
      let message = `deleted ${v.what} (its line is on the base commit ${base}) from ${reachText(reach)}; ${consequence}`;
      if (v.lockOut) {
        const file = (o.source ?? o).file;
        const breakGlass =
          v.key === 'apf'
            ? APF_BREAK_GLASS
            : `break-glass: re-apply it from the base commit with kubectl, using a kubeconfig that reaches the API server directly (git show ${base}:${file} | kubectl apply -f -, built with kustomize when an overlay patches it)`;
        message += `; lock-out risk: ${v.lockOut}; ${breakGlass}`;
      }
      ctx.report({
        key: v.key,
        severity: v.severity,
        message,
        remediation: v.remediation ?? REMEDIATION[v.key],
        at: { object: o, path: ['metadata', 'name'] },
        clusters: reach.clusters.map((c) => c.name),
        data: {
          deleted: true,
          totalNodes: reach.nodes,
          clusters: reach.clusters.map((c) => ({ cluster: c.name, nodes: c.nodes, nodesAssumed: c.nodesAssumed })),
        },
      });
    }
  },
};
