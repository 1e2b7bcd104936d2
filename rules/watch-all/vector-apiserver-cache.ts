/**
 * watch-all/vector-apiserver-cache — a Vector `kubernetes_logs` source whose pod and node LISTs skip the API
 * server's watch cache (RULEBOOK A.8, SCALE-VEC-2, WARN).
 *
 * Vector's `kubernetes_logs` source is node-filtered by design (SCALE-VEC-1): it always lists pods with
 * `spec.nodeName=<self_node_name>` and its Node with `metadata.name=<self_node_name>`; only the Namespace
 * watcher is cluster-wide (namespaces are few). So every such source is evidence that the agent reads
 * node-scoped, which silences `watch-all/daemonset-cluster-watch` for it (quiet detection).
 *
 * With `use_apiserver_cache: false` — the default — kube-rs lists with `resourceVersion` unset: a consistent
 * read, which clusters before Kubernetes 1.31 (consistent reads from cache, KEP-2340) serve from etcd. etcd
 * then reads every pod of the cluster for each node's LIST and the API server filters them down to the
 * node's ~30 (KEP-2340's 5,000-node example), on every Vector rollout or restart. Flagged medium (WARN):
 * - the cluster's `kubernetesVersion` is not available to the watch-all kit, so the source is flagged
 *   whatever the version (on 1.31+ the fix is harmless);
 * - the load model counts API-server egress and request rate, not etcd reads: for a node-scoped source it
 *   stays low at any size, so a model-capped severity would never reach WARN. The severity is fixed instead.
 *
 * Configs: YAML / JSON (`sources.<id>.type: kubernetes_logs`, `sources.<id>.use_apiserver_cache`) and TOML
 * by a small line scanner (`[sources.<id>]` tables, dotted keys, and one-line inline tables).
 */
import type { StateRule } from '../../src/rule.js';
import { DETECTOR_FOCUS, reportDetections, type Detection, type Detector, type Read } from '../../src/agents/kit.js';
import type { AgentConfig } from '../../src/agents/config.js';
import type { ObjectLocation } from '../../src/types.js';
import { asMap, asString } from '../../src/yaml/walk.js';

const REMEDIATION = 'Set use_apiserver_cache: true on the kubernetes_logs source so each node lists from the API server watch cache instead of etcd.';

/** What a kubernetes_logs source reads (RULEBOOK A.8). */
const READS: readonly Read[] = [
  { resource: 'pods', scope: 'node' },
  { resource: 'nodes', scope: 'node' },
  { resource: 'namespaces', scope: 'cluster' },
];

interface Source {
  readonly id: string;
  /** true / false when set, undefined for the default (false). */
  readonly cache: boolean | undefined;
  /** The raw value as written, for the message. */
  readonly raw?: string;
  readonly atType: ObjectLocation;
  readonly atCache?: ObjectLocation;
}

function boolOf(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const s = asString(v)?.trim().toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  return undefined;
}

function yamlSources(config: AgentConfig): Source[] {
  const sources = asMap(asMap(config.doc)?.sources);
  if (!sources) return [];
  const out: Source[] = [];
  for (const [id, value] of Object.entries(sources)) {
    const src = asMap(value);
    if (!src || asString(src.type) !== 'kubernetes_logs') continue;
    const has = Object.prototype.hasOwnProperty.call(src, 'use_apiserver_cache');
    out.push({
      id,
      cache: has ? boolOf(src.use_apiserver_cache) : undefined,
      ...(has ? { raw: String(src.use_apiserver_cache), atCache: config.locate({ path: ['sources', id, 'use_apiserver_cache'] }) } : {}),
      atType: config.locate({ path: ['sources', id, 'type'] }),
    });
  }
  return out;
}

/** A TOML key path: `a.b."c-d"` → [a, b, c-d]. */
function tomlPath(s: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(\.|$)/y;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while (re.lastIndex < s.length && (m = re.exec(s))) {
    out.push(m[1] ?? m[2] ?? m[3]);
    if (m[4] === '') break;
  }
  return out;
}

function tomlScalar(raw: string): string {
  const v = raw.trim();
  const q = /^"((?:[^"\\]|\\.)*)"|^'([^']*)'/.exec(v);
  if (q) return q[1] ?? q[2];
  return v.replace(/\s+#.*$/, '').trim();
}

