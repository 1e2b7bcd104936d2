/**
 * watch-all/agent-poll-interval — a generic per-node agent config that watches everything cluster-wide
 * (`watch_all_*: true`, `watch: all`, `watchAll: true`) or polls the API server faster than once a second
 * (`poll_interval_ms: 100`, `resync_period: 500ms`, `--resync-period=0.5s`), RULEBOOK A.0 (SCALE-000) and
 * the "generic agents"; severity from the load model at the largest reached cluster (B.4).
 *
 * What is read, from any config of a per-node workload the kit hands over (src/agents/config.ts):
 * - YAML documents: every mapping's keys (the walk is alias-safe); INI / TOML / River text: `key = value` and
 *   `key: value` lines, grouped by `[section]` or `block {` … `}`; container args and env: `--flag=value`,
 *   `--flag value`, a bare `--flag` (true) and `NAME=value`.
 * - Key names are compared in snake case (`watchAllPods`, `WATCH_ALL_PODS` and `--watch-all-pods` are all
 *   `watch_all_pods`).
 * - Watch-all: `watch_all_<kind>` true (the kind read cluster-wide; `watch_all_namespaces` means "every
 *   namespace", so it reads the config's kinds), `watch_all` / `watchAll` true, `watch: all`.
 * - Polling: keys `poll|polling|resync|relist|sync|list` + `interval|period|frequency|every` (optionally
 *   with a unit suffix `_ms`, `_seconds`…), and `…scrape|collection|query|refresh…_interval` keys only when
 *   they name the API (`api_`, `apiserver_`, `kube_api_`, `k8s_api_`). A Prometheus `scrape_interval` polls
 *   the scrape targets, not the API server (its Kubernetes discovery is a watch), and a `refresh_interval`
 *   re-reads files or DNS: neither counts.
 * - Durations: Go duration strings (`100ms`, `0.5s`, `1m30s`, `250us`); bare numbers take the key's unit
 *   suffix (`_ms`, `_millis`, `_s`, `_sec`, `_seconds`, `_min`, `_minutes`) and are seconds without one.
 *   Only intervals above 0 and below 1 s count (0 disables a resync in client-go and controller-runtime).
 *   A client-go informer's resync replays its local cache without an API call (RULEBOOK A.14); resync keys
 *   are flagged anyway, as the issue asks, since generic agents often re-list on them (docs say when to ignore).
 * - Kinds: `watch_all_<kind>` keys, kind names inside the interval key (`pod_resync_period`), and a kind
 *   list (`resources`, `kinds`, `resource_types`, `watch_resources`, `objects` …) in the same mapping /
 *   section as a trigger (else anywhere in the config); pods when none is named.
 *
 * The detection (one per config): `poll: { intervalMs, kinds }` with the smallest sub-second interval and
 * the count of polled kinds; reads cluster-wide for what the watch-all keys name. A poll alone does not show
 * the agent's scope, so it carries no reads (the RBAC rule keeps its "unknown"), unless the config passes a
 * `spec.nodeName=` field selector, when its pods / nodes reads are node-scoped. A config that keeps
 * watch-all off, or polls at 1 s or slower, and passes a `spec.nodeName=` field selector is quiet evidence
 * of node scoping.
 */
import type { StateRule } from '../../src/rule.js';
import { DETECTOR_FOCUS, reportDetections, type Detection, type Detector, type Read } from '../../src/agents/kit.js';
import type { AgentConfig } from '../../src/agents/config.js';
import type { ObjectLocation } from '../../src/types.js';
import { asString, walk } from '../../src/yaml/walk.js';
import { listing } from '../../src/text.js';

const REMEDIATION =
  "Poll no faster than once a second (better, watch with an informer) and scope every list to the agent's own node with a spec.nodeName field selector, or run cluster-wide collection as one Deployment.";
const REMEDIATION_WATCH =
  "Turn watch-all off and scope every list to the agent's own node with a spec.nodeName field selector, or run cluster-wide collection as one Deployment.";

