/**
 * watch-all/fluent-bit-kubernetes — a per-node Fluent Bit whose `kubernetes_events` input or `kubernetes`
 * filter loads the API servers in proportion to the cluster (RULEBOOK A.4, SCALE-FB-2 and SCALE-FB-1).
 *
 * Configs read: classic mode (INI-like: `[INPUT]` / `[FILTER]` sections of indented `Key Value` lines;
 * section names and keys case-insensitive) and YAML mode (`pipeline.inputs[*]`, `pipeline.filters[*]`).
 * Every key of a mounted ConfigMap is its own config, so `@INCLUDE`d files that live in other keys of the
 * same ConfigMap are read too.
 *
 * - `kubernetes_events` input (SCALE-FB-2, BLOCK): a cluster-scoped input ("must not run in every DaemonSet
 *   pod"): every node lists and watches all events; reads events cluster-wide, severity from the load model.
 * - `kubernetes` filter (SCALE-FB-1, WARN): it GETs one pod on the first record of that pod (never a list),
 *   so its load follows pod churn, not N². With `Kube_Meta_Cache_TTL` above 0 and below 300 s and
 *   `Use_Kubelet` off, every node re-GETs each of its pods every TTL: about P / TTL GETs/s cluster-wide,
 *   served from etcd (a GET without resourceVersion). Modelled as a poll of `podsPerNode` pods every TTL
 *   (the model's default 30 pods per node: a detector does not see `fleet.defaults`), capped at medium.
 *   Otherwise (TTL unset, 0 or ≥ 300 s; `Use_Kubelet On`; `Use_Tag_For_Meta On`) it is quiet evidence that
 *   the agent reads only its own node's pods, which settles the RBAC rule's scope.
 */
import type { StateRule } from '../../src/rule.js';
import { DEFAULTS } from '../../src/config.js';
import type { AgentConfig } from '../../src/agents/config.js';
import { DETECTOR_FOCUS, reportDetections, type Detection, type Detector } from '../../src/agents/kit.js';
import type { ObjectLocation } from '../../src/types.js';
import { asList, asMap, asString, getIn } from '../../src/yaml/walk.js';
import { quote } from '../../src/text.js';

/** Below this `Kube_Meta_Cache_TTL` (seconds) the filter's re-fetches are a steady load (RULEBOOK A.4: "~300 s"). */
export const MIN_CACHE_TTL_SECONDS = 300;

const REMEDIATION_EVENTS =
  'Move the kubernetes_events input to a single-replica Deployment (one Fluent Bit for the cluster) and keep only node-local inputs in the DaemonSet.';
const REMEDIATION_TTL =
  'Set Use_Kubelet On (with nodes/proxy RBAC, hostNetwork and dnsPolicy ClusterFirstWithHostNet) or raise Kube_Meta_Cache_TTL to 300 s or more (0, the default, keeps entries until they are evicted).';
const REMEDIATION = 'Keep kubernetes_events out of the DaemonSet and keep the kubernetes filter on Use_Kubelet On or a Kube_Meta_Cache_TTL of at least 300 s.';

/** One input or filter of a Fluent Bit config, in either format. */
interface Plugin {
  readonly kind: 'input' | 'filter';
  /** Lower-case plugin name (`kubernetes_events`). */
  readonly name: string;
  readonly at: ObjectLocation;
  /** A property by lower-case key: its value and location. */
  prop(key: string): { value: string; at: ObjectLocation } | undefined;
}


/** Fluent Bit booleans (`flb_utils_bool`): on / true / yes, off / false / no; anything else unknown. */
function bool(value: string | undefined): boolean | undefined {
  const v = value?.trim().toLowerCase();
  if (v === 'on' || v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'off' || v === 'false' || v === 'no' || v === '0') return false;
  return undefined;
}

/** Fluent Bit time values (`flb_utils_time_to_seconds`): `60`, `60s`, `5m`, `1h`, `1d`; else undefined. */
export function seconds(value: string | undefined): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/i.exec(value ?? '');
  if (!m) return undefined;
  const mult: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };
  return Number(m[1]) * mult[m[2].toLowerCase()];
}

/** Classic mode: `[INPUT]` / `[FILTER]` sections of indented `Key Value` lines. */
function classicPlugins(config: AgentConfig): Plugin[] {
  const out: Plugin[] = [];
  let current: { kind: 'input' | 'filter' | undefined; props: Map<string, { value: string; line: number }> } | undefined;
  const close = () => {
    if (!current?.kind) return;
    const { kind, props } = current;
    const name = props.get('name');
    if (!name) return;
    out.push({
      kind,
      name: name.value.trim().toLowerCase(),
      at: config.locate({ line: name.line }),
      prop: (key) => {
        const p = props.get(key);
        return p ? { value: p.value, at: config.locate({ line: p.line }) } : undefined;
      },
    });
  };
  config.text.split('\n').forEach((raw, line) => {
    const text = raw.replace(/\r$/, '');
    const section = /^\s*\[\s*([A-Za-z_]+)\s*\]\s*$/.exec(text);
    if (section) {
      close();
      const s = section[1].toUpperCase();
      current = { kind: s === 'INPUT' ? 'input' : s === 'FILTER' ? 'filter' : undefined, props: new Map() };
      return;
    }
    const trimmed = text.trim();
    if (!current || !trimmed || trimmed.startsWith('#') || trimmed.startsWith('@')) return;
    const entry = /^(\S+)(?:\s+(.*))?$/.exec(trimmed);
    if (!entry) return;
    const key = entry[1].toLowerCase();
    // The last of repeated keys wins for plain properties, as in Fluent Bit's config map.
    current.props.set(key, { value: (entry[2] ?? '').trim(), line });
  });
  close();
  return out;
}

