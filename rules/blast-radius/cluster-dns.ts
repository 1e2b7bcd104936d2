/**
 * blast-radius/cluster-dns — changes to cluster DNS: the Corefile in the `coredns` / `coredns-custom`
 * ConfigMaps, the CoreDNS Deployment, and the kube-dns add-on's `kube-dns` ConfigMap (RULEBOOK C.3,
 * CRIT-DNS-1 to 3).
 *
 * A change rule. Objects are paired per deployable unit (`changedPairs`); copies of one source across units
 * are grouped (same source, ref and verdict) and reported once over the union of their clusters.
 *
 * - `corefile`: the PR changes a Corefile semantically (parsed with src/corefile.ts: comments, whitespace
 *   and the order of different plugins do not count; CoreDNS orders the plugin chain itself). Keys read:
 *   `Corefile` of `coredns`, `*.server` and `*.override` of `coredns-custom` (AKS and k3s import them).
 *   high when the `kubernetes`, `forward` (or the old `proxy`), `cache` or `loop` plugin changes, or a server
 *   block is added or removed, and the change reaches every cluster of a fleet of two or more (CRIT-DNS-1);
 *   medium for those otherwise, and for any other plugin that changes answers (`rewrite`, `hosts`,
 *   `template`, `autopath`, a `health` / `ready` address the probes call, …); low for plugins that do not
 *   (log, errors, prometheus, reload, …). The message gives the bake time between stages when the head
 *   Corefile's cache TTL is known: at least the TTL (plus any serve_stale window).
 * - `cache-ttl` (medium): the `cache` max TTL or the kubernetes plugin's `ttl` of a server block is lowered,
 *   or `cache` is removed from it (CRIT-DNS-2).
 * - `deployment`: the CoreDNS Deployment's pod template changes (every DNS pod is replaced): high when it
 *   reaches the whole fleet, else medium.
 * - `replicas` (medium): replicas reduced, or removed (defaults to 1) with no autoscaler for it in the unit.
 * - `max-unavailable` (medium): the rolling update now takes down more than 25 % of the DNS pods at once
 *   (more than one pod), or the strategy becomes `Recreate` (CRIT-DNS-3).
 * - `kube-dns-config`: the `kube-dns` ConfigMap (kube-dns add-on, GKE's default) changes its `stubDomains` or
 *   `upstreamNameservers` semantically (the JSON values parsed: whitespace, key order and the order of
 *   nameservers do not count, `IP:53` equals `IP`). An upstream change is like a `forward` change and a stub
 *   domain added, removed or re-pointed like a server block added or removed: high when it reaches every
 *   cluster of a fleet of two or more, medium otherwise. A head that kube-dns rejects (not JSON, wrong
 *   shape, an invalid domain or nameserver, more than 3 upstreams) is ignored by running kube-dns pods and
 *   replaced by the defaults in pods started later: high / medium as above when the base configured stub
 *   domains or upstreams (medium only when the sole problem is the upstream count), medium when it did not.
 *   Quiet when the base was rejected too. A new `kube-dns` ConfigMap is medium wherever it goes. Exported for blast-radius/deletion (and fleet-fan-out):
 *   `isKubeDnsConfigMap`, `kubeDnsConfigOf`.
 *
 * A CoreDNS ConfigMap or Deployment new in a cluster (no base copy in any of its clusters) takes over what
 * the cluster runs today, which the diff cannot show: medium (`corefile` / `deployment`); a new
 * `coredns-custom` is judged as a change from empty (it is empty by default where it exists), and so is a new
 * `kube-dns` (judged against kube-dns's defaults: no stub domains, the node's upstreams). Deleted objects are
 * left to blast-radius/deletion.
 */
import { isIP } from 'node:net';
import type { ChangeContext, ChangeRule, Fleet } from '../../src/rule.js';
import type { KubeObject, ObjectLocation, Severity, YamlPath } from '../../src/types.js';
import { changedPairs, sameValue } from '../../src/changes.js';
import { isClusterDnsConfigMap, isClusterDnsDeployment } from '../../src/critical.js';
import {
  cacheSettings,
  cacheTtlOf,
  canonical,
  directiveOf,
  kubernetesTtl,
  parseCorefile,
  parseDirectives,
  serveStaleOf,
  type Directive,
  type ServerBlock,
} from '../../src/corefile.js';
import { reachOf, reachText, type Reach } from '../../src/reach.js';
import { objectsByUnit } from '../../src/agents/kit.js';
import { formatCount } from '../../src/load-model.js';
import { listing, quote } from '../../src/text.js';
import { asMap, asString, getIn } from '../../src/yaml/walk.js';
import { cmp } from '../../src/util.js';
import { ofKinds } from '../../src/kinds.js';

const KINDS: ReadonlySet<string> = new Set(['ConfigMap', 'Deployment']);

/** Plugins whose change is CRIT-DNS-1 (RULEBOOK C.3); `proxy` is `forward`'s predecessor. */
const CRITICAL_PLUGINS: ReadonlySet<string> = new Set(['kubernetes', 'forward', 'proxy', 'cache', 'loop']);
/** Plugins that never change an answer: logging, metrics, tracing, profiling, reloading, answer order. */
const QUIET_PLUGINS: ReadonlySet<string> = new Set([
  'log', 'errors', 'prometheus', 'reload', 'debug', 'pprof', 'trace', 'metadata', 'loadbalance', 'cancel',
  'dnstap', 'nsid', 'timeouts',
]);
/** Quiet unless their listen address changes: the Deployment's liveness / readiness probes call them. */
const PROBE_PLUGINS: ReadonlySet<string> = new Set(['health', 'ready']);

/** CRIT-DNS-3: more than this share of the DNS pods down at once. */
export const MAX_UNAVAILABLE_SHARE = 0.25;

const REMEDIATION =
  'Roll Corefile, kube-dns ConfigMap and CoreDNS Deployment changes to one small cluster first and widen them in later pull requests, waiting at least the DNS cache TTL between stages.';
const REMEDIATION_COREFILE =
  'Ship the Corefile change to one small cluster first and widen it in later pull requests, waiting at least the cache TTL between stages while watching SERVFAIL rates and lookup latency.';
const REMEDIATION_TTL =
  'Keep the cache TTL and the kubernetes ttl unless the extra query load was measured, and lower them one cluster at a time while watching CoreDNS queries per second and latency.';
const REMEDIATION_DEPLOYMENT =
  'Roll a new CoreDNS pod template to one small cluster first, while the API servers are healthy, and widen it in later pull requests after waiting at least the cache TTL.';
const REMEDIATION_REPLICAS =
  'Keep at least the current number of CoreDNS replicas (or let a DNS autoscaler set it) and keep maxUnavailable at 25 % of the pods or one pod.';

// ---------------------------------------------------------------------------------------------------------
// Corefile sections of a ConfigMap

/** One data key of a DNS ConfigMap read as CoreDNS configuration. */
interface Section {
  readonly key: string;
  readonly text: string;
  /** `.override` keys hold plugin lines CoreDNS imports into its main server block. */
  readonly override: boolean;
  readonly servers: readonly ServerBlock[];
}

const OVERRIDE_ID = '(override)';