/** Kind names (singular, plural, common short names) → RBAC plural. */
const KIND_NAMES: Readonly<Record<string, string>> = (() => {
  const out: Record<string, string> = {};
  const add = (plural: string, ...aliases: string[]) => {
    for (const a of [plural, ...aliases]) out[a] = plural;
  };
  add('pods', 'pod', 'po');
  add('nodes', 'node', 'no');
  add('services', 'service', 'svc');
  add('endpoints', 'endpoint', 'ep');
  add('endpointslices', 'endpointslice');
  add('events', 'event', 'ev');
  add('namespaces', 'namespace', 'ns');
  add('replicasets', 'replicaset', 'rs');
  add('deployments', 'deployment', 'deploy');
  add('daemonsets', 'daemonset', 'ds');
  add('statefulsets', 'statefulset', 'sts');
  add('jobs', 'job');
  add('cronjobs', 'cronjob', 'cj');
  add('configmaps', 'configmap', 'cm');
  add('secrets', 'secret');
  add('ingresses', 'ingress', 'ing');
  add('persistentvolumes', 'persistentvolume', 'pv');
  add('persistentvolumeclaims', 'persistentvolumeclaim', 'pvc');
  add('leases', 'lease');
  return out;
})();

/** Short names are accepted in kind lists only, never as tokens of a key (`_ns` is nanoseconds). */
const SHORT_NAMES = new Set(['po', 'no', 'svc', 'ep', 'ev', 'ns', 'rs', 'deploy', 'ds', 'sts', 'cj', 'cm', 'ing', 'pv', 'pvc']);

/** A kind name from a list item or key suffix (`Pod`, `v1/pods`, `apps/v1/ReplicaSet`, `endpoint_slices`). */
function kindOf(raw: string, allowShort = true): string | undefined {
  const s = raw.trim().toLowerCase().split('/').pop()!.replace(/[\s_.-]/g, '');
  if (!allowShort && SHORT_NAMES.has(s)) return undefined;
  return KIND_NAMES[s];
}

const KIND_LIST_KEYS = new Set([
  'resources',
  'kinds',
  'resource_types',
  'resource_kinds',
  'watch_resources',
  'watched_resources',
  'watch_kinds',
  'watched_kinds',
  'poll_resources',
  'objects',
  'object_types',
]);

const POLL_KEY = /(^|_)(poll|polling|resync|relist|sync|list)_(interval|period|frequency|freq|every)(_(ms|millis|milliseconds|s|sec|secs|seconds|min|mins|minutes))?$/;
const API_INTERVAL_KEY = /(^|_)(api|apiserver|api_server|kube_api|k8s_api|kubernetes_api)_(\w+_)?(scrape|collection|collect|query|refresh)_(interval|period|frequency)(_(ms|millis|milliseconds|s|sec|secs|seconds|min|mins|minutes))?$/;

/** `watchAllPods`, `WATCH_ALL_PODS`, `--watch-all-pods`, `watch.all` → `watch_all_pods` style. */
export function snake(key: string): string {
  return key
    .replace(/^-+/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-.\s]+/g, '_')
    .toLowerCase();
}

const GO_DURATION = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a bare number, by the key's unit suffix (seconds without one). */
function suffixMs(norm: string): number {
  if (/_(ms|millis|milliseconds)$/.test(norm)) return 1;
  if (/_(min|mins|minutes)$/.test(norm)) return 60_000;
  return 1000;
}

/**
 * A duration in milliseconds: a Go duration string (`100ms`, `0.5s`, `1m30s`), or a bare number in the unit
 * the key's suffix names (seconds without one). Undefined for anything else.
 */