/** YAML mode: `pipeline.inputs[*]` and `pipeline.filters[*]`, keys case-insensitive. */
function yamlPlugins(config: AgentConfig): Plugin[] {
  const out: Plugin[] = [];
  for (const [list, kind] of [['inputs', 'input'], ['filters', 'filter']] as const) {
    asList(getIn(config.doc, ['pipeline', list])).forEach((item, i) => {
      const map = asMap(item);
      if (!map) return;
      const keys = new Map<string, string>();
      for (const k of Object.keys(map)) keys.set(k.toLowerCase(), k);
      const prop = (key: string) => {
        const real = keys.get(key);
        const value = real === undefined ? undefined : asString(map[real]);
        return real === undefined || value === undefined ? undefined : { value, at: config.locate({ path: ['pipeline', list, i, real] }) };
      };
      const name = prop('name');
      if (!name) return;
      out.push({ kind, name: name.value.trim().toLowerCase(), at: name.at, prop });
    });
  }
  return out;
}

function eventsInput(p: Plugin): Detection {
  const ns = p.prop('kube_namespace')?.value.trim();
  const where = ns ? `the events of namespace ${quote(ns)}` : 'every event of the cluster';
  return {
    key: 'input.kubernetes_events',
    what: `input "kubernetes_events" lists and watches ${where} from every node: a cluster-scoped input in a per-node agent`,
    reads: [{ resource: 'events', scope: 'cluster' }],
    remediation: REMEDIATION_EVENTS,
    at: p.at,
  };
}

function kubernetesFilter(p: Plugin): Detection {
  const ownPods = [{ resource: 'pods', scope: 'node' as const }];
  const kubelet = p.prop('use_kubelet');
  if (bool(kubelet?.value) === true) {
    return { key: 'filter.kubernetes', what: 'filter "kubernetes" reads its node\'s pods from the kubelet (Use_Kubelet On)', reads: ownPods, remediation: REMEDIATION, at: kubelet!.at, quiet: true };
  }
  const fromTag = p.prop('use_tag_for_meta');
  if (bool(fromTag?.value) === true) {
    return { key: 'filter.kubernetes', what: 'filter "kubernetes" takes metadata from the tag (Use_Tag_For_Meta On) and never calls the API server', reads: ownPods, remediation: REMEDIATION, at: fromTag!.at, quiet: true };
  }
  const ttlProp = p.prop('kube_meta_cache_ttl');
  const ttl = seconds(ttlProp?.value);
  if (ttlProp && ttl !== undefined && ttl > 0 && ttl < MIN_CACHE_TTL_SECONDS) {
    const off = kubelet ? `Use_Kubelet ${quote(kubelet.value)}` : 'Use_Kubelet unset (Off)';
    return {
      key: 'filter.kubernetes.meta-cache-ttl',
      what:
        `filter "kubernetes" re-fetches every pod of its node from the API server each ${ttl} s (Kube_Meta_Cache_TTL ${quote(ttlProp.value)}, ${off}): ` +
        'one GET per pod per TTL, served from etcd (a GET without resourceVersion)',
      reads: ownPods,
      poll: { intervalMs: ttl * 1000, kinds: DEFAULTS.podsPerNode },
      maxSeverity: 'medium',
      remediation: REMEDIATION_TTL,
      at: ttlProp.at,
    };
  }
  return {
    key: 'filter.kubernetes',
    what: 'filter "kubernetes" GETs each new pod of its node from the API server (Use_Kubelet off), never a cluster-wide list',
    reads: ownPods,
    remediation: REMEDIATION,
    at: p.at,
    quiet: true,
  };
}

/** Fluent Bit's `kubernetes_events` input and `kubernetes` filter in one config. */
export const detector: Detector = (config) => {
  const plugins = config.format === 'ini' ? classicPlugins(config) : config.format === 'yaml' ? yamlPlugins(config) : [];
  const out: Detection[] = [];
  for (const p of plugins) {
    if (p.kind === 'input' && p.name === 'kubernetes_events') out.push(eventsInput(p));
    else if (p.kind === 'filter' && p.name === 'kubernetes') out.push(kubernetesFilter(p));
  }
  return out;
};

export const fluentBitKubernetes: StateRule = {
  meta: {
    id: 'watch-all/fluent-bit-kubernetes',
    family: 'watch-all',
    type: 'state',
    severity: 'high',
    description:
      'Flag per-node Fluent Bit configs with a kubernetes_events input (every node watches all events) or a kubernetes filter that re-fetches pod metadata from the API server more often than every 300 s.',
    docs: 'docs/rules/watch-all/fluent-bit-kubernetes.md',
    remediation: REMEDIATION,
  },
  focus: DETECTOR_FOCUS,
  check(ctx) {
    reportDetections(ctx, detector);
  },
};