function sectionsOf(o: KubeObject): Map<string, Section> {
  const out = new Map<string, Section>();
  const data = asMap(o.doc.data);
  if (!data) return out;
  const custom = o.name === 'coredns-custom';
  for (const [key, value] of Object.entries(data)) {
    const text = asString(value);
    if (text === undefined) continue;
    if (custom ? key.endsWith('.server') : key === 'Corefile') {
      out.set(key, { key, text, override: false, servers: parseCorefile(text).servers });
    } else if (custom && key.endsWith('.override')) {
      const directives = parseDirectives(text);
      out.set(key, { key, text, override: true, servers: [{ keys: [], id: OVERRIDE_ID, snippet: false, directives, line: 0 }] });
    }
  }
  return out;
}

/** Server blocks by identity (a repeated identity gets `#2`, `#3`: CoreDNS would reject it, but never crash). */
function byId(servers: readonly ServerBlock[]): Map<string, ServerBlock> {
  const out = new Map<string, ServerBlock>();
  for (const s of servers) {
    let id = s.id;
    for (let n = 2; out.has(id); n++) id = `${s.id}#${n}`;
    out.set(id, s);
  }
  return out;
}

/** Directives by lower-case plugin name, in order. */
function byName(directives: readonly Directive[]): Map<string, Directive[]> {
  const out = new Map<string, Directive[]>();
  for (const d of directives) {
    const n = d.name.toLowerCase();
    (out.get(n) ?? out.set(n, []).get(n)!).push(d);
  }
  return out;
}

/** 0-based line, in the head text, of the first head directive (or sub-directive) that differs from the base. */
function firstDiffLine(head: readonly Directive[], base: readonly Directive[], fallback: number | undefined): number | undefined {
  for (let i = 0; i < head.length; i++) {
    const h = head[i];
    const b = base[i];
    if (b && canonical([h]) === canonical([b])) continue;
    if (b && h.name === b.name && sameArgs(h.args, b.args) && (h.block || b.block)) return firstDiffLine(h.block ?? [], b.block ?? [], h.line) ?? h.line;
    return h.line;
  }
  return fallback;
}

const sameArgs = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

type Tier = 'critical' | 'answers' | 'quiet';
const TIER_RANK: Record<Tier, number> = { quiet: 0, answers: 1, critical: 2 };

/** One difference between two Corefile sections. */
interface CorefileChange {
  readonly key: string;
  readonly server: ServerBlock;
  /** Lower-case plugin name; undefined for a whole server block. */
  readonly plugin?: string;
  readonly what: 'added' | 'removed' | 'changed';
  readonly tier: Tier;
  /** 0-based line in the head text of the key. */
  readonly innerLine?: number;
}

function pluginTier(name: string, head: readonly Directive[], base: readonly Directive[]): Tier {
  if (CRITICAL_PLUGINS.has(name)) return 'critical';
  if (QUIET_PLUGINS.has(name)) return 'quiet';
  if (PROBE_PLUGINS.has(name)) {
    // Only the listen address matters to the probes; `lameduck` and the like do not change answers.
    const address = (ds: readonly Directive[]) => JSON.stringify(ds.map((d) => d.args));
    return head.length > 0 && base.length > 0 && address(head) === address(base) ? 'quiet' : 'answers';
  }
  return 'answers';
}

function diffSections(head: ReadonlyMap<string, Section>, base: ReadonlyMap<string, Section>): CorefileChange[] {
  const out: CorefileChange[] = [];
  const keys = [...new Set([...head.keys(), ...base.keys()])].sort(cmp);
  for (const key of keys) {
    const h = head.get(key);
    const b = base.get(key);
    if (h && b && h.text === b.text) continue;
    const hs = byId(h?.servers ?? []);
    const bs = byId(b?.servers ?? []);
    const override = (h ?? b)!.override;
    for (const [id, server] of hs) {
      const old = bs.get(id);
      if (!old && !override) {
        out.push({ key, server, what: 'added', tier: server.snippet ? 'answers' : 'critical', innerLine: server.line });
        continue;
      }
      out.push(...diffServer(key, server, old?.directives ?? []));
    }
    for (const [id, server] of bs) {
      if (hs.has(id)) continue;
      if (override) out.push(...diffServer(key, { ...server, directives: [] }, server.directives, true));
      else out.push({ key, server, what: 'removed', tier: server.snippet ? 'answers' : 'critical' });
    }
  }
  return out;
}