/** TOML: `[sources.<id>]` tables, `sources.<id>.type = …` dotted keys, `<id> = { type = …, … }` inline tables. */
function tomlSources(config: AgentConfig): Source[] {
  const found = new Map<string, { type?: string; cache?: string; typeLine?: number; cacheLine?: number }>();
  const get = (id: string) => found.get(id) ?? found.set(id, {}).get(id)!;
  let table: string[] = [];
  config.text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    const header = /^\[\[?([^\]]+)\]\]?\s*(#.*)?$/.exec(t);
    if (header) {
      table = tomlPath(header[1]);
      return;
    }
    // Key: quoted parts and bare key characters, then `=`; spaces only between parts (a lazy class
    // holding spaces before `\s*=` is quadratic on a long run of spaces).
    if (!t.includes('=')) return;
    const kv = /^((?:"[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)(?:[ \t]*\.[ \t]*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)[ \t]*=[ \t]*(.*)$/.exec(t);
    if (!kv) return;
    const path = [...table, ...tomlPath(kv[1])];
    const value = kv[2].trim();
    // Inline table: `sources.k8s = { type = "kubernetes_logs", use_apiserver_cache = false }`.
    if (value.startsWith('{') && path.length === 2 && path[0] === 'sources') {
      const s = get(path[1]);
      const type = /\btype\s*=\s*("[^"]*"|'[^']*')/.exec(value);
      const cache = /\buse_apiserver_cache\s*=\s*([A-Za-z]+)/.exec(value);
      if (type) Object.assign(s, { type: tomlScalar(type[1]), typeLine: i });
      if (cache) Object.assign(s, { cache: cache[1], cacheLine: i });
      return;
    }
    if (path.length !== 3 || path[0] !== 'sources') return;
    const s = get(path[1]);
    if (path[2] === 'type') Object.assign(s, { type: tomlScalar(value), typeLine: i });
    else if (path[2] === 'use_apiserver_cache') Object.assign(s, { cache: tomlScalar(value), cacheLine: i });
  });
  const out: Source[] = [];
  for (const [id, s] of found) {
    if (s.type !== 'kubernetes_logs' || s.typeLine === undefined) continue;
    out.push({
      id,
      cache: s.cache === undefined ? undefined : boolOf(s.cache),
      ...(s.cache !== undefined && s.cacheLine !== undefined ? { raw: s.cache, atCache: config.locate({ line: s.cacheLine }) } : {}),
      atType: config.locate({ line: s.typeLine }),
    });
  }
  return out;
}

/** The detector: see the module comment. */
export const detector: Detector = (config) => {
  if (config.format === 'args') return [];
  const sources = config.format === 'yaml' && config.doc !== null ? yamlSources(config) : config.text ? tomlSources(config) : [];
  return sources.map((s): Detection => {
    const name = JSON.stringify(s.id);
    if (s.cache === true) {
      return {
        key: `sources.${s.id}`,
        what: `source ${name} (kubernetes_logs) lists its node's pods and its Node with field selectors, from the API server watch cache ("use_apiserver_cache: true")`,
        reads: READS,
        remediation: REMEDIATION,
        at: s.atCache ?? s.atType,
        quiet: true,
      };
    }
    const setting = s.atCache ? `"use_apiserver_cache: ${s.raw}"` : 'no "use_apiserver_cache" (the default is false)';
    return {
      key: `sources.${s.id}.use_apiserver_cache`,
      what: `source ${name} (kubernetes_logs) has ${setting}: every node's pod and Node LIST is a consistent read, served from etcd on clusters before Kubernetes 1.31, so etcd reads every pod of the cluster for each node (flagged whatever the cluster's version, which the check cannot see; the load figures count API-server traffic only)`,
      reads: READS,
      severity: 'medium',
      remediation: REMEDIATION,
      at: s.atCache ?? s.atType,
    };
  });
};

export const vectorApiserverCache: StateRule = {
  meta: {
    id: 'watch-all/vector-apiserver-cache',
    family: 'watch-all',
    type: 'state',
    severity: 'medium',
    description:
      'Flag Vector kubernetes_logs sources in per-node agents that list without the API server watch cache (use_apiserver_cache false, the default), so every node\'s LIST is served from etcd on clusters before Kubernetes 1.31.',
    docs: 'docs/rules/watch-all/vector-apiserver-cache.md',
    remediation: REMEDIATION,
  },
  focus: DETECTOR_FOCUS,
  check(ctx) {
    reportDetections(ctx, detector);
  },
};