export function durationMs(value: unknown, key: string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value * suffixMs(snake(key)) : undefined;
  if (typeof value !== 'string') return undefined;
  const s = value.trim().replace(/^["']|["']$/g, '');
  if (/^(\d+(\.\d*)?|\.\d+)$/.test(s)) return Number(s) * suffixMs(snake(key));
  let rest = s;
  let total = 0;
  if (!rest) return undefined;
  while (rest) {
    const m = GO_DURATION.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}

const truthy = (v: unknown) => v === true || (typeof v === 'string' && /^(true|yes|on|1)$/i.test(v.trim().replace(/^["']|["']$/g, ''))) || v === 1;

/** One `key: value` of a config, wherever it came from. */
export interface Entry {
  readonly key: string;
  readonly norm: string;
  /** A scalar, or a list of scalars as strings. */
  readonly value: unknown;
  /** The mapping / section / container the entry sits in. */
  readonly group: string;
  /** How to show it in a message: `poll_interval_ms: 100`. */
  readonly text: string;
  readonly at: ObjectLocation;
}

function show(key: string, value: unknown): string {
  const v = Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
  return JSON.stringify(`${key}: ${v}`);
}

/** A YAML config's entries: every mapping's scalar and scalar-list values. */
function yamlEntries(config: AgentConfig): Entry[] {
  const out: Entry[] = [];
  walk(config.doc, (value, path) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const group = path.join('\u0000');
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      let scalar: unknown;
      if (Array.isArray(v)) {
        const items = v.map(asString);
        if (items.some((i) => i === undefined)) continue;
        scalar = items;
      } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') scalar = v;
      else continue;
      out.push({ key, norm: snake(key), value: scalar, group, text: show(key, scalar), at: config.locate({ path: [...path, key] }) });
    }
  });
  return out;
}

function unquote(s: string): string {
  const t = s.trim();
  return /^(".*"|'.*')$/.test(t) ? t.slice(1, -1) : t;
}

/** A text value: a quoted string, a `[a, b]` list, true / false, a number, else the raw text. */
function textValue(raw: string): unknown {
  let v = raw.trim();
  // Drop a trailing comment outside quotes.
  if (!/^["']/.test(v)) v = v.replace(/\s(#|;|\/\/).*$/, '').trim();
  else {
    const q = v[0];
    const end = v.indexOf(q, 1);
    if (end > 0) return v.slice(1, end);
  }
  if (/^\[.*\]$/.test(v)) return v.slice(1, -1).split(',').map(unquote).filter((x) => x.length > 0);
  if (/^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  if (/^-?(\d+(\.\d*)?|\.\d+)$/.test(v)) return Number(v);
  return v;
}

/** INI / TOML / River text: `key = value` and `key: value` lines, grouped by section or block. */
function textEntries(config: AgentConfig): Entry[] {
  const out: Entry[] = [];
  const blocks: string[] = [];
  let section = '';
  config.text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (!t || /^(#|;|\/\/)/.test(t)) return;
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?$/.exec(t);
    if (header) {
      section = header[1];
      blocks.length = 0;
      return;
    }
    const open = /^([A-Za-z_][\w.]*)(\s+"[^"]*")?\s*\{\s*$/.exec(t);
    if (open) {
      blocks.push(`${open[1]}${open[2] ?? ''}#${i}`);
      return;
    }
    if (/^\}/.test(t)) {
      blocks.pop();
      return;
    }
    const kv = /^([A-Za-z_][\w.-]*)\s*[=:]\s*(.*)$/.exec(t);
    if (!kv) return;
    const value = textValue(kv[2]);
    out.push({ key: kv[1], norm: snake(kv[1]), value, group: [section, ...blocks].join('\u0000'), text: show(kv[1], value), at: config.locate({ line: i }) });
  });
  return out;
}

/** Container args and env, one per line: `--flag=value`, `--flag value`, `--flag`, `NAME=value`. */
function argEntries(config: AgentConfig): Entry[] {
  const out: Entry[] = [];
  const lines = config.text.split('\n');
  lines.forEach((line, i) => {
    const flag = /^--?([A-Za-z][\w.-]*)(?:=(.*))?$/.exec(line.trim());
    if (flag) {
      let value: string = flag[2] ?? 'true';
      let text = line.trim();
      const next = lines[i + 1]?.trim();
      if (flag[2] === undefined && next !== undefined && next !== '' && !next.startsWith('-') && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(next)) {
        value = next;
        text = `${line.trim()} ${next}`;
      }
      out.push({ key: flag[1], norm: snake(flag[1]), value: unquote(value), group: '', text: JSON.stringify(text), at: config.locate({ line: i }) });
      return;
    }
    const env = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (env) out.push({ key: env[1], norm: snake(env[1]), value: env[2], group: '', text: JSON.stringify(line), at: config.locate({ line: i }) });
  });
  return out;
}

export function entriesOf(config: AgentConfig): Entry[] {
  if (config.format === 'args') return argEntries(config);
  if (config.format === 'yaml' && config.doc !== null) return yamlEntries(config);
  const entries = textEntries(config);
  // A ConfigMap key holding one value (env-style, read through envFrom): the key is the setting.
  const single = config.text.trim();
  if (!entries.length && config.holder.kind === 'ConfigMap' && single && !single.includes('\n') && /^[A-Za-z_][\w.-]*$/.test(config.name)) {
    const value = textValue(single);
    return [{ key: config.name, norm: snake(config.name), value, group: '', text: show(config.name, value), at: config.locate({ line: 0 }) }];
  }
  return entries;
}

/** The kinds of a kind list (`resources: [pods, nodes]`, `resources = "pods,nodes"`), or undefined. */
function kindList(e: Entry): string[] | undefined {
  if (!KIND_LIST_KEYS.has(e.norm)) return undefined;
  const items = Array.isArray(e.value) ? (e.value as string[]) : typeof e.value === 'string' ? e.value.split(',') : [];
  const kinds = items.map((i) => kindOf(i)).filter((k): k is string => k !== undefined);
  return kinds.length ? kinds : undefined;
}

/** Kind names inside a key's tokens (`pod_resync_period` → pods). */
function kindsInKey(norm: string): string[] {
  return norm.split('_').map((t) => kindOf(t, false)).filter((k): k is string => k !== undefined);
}

/** A watch-all trigger: the kind it names, or null for "the config's kinds". Undefined when not one. */
function watchAll(e: Entry): { kind: string | null } | undefined {
  const m = /^watch_all_(\w+)$/.exec(e.norm);
  if (m) {
    if (!truthy(e.value)) return undefined;
    const kind = m[1] === 'namespaces' ? undefined : kindOf(m[1], false);
    return { kind: kind ?? null };
  }
  if (e.norm === 'watch_all' && truthy(e.value)) return { kind: null };
  if (e.norm === 'watch' && typeof e.value === 'string' && e.value.trim().toLowerCase() === 'all') return { kind: null };
  return undefined;
}

/** Packet-filter resyncs (kube-proxy style `--iptables-sync-period`) program the node, not the API server. */
const NOT_API = /(^|_)(iptables|ipvs|nftables|conntrack|route|routes|arp|xdp|bpf)(_|$)/;

export function isIntervalKey(norm: string): boolean {
  return (POLL_KEY.test(norm) || API_INTERVAL_KEY.test(norm)) && !NOT_API.test(norm);
}

/** A field selector bounding a list to the agent's node, anywhere in the config. */
function nodeFilter(config: AgentConfig): boolean {
  let text = config.text;
  if (!text) {
    try {
      text = JSON.stringify(config.doc) ?? '';
    } catch {
      text = '';
    }
  }
  return /spec\.nodeName\s*=/.test(text);
}


const uniq = (xs: readonly string[]) => [...new Set(xs)];

function formatMs(ms: number): string {
  return ms >= 1 ? `${Number(ms.toFixed(3))} ms` : `${Number((ms * 1000).toFixed(3))} µs`;
}

/** The detector: see the module comment. */
/**
 * A config (with its key name: an env-style ConfigMap key is the setting) that names none of these holds
 * no watch-all key and no API poll interval, so nothing this rule reports (node-selector evidence is only
 * given alongside one of them).
 */
const MENTIONS = /(poll|resync|relist|sync|list)[\w.-]{0,40}?(interval|period|frequency|every)|watch[_-]?all|watch[ \t]*[:=][ \t]*["']?all|api_?server[\w.-]{0,40}?interval/i;

export const detector: Detector = (config) => {
  // Cheap pre-check on the raw text (inline CR configs have none and are always read).
  if (config.text && !MENTIONS.test(config.text) && !MENTIONS.test(config.name)) return [];
  const entries = entriesOf(config);
  if (!entries.length) return [];
  const watches = entries.map((e) => ({ e, w: watchAll(e) })).filter((x): x is { e: Entry; w: { kind: string | null } } => x.w !== undefined);
  const intervals = entries
    .filter((e) => isIntervalKey(e.norm))
    .map((e) => ({ e, ms: durationMs(e.value, e.key) }))
    .filter((x): x is { e: Entry; ms: number } => x.ms !== undefined && x.ms > 0);
  const fast = intervals.filter((x) => x.ms < 1000).sort((a, b) => a.ms - b.ms);
  const filtered = nodeFilter(config);

  if (!watches.length && !fast.length) {
    // Quiet evidence: the generic agent keeps watch-all off or polls slowly, and bounds its lists to its node.
    const off = entries.some((e) => /^watch_all(_\w+)?$/.test(e.norm)) || intervals.length > 0;
    if (!off || !filtered) return [];
    const at = entries.find((e) => /spec\.nodeName\s*=/.test(String(e.value))) ?? entries[0];
    return [
      {
        key: 'node-scoped',
        what: `${at.text} bounds the agent's lists to its own node`,
        reads: [{ resource: 'pods', scope: 'node' }],
        remediation: REMEDIATION,
        at: at.at,
        quiet: true,
      },
    ];
  }

  // Kinds: watch_all_<kind> keys, lists beside a trigger (else anywhere), pods when nothing names one.
  const triggerGroups = new Set([...watches.map((x) => x.e.group), ...fast.map((x) => x.e.group)]);
  const lists = entries.map((e) => ({ e, kinds: kindList(e) })).filter((x): x is { e: Entry; kinds: string[] } => x.kinds !== undefined);
  const near = lists.filter((x) => triggerGroups.has(x.e.group));
  const listed = uniq((near.length ? near : lists).flatMap((x) => x.kinds));
  const named = uniq(watches.flatMap((x) => (x.w.kind ? [x.w.kind] : [])));
  const generic = watches.some((x) => x.w.kind === null);
  const configKinds = uniq([...named, ...listed]);

  // Cluster-wide reads: what the watch-all keys name (a generic one reads the config's list, else pods).
  const wide = uniq([...named, ...(generic ? (listed.length ? listed : named.length ? [] : ['pods']) : [])]);
  const reads: Read[] = wide.map((resource) => ({ resource, scope: 'cluster' }));

  const watchText = watches.length
    ? `${listing(watches.map((x) => x.e.text))} ${watches.length > 1 ? 'read' : 'reads'} ${listing(wide)} cluster-wide from every node`
    : '';

  if (fast.length) {
    const chosen = fast[0];
    const inKey = kindsInKey(chosen.e.norm);
    const polled = inKey.length ? uniq(inKey) : configKinds.length ? configKinds : ['pods'];
    if (!watches.length && filtered) {
      for (const k of polled) if (k === 'pods' || k === 'nodes') reads.push({ resource: k, scope: 'node' });
    }
    const scopeText = watches.length ? `; ${watchText}` : filtered ? '; its lists carry a spec.nodeName field selector, so only the rate grows with the cluster' : '; nothing in the config shows what scope the lists have';
    const detection: Detection = {
      key: `poll-interval:${chosen.e.key}`,
      what: `${chosen.e.text} polls ${listing(polled)} every ${formatMs(chosen.ms)} (sub-second) from every node, ${polled.length} ${polled.length === 1 ? 'request' : 'requests'} per interval per agent${scopeText}`,
      reads,
      poll: { intervalMs: chosen.ms, kinds: polled.length },
      remediation: REMEDIATION,
      at: chosen.e.at,
    };
    return [detection];
  }

  const first = watches[0];
  return [
    {
      key: `watch-all:${first.e.key}`,
      what: watchText,
      reads,
      remediation: REMEDIATION_WATCH,
      at: first.e.at,
    },
  ];
};

export const agentPollInterval: StateRule = {
  meta: {
    id: 'watch-all/agent-poll-interval',
    family: 'watch-all',
    type: 'state',
    severity: 'high',
    description:
      'Flag generic per-node agent configs that watch everything cluster-wide (watch_all_*, watch: all) or poll the API server faster than once a second, with severity from the load model at the largest reached cluster.',
    docs: 'docs/rules/watch-all/agent-poll-interval.md',
    remediation: REMEDIATION,
  },
  focus: DETECTOR_FOCUS,
  check(ctx) {
    reportDetections(ctx, detector);
  },
};