function diffServer(key: string, server: ServerBlock, base: readonly Directive[], gone = false): CorefileChange[] {
  const out: CorefileChange[] = [];
  const hp = byName(server.directives);
  const bp = byName(base);
  for (const name of [...new Set([...hp.keys(), ...bp.keys()])].sort(cmp)) {
    const h = hp.get(name) ?? [];
    const b = bp.get(name) ?? [];
    if (canonical(h) === canonical(b)) continue;
    const what = b.length === 0 ? 'added' : h.length === 0 ? 'removed' : 'changed';
    const innerLine = gone ? undefined : firstDiffLine(h, b, h.length > 0 ? h[0].line : server.keys.length > 0 ? server.line : undefined);
    out.push({ key, server, plugin: name, what, tier: pluginTier(name, h, b), innerLine });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Cache TTLs (CRIT-DNS-2)

interface TtlDrop {
  readonly key: string;
  readonly server: ServerBlock;
  readonly text: string;
  readonly innerLine?: number;
}

function ttlDrops(head: ReadonlyMap<string, Section>, base: ReadonlyMap<string, Section>): TtlDrop[] {
  const out: TtlDrop[] = [];
  for (const [key, h] of head) {
    const b = base.get(key);
    if (!b || b.text === h.text) continue;
    const bs = byId(b.servers);
    for (const [id, server] of byId(h.servers)) {
      const old = bs.get(id);
      if (!old || server.snippet) continue;
      const parts: string[] = [];
      let line: number | undefined;
      const hc = directiveOf(server.directives, 'cache');
      const bc = directiveOf(old.directives, 'cache');
      if (bc && !hc) {
        const was = cacheSettings(bc);
        parts.push(`cache plugin removed (it kept answers up to ${formatCount(Math.max(was.success, was.denial))} s)`);
        line = server.keys.length > 0 ? server.line : undefined;
      } else if (bc && hc) {
        const was = cacheSettings(bc);
        const now = cacheSettings(hc);
        if (now.success < was.success) parts.push(`cache TTL of answers lowered from ${formatCount(was.success)} s to ${formatCount(now.success)} s`);
        if (now.denial < was.denial) parts.push(`cache TTL of denials (NXDOMAIN) lowered from ${formatCount(was.denial)} s to ${formatCount(now.denial)} s`);
        if (parts.length > 0) line = firstDiffLine([hc], [bc], hc.line);
      }
      const hk = directiveOf(server.directives, 'kubernetes');
      const bk = directiveOf(old.directives, 'kubernetes');
      if (hk && bk) {
        const was = kubernetesTtl(bk);
        const now = kubernetesTtl(hk);
        if (now.ttl < was.ttl) {
          parts.push(`kubernetes plugin ttl lowered from ${formatCount(was.ttl)} s to ${formatCount(now.ttl)} s`);
          line ??= now.line;
        }
      }
      if (parts.length > 0) out.push({ key, server, text: listing(parts), innerLine: line });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Deployment facts

/** A number field (`3`, `"3"`), or undefined. */
function intOf(v: unknown): number | undefined {
  const s = asString(v);
  return s !== undefined && /^\d+$/.test(s.trim()) ? Number(s.trim()) : undefined;
}

/** How many DNS pods a rollout may take down at once, when known. */
interface Unavailable {
  readonly pods?: number;
  readonly share: number;
  readonly recreate: boolean;
  readonly written: string;
}

/** Kubernetes rounds a percentage of maxUnavailable down (`intstr.GetScaledValueFromIntOrPercent`, roundUp false). */
function unavailableOf(o: KubeObject): Unavailable | undefined {
  const spec = asMap(o.doc.spec);
  if (!spec) return undefined;
  const replicas = intOf(spec.replicas);
  const strategy = asMap(spec.strategy);
  if (asString(strategy?.type) === 'Recreate') return { pods: replicas, share: 1, recreate: true, written: 'Recreate' };
  const raw = getIn(strategy, ['rollingUpdate', 'maxUnavailable']);
  const written = asString(raw) ?? '25%';
  const pct = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(written);
  if (pct) {
    const share = Number(pct[1]) / 100;
    if (replicas === undefined || replicas === 0) return { share, recreate: false, written };
    const pods = Math.min(replicas, Math.floor(share * replicas));
    return { pods, share: pods / replicas, recreate: false, written };
  }
  const n = intOf(raw);
  if (n === undefined || replicas === undefined || replicas === 0) return undefined;
  const pods = Math.min(n, replicas);
  return { pods, share: pods / replicas, recreate: false, written };
}

/** More than 25 % of the pods, and more than one pod (one at a time is the smallest step there is). */
function tooMany(u: Unavailable | undefined): boolean {
  if (!u) return false;
  if (u.recreate) return true;
  return u.share > MAX_UNAVAILABLE_SHARE && (u.pods === undefined || u.pods > 1);
}

/** The deepest path under `path` where two values differ (first difference, head key order). */
function diffPath(a: unknown, b: unknown, path: YamlPath, depth = 0): YamlPath {
  if (depth > 24) return path;
  const ma = asMap(a);
  const mb = asMap(b);
  if (ma && mb) {
    for (const k of [...Object.keys(ma), ...Object.keys(mb).filter((k) => !(k in ma))]) {
      if (!sameValue(ma[k], mb[k])) return k in ma ? diffPath(ma[k], mb[k], [...path, k], depth + 1) : path;
    }
    return path;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return i < b.length ? diffPath(a[i], b[i], [...path, i], depth + 1) : [...path, i];
    return path;
  }
  return path;
}

function pathText(path: YamlPath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** An autoscaler for the Deployment in its unit: an HPA on it, or a cluster-proportional DNS autoscaler. */
function hasAutoscaler(o: KubeObject, unit: readonly KubeObject[]): boolean {
  return unit.some((x) => {
    if (x.kind === 'HorizontalPodAutoscaler') {
      const ref = asMap(getIn(x.doc, ['spec', 'scaleTargetRef']));
      return asString(ref?.kind) === 'Deployment' && asString(ref?.name) === o.name;
    }
    return (x.kind === 'Deployment' || x.kind === 'ConfigMap') && /dns-autoscaler|coredns-autoscaler/.test(x.name);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Verdicts and grouping

/** What the group's clusters add to a message. */
interface GroupFacts {
  readonly clusters: readonly string[];
  readonly reach: Reach;
  /**
   * The reach of the same kind of change to the same resource across every copy the PR changes (per-cluster
   * files edited together count as one fleet-wide change); `wholeFleet` comes from here.
   */
  readonly prReach: Reach;
  /** True when other files' copies widen `prReach` beyond `reach`. */
  readonly widened: boolean;
  /** Largest cache TTL of the head Corefiles of the group's units, when known. */
  readonly ttl?: number;
  readonly stale: number;
}

/** One finding-to-be for one copy; copies with the same source, ref, key and signature are merged. */
interface Verdict {
  readonly key: string;
  readonly signature: string;
  /** Verdicts of one resource with the same key and class are one change for the fleet-wide test. */
  readonly fleetClass?: string;
  readonly at: ObjectLocation;
  build(g: GroupFacts): { severity: Severity; message: string; remediation: string; data: Record<string, unknown> };
}

const nameOf = (o: KubeObject) => quote(o.namespace ? `${o.namespace}/${o.name}` : o.name);

/** `; wait at least 30 s between stages (…)`, or nothing when no cache TTL is known. */
function bakeText(g: GroupFacts): string {
  if (g.ttl === undefined) return '';
  const stale = g.stale > 0 ? ` plus ${formatCount(g.stale)} s of serve_stale` : '';
  return `; wait at least ${formatCount(g.ttl + g.stale)} s between stages (cache TTL ${formatCount(g.ttl)} s${stale} in the head Corefile) so cached answers cannot hide a failure`;
}

function bakeData(g: GroupFacts): Record<string, unknown> {
  return g.ttl === undefined ? {} : { bakeSeconds: g.ttl + g.stale, cacheTtlSeconds: g.ttl, serveStaleSeconds: g.stale };
}

function serverText(c: CorefileChange): string {
  if (c.server.id === OVERRIDE_ID) return `key ${quote(c.key)}`;
  const name = c.server.snippet ? `snippet ${quote(c.server.keys[0])}` : `server block ${quote(c.server.keys.join(' ') || '(no key)')}`;
  return c.key === 'Corefile' ? name : `${name} of key ${quote(c.key)}`;
}

/** `changes plugins "cache" and "forward" in server block ".:53" and adds server block "example.com:53"`. */
function changesText(changes: readonly CorefileChange[]): string {
  const byServer = new Map<string, { where: string; plugins: string[]; whole: string[] }>();
  for (const c of changes) {
    const where = serverText(c);
    const entry = byServer.get(where) ?? byServer.set(where, { where, plugins: [], whole: [] }).get(where)!;
    if (c.plugin === undefined) entry.whole.push(c.what === 'added' ? 'adds' : 'removes');
    else entry.plugins.push(c.what === 'changed' ? quote(c.plugin) : `${quote(c.plugin)} (${c.what})`);
  }
  const parts: string[] = [];
  for (const { where, plugins, whole } of byServer.values()) {
    for (const verb of whole) parts.push(`${verb} ${where}`);
    if (plugins.length > 0) parts.push(`changes plugin${plugins.length === 1 ? '' : 's'} ${listing(plugins)} in ${where}`);
  }
  return listing(parts);
}

const WHY_CRITICAL =
  'every pod resolves names through CoreDNS: a wrong kubernetes, forward, cache or loop setting breaks name resolution for the whole cluster at once, ' +
  'CoreDNS answers SERVFAIL for Kubernetes records until it has synced with the API server, and caches hide a failure for up to their TTL ' +
  '(OpenAI 2024-12-11: "DNS caching made the issue far less visible until the rollouts had begun fleet-wide")';
const WHY_ANSWERS = 'these plugins change the answers CoreDNS gives every pod of the cluster';
const WHY_QUIET = 'these plugins do not change the answers CoreDNS gives (logging, metrics, health, reload), but the new configuration still reaches every CoreDNS pod of the cluster';

function corefileVerdict(o: KubeObject, changes: readonly CorefileChange[], reload: boolean): Verdict {
  const tier = changes.reduce<Tier>((t, c) => (TIER_RANK[c.tier] > TIER_RANK[t] ? c.tier : t), 'quiet');
  // The finding points at the most severe change, the first in the text among equals.
  const first = [...changes].sort((a, b) => TIER_RANK[b.tier] - TIER_RANK[a.tier] || cmp(a.key, b.key) || (a.innerLine ?? Infinity) - (b.innerLine ?? Infinity))[0];
  const text = changesText(changes);
  const plugins = [...new Set(changes.flatMap((c) => (c.plugin ? [c.plugin] : [])))].sort(cmp);
  return {
    key: 'corefile',
    signature: `${tier}\u0000${text}\u0000${reload}`,
    ...(tier === 'critical' ? { fleetClass: 'critical' } : {}),
    at: { object: o, path: ['data', first.key], ...(first.innerLine !== undefined ? { innerLine: first.innerLine } : {}) },
    build(g) {
      const fleet = tier === 'critical' && g.prReach.wholeFleet;
      const severity: Severity = fleet ? 'high' : tier === 'quiet' ? 'low' : 'medium';
      let message = `the CoreDNS configuration in ConfigMap ${nameOf(o)} ${text}, in ${reachText(g.reach)}`;
      message += `; ${tier === 'critical' ? WHY_CRITICAL : tier === 'answers' ? WHY_ANSWERS : WHY_QUIET}`;
      if (fleet) message += `; one merge takes it to every cluster of the fleet${g.widened ? ' (with the copies in other files)' : ''}, so no stage can catch a failure first`;
      if (reload && tier !== 'quiet') message += '; the reload plugin applies it in every CoreDNS pod within about 1 to 2 minutes of the ConfigMap update (kubelet sync, then a 30 s ± 15 s check), not pod by pod';
      if (tier !== 'quiet') message += bakeText(g);
      return {
        severity,
        message,
        remediation: REMEDIATION_COREFILE,
        data: { plugins, servers: [...new Set(changes.map(serverText))], tier, wholeFleet: g.prReach.wholeFleet, ...bakeData(g) },
      };
    },
  };
}

function newConfigMapVerdict(o: KubeObject, key: string): Verdict {
  return {
    key: 'corefile',
    signature: 'new',
    at: { object: o, path: ['data', key] },
    build(g) {
      return {
        severity: 'medium',
        message:
          `new CoreDNS ConfigMap ${nameOf(o)} in ${reachText(g.reach)}: applying it replaces the Corefile the cluster runs today, which this diff cannot show; ` +
          `${WHY_CRITICAL}${bakeText(g)}`,
        remediation: REMEDIATION_COREFILE,
        data: { added: true, ...bakeData(g) },
      };
    },
  };
}

function ttlVerdict(o: KubeObject, drop: TtlDrop): Verdict {
  const where = serverText({ key: drop.key, server: drop.server, what: 'changed', tier: 'critical' });
  return {
    key: 'cache-ttl',
    signature: `${where}\u0000${drop.text}`,
    at: { object: o, path: ['data', drop.key], ...(drop.innerLine !== undefined ? { innerLine: drop.innerLine } : {}) },
    build(g) {
      return {
        severity: 'medium',
        message:
          `${drop.text} in ${where} of CoreDNS ConfigMap ${nameOf(o)}, in ${reachText(g.reach)}: more queries reach the kubernetes and forward backends and the upstream resolvers, ` +
          'and cached answers outlive a control-plane outage for less time (RULEBOOK C.3 CRIT-DNS-2)',
        remediation: REMEDIATION_TTL,
        data: {},
      };
    },
  };
}

const WHY_RESTART =
  'each new pod delays serving for up to 5 s until it reaches the API server and answers SERVFAIL for Kubernetes records it has not synced, ' +
  'so a rollout while the API servers are unhealthy breaks name resolution for every pod (OpenAI 2024-12-11: "DNS relies on the control plane")';

function templateVerdict(o: KubeObject, path: YamlPath, added: boolean): Verdict {
  return {
    key: 'deployment',
    signature: added ? 'new' : pathText(path),
    ...(added ? {} : { fleetClass: 'template' }),
    at: { object: o, path: added ? ['spec', 'template'] : path },
    build(g) {
      const fleet = !added && g.prReach.wholeFleet;
      const what = added
        ? `new CoreDNS Deployment ${nameOf(o)} in ${reachText(g.reach)}: applying it replaces the DNS pods the cluster runs today with this template, which this diff cannot compare`
        : `the CoreDNS Deployment ${nameOf(o)} changes its pod template (${pathText(path)}), so every DNS pod is replaced, in ${reachText(g.reach)}`;
      let message = `${what}; ${WHY_RESTART}`;
      if (fleet) message += `; one merge restarts cluster DNS in every cluster of the fleet${g.widened ? ' (with the copies in other files)' : ''}`;
      message += bakeText(g);
      return { severity: fleet ? 'high' : 'medium', message, remediation: REMEDIATION_DEPLOYMENT, data: { added, wholeFleet: g.prReach.wholeFleet, ...bakeData(g) } };
    },
  };
}

function replicasVerdict(o: KubeObject, was: number, now: number | undefined): Verdict {
  return {
    key: 'replicas',
    signature: `${was}\u0000${now}`,
    at: { object: o, path: now === undefined ? ['spec'] : ['spec', 'replicas'] },
    build(g) {
      const change =
        now === undefined
          ? `no longer sets replicas (was ${formatCount(was)}): the Deployment defaults to 1 pod unless an autoscaler outside this repository sets it`
          : `reduces replicas from ${formatCount(was)} to ${formatCount(now)}`;
      return {
        severity: 'medium',
        message:
          `the CoreDNS Deployment ${nameOf(o)} ${change}, in ${reachText(g.reach)}: fewer pods answer the DNS queries of every pod of the cluster ` +
          '(Wikimedia 2024-04-17: CoreDNS load rose from 40k to 110k req/s and overwhelmed the pods; RULEBOOK C.3 CRIT-DNS-3)',
        remediation: REMEDIATION_REPLICAS,
        data: { replicasBefore: was, replicasAfter: now ?? 1 },
      };
    },
  };
}

function unavailableVerdict(o: KubeObject, u: Unavailable): Verdict {
  return {
    key: 'max-unavailable',
    signature: `${u.written}\u0000${u.pods}\u0000${u.share}`,
    at: { object: o, path: u.recreate ? ['spec', 'strategy', 'type'] : ['spec', 'strategy', 'rollingUpdate', 'maxUnavailable'] },
    build(g) {
      const replicas = intOf(getIn(o.doc, ['spec', 'replicas']));
      const change = u.recreate
        ? 'uses strategy "Recreate": every DNS pod stops before the new ones start, so the cluster has no DNS during each rollout'
        : u.pods !== undefined && replicas !== undefined
          ? `lets a rollout take down ${formatCount(u.pods)} of ${formatCount(replicas)} pods at once (maxUnavailable ${quote(u.written)}, more than 25 %), so the rest take every DNS query of the cluster during each rollout`
          : `lets a rollout take down ${quote(u.written)} of its pods at once (more than 25 %), so the rest take every DNS query of the cluster during each rollout`;
      return {
        severity: 'medium',
        message: `the CoreDNS Deployment ${nameOf(o)} ${change}, in ${reachText(g.reach)} (RULEBOOK C.3 CRIT-DNS-3)`,
        remediation: REMEDIATION_REPLICAS,
        data: { maxUnavailable: u.written, pods: u.pods, share: u.share },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The kube-dns ConfigMap (kube-dns add-on, GKE's default cluster DNS)

/** The name of the kube-dns add-on's ConfigMap (`kube-system/kube-dns`) [S-KUBEDNS-CM]. */
export const KUBE_DNS_CONFIGMAP = 'kube-dns';

/**
 * The kube-dns add-on's ConfigMap: `ConfigMap kube-dns` in kube-system (or with no namespace written: the
 * unit's namespace is unknown). CoreDNS installs keep a `kube-dns` Service, not this ConfigMap.
 */
export function isKubeDnsConfigMap(o: KubeObject): boolean {
  return o.kind === 'ConfigMap' && o.name === KUBE_DNS_CONFIGMAP && (o.namespace === null || o.namespace === 'kube-system');
}

export type KubeDnsKey = 'stubDomains' | 'upstreamNameservers';

/** Why kube-dns rejects a kube-dns ConfigMap. */
export interface KubeDnsProblem {
  readonly key: KubeDnsKey;
  /** `stubDomains is not valid JSON (…)`. */
  readonly text: string;
  /** Written text to point at inside the key's value, when one place is to blame. */
  readonly needle?: string;
  /** Only the upstream count (more than 3): GKE's CoreDNS-based kube-dns accepts up to 15. */
  readonly soft?: boolean;
}

/** What kube-dns makes of its ConfigMap: the stub domains and upstream servers, or why it rejects it. */
export interface KubeDnsConfig {
  /** Domain → nameservers (deduplicated, sorted, `IP:53` written as `IP`); empty when absent. */
  readonly stubDomains: ReadonlyMap<string, readonly string[]>;
  /** Upstream nameservers (the same form); empty means the nameservers of the node's /etc/resolv.conf. */
  readonly upstreams: readonly string[];
  /** Non-empty when kube-dns rejects the ConfigMap (it then ignores all of it). */
  readonly problems: readonly KubeDnsProblem[];
  /** The written text of each key, for lines. */
  readonly texts: Partial<Record<KubeDnsKey, string>>;
  /** Canonical nameserver → as written (first spelling), for lines. */
  readonly written: ReadonlyMap<string, string>;
}

/** kube-dns's validation (`Config.Validate` in kubernetes/dns `pkg/dns/config/config.go`) allows at most this many upstreams. */
export const KUBE_DNS_MAX_UPSTREAMS = 3;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const isDns1123Subdomain = (s: string) => s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
/** Go's `net.ParseIP` (no IPv6 zone). */
const isIp = (s: string) => isIP(s) !== 0 && !s.includes('%');

/** Go's `net.SplitHostPort`, enough for nameservers: undefined when it would fail (no port, too many colons). */
function splitHostPort(s: string): { host: string; port: string } | undefined {
  const bracket = /^\[([^\]]*)\]:([^:]*)$/.exec(s);
  if (bracket) return { host: bracket[1], port: bracket[2] };
  const colon = s.indexOf(':');
  if (colon < 0 || s.indexOf(':', colon + 1) >= 0 || s.startsWith('[')) return undefined;
  return { host: s.slice(0, colon), port: s.slice(colon + 1) };
}

/** `10.0.0.53:53` → `10.0.0.53`, `[fd00::53]:53` → `fd00::53`: port 53 is what kube-dns uses by default. */
function canonicalServer(s: string): string {
  const hp = splitHostPort(s);
  return hp && hp.port === '53' && isIp(hp.host) ? hp.host : s;
}

/** A stub-domain nameserver kube-dns accepts: an IP or host name, with an optional port. */
function validStubServer(ns: string): boolean {
  const hp = splitHostPort(ns);
  const host = hp ? hp.host : ns;
  if (hp && hp.port !== '' && !(/^\d+$/.test(hp.port) && Number(hp.port) <= 65535)) return false;
  return isIp(host) || isDns1123Subdomain(ns);
}

/** An upstream nameserver kube-dns accepts (`ValidateNameserverIpAndPort`): an IP, or IP:port with port 1–65535. */
function validUpstream(ns: string): boolean {
  if (isIp(ns)) return true;
  const hp = splitHostPort(ns);
  return hp !== undefined && isIp(hp.host) && /^\d+$/.test(hp.port) && Number(hp.port) >= 1 && Number(hp.port) <= 65535;
}

/** What is wrong with text that is not JSON, in words a reviewer can act on. */
function jsonHint(text: string): string {
  if (text.trim() === '') return 'is empty, which is not valid JSON';
  if (/[\u201c\u201d\u2018\u2019]/.test(text)) return 'is not valid JSON: it uses typographic quotes (“ ”) where JSON needs straight double quotes';
  if (/'/.test(text) && !/"/.test(text)) return 'is not valid JSON: JSON strings need double quotes, not single quotes';
  if (/,\s*[}\]]/.test(text)) return 'is not valid JSON: it has a trailing comma';
  return 'is not valid JSON';
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

const configCache = new WeakMap<KubeObject, KubeDnsConfig | null>();

/**
 * Reads a kube-dns ConfigMap the way kube-dns does (kubernetes/dns `pkg/dns/config/sync.go`: `json.Unmarshal` of
 * `stubDomains` into `map[string][]string` and of `upstreamNameservers` into `[]string`, then `Validate`).
 * Undefined when the object cannot be a ConfigMap the API server accepts (`data` not a map, a value not a string).
 */
export function kubeDnsConfigOf(o: KubeObject): KubeDnsConfig | undefined {
  const cached = configCache.get(o);
  if (cached !== undefined) return cached ?? undefined;
  const result = readKubeDnsConfig(o);
  configCache.set(o, result ?? null);
  return result;
}

function readKubeDnsConfig(o: KubeObject): KubeDnsConfig | undefined {
  const raw = o.doc.data;
  const data = raw === undefined || raw === null ? {} : asMap(raw);
  if (!data) return undefined;
  const texts: Partial<Record<KubeDnsKey, string>> = {};
  for (const key of ['stubDomains', 'upstreamNameservers'] as const) {
    const v = data[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') return undefined;
    texts[key] = v;
  }
  const problems: KubeDnsProblem[] = [];
  const written = new Map<string, string>();
  const canon = (s: string) => {
    const c = canonicalServer(s);
    if (!written.has(c)) written.set(c, s);
    return c;
  };
  const stubDomains = new Map<string, readonly string[]>();
  if (texts.stubDomains !== undefined) {
    const parsed = parseJson(texts.stubDomains);
    if (!parsed.ok) problems.push({ key: 'stubDomains', text: `stubDomains ${jsonHint(texts.stubDomains)}` });
    else if (parsed.value !== null && (typeof parsed.value !== 'object' || Array.isArray(parsed.value))) {
      problems.push({ key: 'stubDomains', text: 'stubDomains is not a JSON object (domain → list of nameservers)' });
    } else {
      for (const [domain, servers] of Object.entries((parsed.value ?? {}) as Record<string, unknown>)) {
        if (servers !== null && (!Array.isArray(servers) || servers.some((s) => typeof s !== 'string'))) {
          problems.push({ key: 'stubDomains', text: `stub domain ${quote(domain)} does not map to a list of nameserver strings`, needle: domain });
          continue;
        }
        const list = (servers ?? []) as string[];
        if (!isDns1123Subdomain(domain)) {
          problems.push({ key: 'stubDomains', text: `stub domain ${quote(domain)} is not a valid domain for kube-dns (lower-case DNS-1123 subdomain, no trailing dot)`, needle: domain });
        }
        for (const ns of list) {
          if (!validStubServer(ns)) problems.push({ key: 'stubDomains', text: `nameserver ${quote(ns)} of stub domain ${quote(domain)} is not an IP address or host name (with an optional port)`, needle: ns });
        }
        stubDomains.set(domain, [...new Set(list.map(canon))].sort(cmp));
      }
    }
  }
  let upstreams: string[] = [];
  if (texts.upstreamNameservers !== undefined) {
    const parsed = parseJson(texts.upstreamNameservers);
    if (!parsed.ok) problems.push({ key: 'upstreamNameservers', text: `upstreamNameservers ${jsonHint(texts.upstreamNameservers)}` });
    else if (parsed.value !== null && (!Array.isArray(parsed.value) || parsed.value.some((s) => typeof s !== 'string'))) {
      problems.push({ key: 'upstreamNameservers', text: 'upstreamNameservers is not a JSON list of nameserver strings' });
    } else {
      const list = (parsed.value ?? []) as string[];
      for (const ns of list) {
        if (!validUpstream(ns)) problems.push({ key: 'upstreamNameservers', text: `upstream nameserver ${quote(ns)} is not an IP address or IP:port`, needle: ns });
      }
      if (list.length > KUBE_DNS_MAX_UPSTREAMS) {
        problems.push({ key: 'upstreamNameservers', text: `upstreamNameservers lists ${list.length} servers, more than the ${KUBE_DNS_MAX_UPSTREAMS} kube-dns accepts`, soft: true });
      }
      upstreams = [...new Set(list.map(canon))].sort(cmp);
    }
  }
  return { stubDomains, upstreams, problems, texts, written };
}

/** True when kube-dns runs its defaults with this configuration: no stub domains, the node's upstreams. */
export function isDefaultKubeDnsConfig(c: KubeDnsConfig): boolean {
  return c.problems.length === 0 && c.upstreams.length === 0 && c.stubDomains.size === 0;
}

const servers = (list: readonly string[]) => (list.length === 0 ? 'no nameserver' : listing(list.map(quote)));

/** One difference between the kube-dns configurations of the base and the head. */
interface KubeDnsChange {
  readonly key: KubeDnsKey;
  readonly text: string;
  /** A canonical domain or nameserver new in the head, to point at. */
  readonly point?: string;
}

function diffKubeDns(head: KubeDnsConfig, base: KubeDnsConfig): KubeDnsChange[] {
  const out: KubeDnsChange[] = [];
  const domains = [...new Set([...head.stubDomains.keys(), ...base.stubDomains.keys()])].sort(cmp);
  for (const d of domains) {
    const now = head.stubDomains.get(d);
    const was = base.stubDomains.get(d);
    if (now && !was) out.push({ key: 'stubDomains', text: `adds stub domain ${quote(d)} (${servers(now)})`, point: d });
    else if (was && !now) out.push({ key: 'stubDomains', text: `removes stub domain ${quote(d)} (was ${servers(was)}): its names go to the upstream servers, which do not serve a private zone` });
    else if (now && was && !sameArgs(now, was)) {
      const added = now.find((s) => !was.includes(s));
      out.push({ key: 'stubDomains', text: `changes the nameservers of stub domain ${quote(d)} from ${servers(was)} to ${servers(now)}`, point: added === undefined ? d : (head.written.get(added) ?? added) });
    }
  }
  if (!sameArgs(head.upstreams, base.upstreams)) {
    const added = head.upstreams.find((s) => !base.upstreams.includes(s));
    const point = added === undefined ? undefined : (head.written.get(added) ?? added);
    if (base.upstreams.length === 0) {
      out.push({ key: 'upstreamNameservers', text: `sets upstreamNameservers to ${servers(head.upstreams)} (was: the nameservers of the node's /etc/resolv.conf)`, point });
    } else if (head.upstreams.length === 0) {
      out.push({ key: 'upstreamNameservers', text: `removes upstreamNameservers (was ${servers(base.upstreams)}): kube-dns goes back to the nameservers of the node's /etc/resolv.conf` });
    } else {
      out.push({ key: 'upstreamNameservers', text: `changes upstreamNameservers from ${servers(base.upstreams)} to ${servers(head.upstreams)}`, point });
    }
  }
  return out;
}

/** 0-based line, in `text`, of the first line holding `"needle"` (or `needle`). */
function lineIn(text: string | undefined, needle: string | undefined): number | undefined {
  if (text === undefined || needle === undefined) return undefined;
  const lines = text.split('\n');
  for (const probe of [JSON.stringify(needle), needle]) {
    const i = lines.findIndex((l) => l.includes(probe));
    if (i >= 0) return i;
  }
  return undefined;
}

const KUBE_DNS_RELOAD =
  'kube-dns and dnsmasq-nanny re-read the mounted ConfigMap every 10 s once the kubelet has synced it (about a minute), and dnsmasq-nanny restarts dnsmasq with the new servers in every kube-dns pod at the same time, not pod by pod';
const KUBE_DNS_CACHES =
  'caches in front of kube-dns (NodeLocal DNSCache, client libraries) keep serving earlier answers for up to their TTL, so a failure can stay hidden until they expire ' +
  '(OpenAI 2024-12-11: "DNS caching made the issue far less visible until the rollouts had begun fleet-wide")';
const KUBE_DNS_DEFAULTS = 'no stub domains, upstream servers from the node\'s /etc/resolv.conf';
const REMEDIATION_KUBE_DNS =
  'Ship kube-dns stub-domain and upstream changes to one small cluster first and widen them in later pull requests, checking from a pod there that names under each stub domain and external names still resolve before the next stage.';
const REMEDIATION_KUBE_DNS_INVALID =
  'Write stubDomains as a JSON object of lower-case domains to lists of nameserver IPs and upstreamNameservers as a JSON list of at most 3 IPs (check with `jq . <<< "$value"`), and ship it to one small cluster first.';

function whyKubeDns(keys: ReadonlySet<KubeDnsKey>): string {
  const parts: string[] = [];
  if (keys.has('stubDomains')) {
    parts.push('every pod resolves names under the stub domains through kube-dns (dnsPolicy ClusterFirst), so a wrong or unreachable stub nameserver breaks them for the whole cluster at once');
  }
  if (keys.has('upstreamNameservers')) {
    parts.push(
      'every pod resolves external names (outside the cluster domain and the stub domains) through the upstream servers, so a wrong or unreachable upstream breaks external name resolution for the whole cluster at once',
    );
  }
  return parts.join('; ');
}

function kubeDnsChangeVerdict(o: KubeObject, head: KubeDnsConfig, changes: readonly KubeDnsChange[], was: 'valid' | 'new' | 'rejected'): Verdict {
  const text = listing(changes.map((c) => c.text));
  const first = changes.find((c) => c.point !== undefined) ?? changes[0];
  const innerLine = lineIn(head.texts[first.key], first.point);
  const keys = new Set(changes.map((c) => c.key));
  return {
    key: 'kube-dns-config',
    signature: `${was}\u0000${text}`,
    // A new ConfigMap usually brings the live one under management: medium, as a new Corefile is.
    ...(was === 'new' ? {} : { fleetClass: 'kube-dns' }),
    at: { object: o, path: ['data', first.key], ...(innerLine !== undefined ? { innerLine } : {}) },
    build(g) {
      const fleet = was !== 'new' && g.prReach.wholeFleet;
      let message = `the kube-dns configuration in ConfigMap ${nameOf(o)} ${text}, in ${reachText(g.reach)}`;
      if (was === 'new') {
        message += `; the ConfigMap is new in the repository, so it is judged against kube-dns's defaults (${KUBE_DNS_DEFAULTS}): applying it replaces whatever the live ConfigMap holds, which this diff cannot show`;
      } else if (was === 'rejected') {
        message += `; kube-dns rejected the base version, so it is judged against kube-dns's defaults (${KUBE_DNS_DEFAULTS}), which every kube-dns pod started since then runs`;
      }
      message += `; ${whyKubeDns(keys)}; ${KUBE_DNS_CACHES}; ${KUBE_DNS_RELOAD}`;
      if (fleet) message += `; one merge takes it to every cluster of the fleet${g.widened ? ' (with the copies in other files)' : ''}, so no stage can catch a failure first`;
      return {
        severity: fleet ? 'high' : 'medium',
        message,
        remediation: REMEDIATION_KUBE_DNS,
        data: {
          stubDomains: Object.fromEntries(head.stubDomains),
          upstreamNameservers: head.upstreams,
          changedKeys: [...keys].sort(cmp),
          ...(was !== 'valid' ? { judgedAgainstDefaults: true } : {}),
          wholeFleet: g.prReach.wholeFleet,
        },
      };
    },
  };
}

function kubeDnsInvalidVerdict(o: KubeObject, head: KubeDnsConfig, base: KubeDnsConfig): Verdict {
  const problems = head.problems;
  const soft = problems.every((p) => p.soft);
  // What breaks: pods started later run the defaults instead of the base configuration.
  const lost = isDefaultKubeDnsConfig(base) ? undefined : base;
  const first = problems.find((p) => p.needle !== undefined) ?? problems[0];
  const innerLine = lineIn(head.texts[first.key], first.needle);
  const text = listing(problems.map((p) => p.text));
  return {
    key: 'kube-dns-config',
    signature: `invalid\u0000${text}\u0000${lost ? 'lost' : ''}`,
    ...(soft || !lost ? {} : { fleetClass: 'kube-dns' }),
    at: { object: o, path: ['data', first.key], ...(innerLine !== undefined ? { innerLine } : {}) },
    build(g) {
      const fleet = !soft && lost !== undefined && g.prReach.wholeFleet;
      let message =
        `kube-dns rejects ConfigMap ${nameOf(o)} as this pull request writes it, in ${reachText(g.reach)}: ${text}; kube-dns and dnsmasq-nanny log "Invalid configuration …, ignoring update" and ignore the whole ConfigMap, ` +
        'so running kube-dns pods keep their previous configuration, but every kube-dns pod started afterwards (a rollout, a node drain, kube-dns-autoscaler adding replicas) starts with the defaults';
      if (lost) {
        const gone: string[] = [];
        if (lost.stubDomains.size > 0) gone.push(`stub domain${lost.stubDomains.size === 1 ? '' : 's'} ${listing([...lost.stubDomains.keys()].map(quote))} stop${lost.stubDomains.size === 1 ? 's' : ''} resolving`);
        if (lost.upstreams.length > 0) gone.push(`external names go to the node's /etc/resolv.conf instead of ${servers(lost.upstreams)}`);
        message += ` (${KUBE_DNS_DEFAULTS}): on those pods ${listing(gone)}, so lookups fail on a growing share of the DNS pods, intermittently at first`;
      } else {
        message += ` (${KUBE_DNS_DEFAULTS}), as today: the configuration this pull request means never applies`;
      }
      if (soft) message += '; the 3-server limit is that of kube-dns (kubernetes/dns, GKE\'s legacy kube-dns): GKE\'s CoreDNS-based kube-dns accepts up to 15';
      if (fleet) message += `; one merge takes it to every cluster of the fleet${g.widened ? ' (with the copies in other files)' : ''}, so no stage can catch it first`;
      return {
        severity: fleet ? 'high' : 'medium',
        message,
        remediation: REMEDIATION_KUBE_DNS_INVALID,
        data: { invalid: true, problems: problems.map((p) => p.text), wholeFleet: g.prReach.wholeFleet },
      };
    },
  };
}

const EMPTY_KUBE_DNS: KubeDnsConfig = { stubDomains: new Map(), upstreams: [], problems: [], texts: {}, written: new Map() };

/**
 * Verdicts on a kube-dns ConfigMap: semantic changes of stubDomains / upstreamNameservers, or a head kube-dns
 * rejects. A new ConfigMap (no base copy) and a rejected base are compared with kube-dns's defaults.
 */
function kubeDnsVerdicts(head: KubeObject, base: KubeObject | undefined): Verdict[] {
  if (base && (base.doc === head.doc || sameValue(base.doc, head.doc))) return [];
  const h = kubeDnsConfigOf(head);
  const b = base ? kubeDnsConfigOf(base) : EMPTY_KUBE_DNS;
  if (!h || !b) return [];
  if (h.problems.length > 0) {
    // Rejected before and after: kube-dns behaves as it did (this pull request makes nothing new).
    if (b.problems.length > 0) return [];
    return [kubeDnsInvalidVerdict(head, h, b)];
  }
  const rejected = b.problems.length > 0;
  const changes = diffKubeDns(h, rejected ? EMPTY_KUBE_DNS : b);
  if (changes.length === 0) return [];
  return [kubeDnsChangeVerdict(head, h, changes, !base ? 'new' : rejected ? 'rejected' : 'valid')];
}

// ---------------------------------------------------------------------------------------------------------
// The rule

/** The base copy to compare with: the unit's own, else one of the same ref in a cluster the head copy reaches. */
function counterpart(ctx: ChangeContext, head: KubeObject, paired: KubeObject | undefined, baseByRef: Map<string, KubeObject[]>): KubeObject | undefined {
  if (paired) return paired;
  const clusters = new Set(ctx.fleet.clustersOfObject(head, 'head'));
  return baseByRef.get(head.ref)?.find((b) => ctx.fleet.clustersOfObject(b, 'base').some((c) => clusters.has(c)));
}

/** Largest cache TTL and serve_stale window of the head Corefiles of a unit. */
function unitCache(objects: readonly KubeObject[]): { ttl?: number; stale: number } {
  let ttl: number | undefined;
  let stale = 0;
  for (const x of objects) {
    if (x.kind !== 'ConfigMap' || !isClusterDnsConfigMap(x)) continue;
    for (const s of sectionsOf(x).values()) {
      if (s.override) continue;
      const t = cacheTtlOf(s.text);
      if (t !== undefined) ttl = Math.max(ttl ?? 0, t);
      stale = Math.max(stale, serveStaleOf(s.text));
    }
  }
  return { ttl, stale };
}

function verdictsOf(head: KubeObject, base: KubeObject | undefined, unitOf: (unit: string) => readonly KubeObject[]): Verdict[] {
  if (base && (base.doc === head.doc || sameValue(base.doc, head.doc))) return [];
  const out: Verdict[] = [];
  if (head.kind === 'ConfigMap') {
    const hs = sectionsOf(head);
    if (!base && head.name !== 'coredns-custom') {
      if (hs.size > 0) out.push(newConfigMapVerdict(head, [...hs.keys()][0]));
      return out;
    }
    const bs = base ? sectionsOf(base) : new Map<string, Section>();
    const changes = diffSections(hs, bs);
    if (changes.length > 0) {
      const reload = [...hs.values()].some((s) => s.key === 'Corefile' && s.servers.some((v) => directiveOf(v.directives, 'reload')));
      out.push(corefileVerdict(head, changes, reload && changes.some((c) => c.key === 'Corefile')));
    }
    for (const drop of ttlDrops(hs, bs)) out.push(ttlVerdict(head, drop));
    return out;
  }

  // Deployment
  const template = getIn(head.doc, ['spec', 'template']);
  if (!base) {
    if (template !== undefined) out.push(templateVerdict(head, ['spec', 'template'], true));
  } else {
    const old = getIn(base.doc, ['spec', 'template']);
    if (!sameValue(template, old)) out.push(templateVerdict(head, diffPath(template, old, ['spec', 'template']), false));
    const was = intOf(getIn(base.doc, ['spec', 'replicas']));
    const rawNow = getIn(head.doc, ['spec', 'replicas']);
    const now = intOf(rawNow);
    if (was !== undefined && now !== undefined && now < was) out.push(replicasVerdict(head, was, now));
    else if (was !== undefined && was > 1 && rawNow === undefined && !hasAutoscaler(head, unitOf(head.unit))) out.push(replicasVerdict(head, was, undefined));
  }
  const u = unavailableOf(head);
  if (tooMany(u)) {
    const before = base ? unavailableOf(base) : undefined;
    if (!tooMany(before) || before!.share < u!.share) out.push(unavailableVerdict(head, u!));
  }
  return out;
}

export const clusterDns: ChangeRule = {
  meta: {
    id: 'blast-radius/cluster-dns',
    family: 'blast-radius',
    type: 'change',
    severity: 'high',
    description:
      'Flag changes to cluster DNS: Corefile plugins of the CoreDNS ConfigMaps (high for kubernetes, forward, cache or loop reaching the whole fleet), stub domains and upstream nameservers of the kube-dns ConfigMap, lowered cache TTLs, and CoreDNS Deployment template, replica and rollout changes, with the bake time the cache TTL calls for.',
    docs: 'docs/rules/blast-radius/cluster-dns.md',
    remediation: REMEDIATION,
  },
  check(ctx: ChangeContext) {
    const pairs = changedPairs(ctx.base, ctx.head, KINDS);
    let baseByRef: Map<string, KubeObject[]> | undefined;
    // The head's objects by unit, only once a DNS object needs them.
    const unitOf = (unit: string) => objectsByUnit(ctx.head.objects).get(unit) ?? [];
    const groups = new Map<string, { verdict: Verdict; ref: string; clusters: Set<string>; units: Set<string> }>();
    const sourceIds = new Map<KubeObject, number>();

    for (const pair of pairs) {
      const head = pair.head;
      if (!head) continue;
      const kubeDns = isKubeDnsConfigMap(head);
      if (!kubeDns && !(head.kind === 'ConfigMap' ? isClusterDnsConfigMap(head) : isClusterDnsDeployment(head))) continue;
      if (!pair.base && !baseByRef) {
        baseByRef = new Map();
        for (const b of ofKinds(ctx.base.objects, KINDS)) (baseByRef.get(b.ref) ?? baseByRef.set(b.ref, []).get(b.ref)!).push(b);
      }
      const base = counterpart(ctx, head, pair.base, baseByRef ?? new Map());
      const verdicts = kubeDns ? kubeDnsVerdicts(head, base) : verdictsOf(head, base, unitOf);
      if (verdicts.length === 0) continue;
      const source = head.source ?? head;
      if (!sourceIds.has(source)) sourceIds.set(source, sourceIds.size);
      for (const v of verdicts) {
        const id = `${sourceIds.get(source)}\u0000${head.ref}\u0000${v.key}\u0000${v.signature}`;
        const g = groups.get(id) ?? groups.set(id, { verdict: v, ref: head.ref, clusters: new Set(), units: new Set() }).get(id)!;
        for (const c of ctx.fleet.clustersOfObject(head, 'head')) g.clusters.add(c);
        g.units.add(head.unit);
      }
    }

    // Clusters of every copy of a resource changed the same way (per-cluster files edited together).
    const wide = new Map<string, Set<string>>();
    for (const { verdict, ref, clusters } of groups.values()) {
      if (verdict.fleetClass === undefined) continue;
      const id = `${ref}\u0000${verdict.key}\u0000${verdict.fleetClass}`;
      const set = wide.get(id) ?? wide.set(id, new Set()).get(id)!;
      for (const c of clusters) set.add(c);
    }

    for (const { verdict, ref, clusters, units: unitNames } of groups.values()) {
      const all = verdict.fleetClass === undefined ? clusters : wide.get(`${ref}\u0000${verdict.key}\u0000${verdict.fleetClass}`)!;
      const facts = groupFacts(ctx.fleet, clusters, all, [...unitNames].map((u) => unitCache(unitOf(u))));
      const { severity, message, remediation, data } = verdict.build(facts);
      ctx.report({
        key: verdict.key,
        severity,
        message,
        remediation,
        at: verdict.at,
        clusters: facts.clusters,
        data: { ...data, clusters: facts.clusters, totalNodes: facts.reach.nodes },
      });
    }
  },
};

function groupFacts(fleet: Fleet, names: ReadonlySet<string>, all: ReadonlySet<string>, caches: readonly { ttl?: number; stale: number }[]): GroupFacts {
  const reach = reachOf(fleet, names);
  const prReach = reachOf(fleet, all);
  // Clusters the fleet does not list (none expected) are kept by name so the finding still says where it lands.
  const known = new Set(reach.clusters.map((c) => c.name));
  const clusters = [...reach.clusters.map((c) => c.name), ...[...names].filter((n) => !known.has(n)).sort(cmp)];
  const ttls = caches.flatMap((c) => (c.ttl === undefined ? [] : [c.ttl]));
  return {
    clusters,
    reach,
    prReach,
    widened: all.size > names.size,
    ...(ttls.length > 0 ? { ttl: Math.max(...ttls) } : {}),
    stale: Math.max(0, ...caches.map((c) => c.stale)),
  };
}

