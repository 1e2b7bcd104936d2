/**
 * blast-radius/cluster-dns — changes to cluster DNS (CoreDNS): the Corefile in the `coredns` /
 * `coredns-custom` ConfigMaps and the CoreDNS Deployment (RULEBOOK C.3, CRIT-DNS-1 to 3).
 *
 * A change rule. Objects are paired per deployable unit (`pairObjects`); copies of one source across units
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
 *
 * A CoreDNS ConfigMap or Deployment new in a cluster (no base copy in any of its clusters) takes over what
 * the cluster runs today, which the diff cannot show: medium (`corefile` / `deployment`); a new
 * `coredns-custom` is judged as a change from empty (it is empty by default where it exists). Deleted
 * objects are left to blast-radius/deletion.
 */
import type { ChangeContext, ChangeRule, Fleet } from '../../src/rule.js';
import type { KubeObject, ObjectLocation, Severity, YamlPath } from '../../src/types.js';
import { pairObjects, sameValue } from '../../src/changes.js';
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
  'Roll Corefile and CoreDNS Deployment changes to one small cluster first and widen them in later pull requests, waiting at least the CoreDNS cache TTL between stages.';
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
      'Flag changes to cluster DNS: Corefile plugins of the CoreDNS ConfigMaps (high for kubernetes, forward, cache or loop reaching the whole fleet), lowered cache TTLs, and CoreDNS Deployment template, replica and rollout changes, with the bake time the cache TTL calls for.',
    docs: 'docs/rules/blast-radius/cluster-dns.md',
    remediation: REMEDIATION,
  },
  check(ctx: ChangeContext) {
    const pairs = pairObjects(ctx.base, ctx.head, KINDS);
    let baseByRef: Map<string, KubeObject[]> | undefined;
    // The head's objects by unit, only once a DNS object needs them.
    const unitOf = (unit: string) => objectsByUnit(ctx.head.objects).get(unit) ?? [];
    const groups = new Map<string, { verdict: Verdict; ref: string; clusters: Set<string>; units: Set<string> }>();
    const sourceIds = new Map<KubeObject, number>();

    for (const pair of pairs) {
      const head = pair.head;
      if (!head || !(head.kind === 'ConfigMap' ? isClusterDnsConfigMap(head) : isClusterDnsDeployment(head))) continue;
      if (!pair.base && !baseByRef) {
        baseByRef = new Map();
        for (const b of ctx.base.objects) if (KINDS.has(b.kind)) (baseByRef.get(b.ref) ?? baseByRef.set(b.ref, []).get(b.ref)!).push(b);
      }
      const base = counterpart(ctx, head, pair.base, baseByRef ?? new Map());
      const verdicts = verdictsOf(head, base, unitOf);
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

