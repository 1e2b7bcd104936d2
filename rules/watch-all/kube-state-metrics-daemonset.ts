/**
 * watch-all/kube-state-metrics-daemonset — kube-state-metrics run as a per-node agent without node sharding
 * (RULEBOOK A.11, SCALE-KSM-1).
 *
 * kube-state-metrics lists and watches every object of the resources it exports. Run as a DaemonSet, every
 * node does that, unless it uses the documented "DaemonSet sharding for pod metrics only": `--resources=pods
 * --node=$(NODE_NAME)`, where each replica lists pods with the field selector `spec.nodeName=<node>`. The
 * `--node` flag scopes pods only; any other resource listed stays cluster-wide on every node.
 *
 * Read from the args config of each container whose image names `kube-state-metrics` (one argument or
 * `NAME=value` env entry per line; `--flag=value` and `--flag value` both count, as pflag parses them):
 * - `--resources` (or the pre-2.0 `--collectors`), comma-separated; absent or empty means the default
 *   resources (every kind kube-state-metrics knows, pods included). The flag ACCUMULATES: every occurrence
 *   adds its kinds, so `--resources=pods --node=$(NODE_NAME) … --resources=nodes` exports pods and nodes.
 *   kubernetes/kube-state-metrics `pkg/options/options.go` registers it with `Flags().Var(&o.Resources,
 *   "resources", …)`, and `pkg/options/types.go` `ResourceSet` (a `map[string]struct{}`) has a `Set` that
 *   splits the value on commas and adds each non-empty kind to the set ("appends it to the ResourceSet");
 *   pflag calls `Set` once per occurrence. The pre-2.0 `CollectorSet.Set` did the same. An empty occurrence
 *   adds nothing; the defaults apply only when no occurrence names a kind;
 * - `--node` with a non-empty value (a plain string flag: the last occurrence wins).
 * Pods with `--node` are node-scoped; every other listed kind, and pods without `--node`, are cluster-wide
 * and count in the load model (kinds it does not name count `fleet.defaults.objects.<kind>`, default
 * 5,000). `--resources=pods --node=…` is quiet evidence. Deployments and StatefulSets (the normal way to run
 * it) are not per-node workloads and are never judged here.
 */
import type { StateRule } from '../../src/rule.js';
import type { AgentConfig } from '../../src/agents/config.js';
import { DETECTOR_FOCUS, reportDetections, type Detection, type Detector, type Read } from '../../src/agents/kit.js';
import { NODE_SCALING_KINDS } from '../../src/load-model.js';
import { asMap, asString, getIn } from '../../src/yaml/walk.js';
import { listing, quote } from '../../src/text.js';

/**
 * kube-state-metrics' default resources (`pkg/options/resource.go` DefaultResources, kubernetes/kube-state-metrics
 * main branch; older releases had `endpoints` instead of `endpointslices` and fewer admission kinds).
 */
export const DEFAULT_RESOURCES = [
  'certificatesigningrequests', 'configmaps', 'cronjobs', 'customresourcedefinitions', 'daemonsets', 'deployments',
  'endpointslices', 'horizontalpodautoscalers', 'ingresses', 'jobs', 'leases', 'limitranges',
  'mutatingadmissionpolicies', 'mutatingadmissionpolicybindings', 'mutatingwebhookconfigurations', 'namespaces',
  'networkpolicies', 'nodes', 'persistentvolumes', 'persistentvolumeclaims', 'poddisruptionbudgets', 'pods',
  'replicasets', 'replicationcontrollers', 'resourcequotas', 'secrets', 'services', 'statefulsets', 'storageclasses',
  'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'validatingwebhookconfigurations', 'volumeattachments',
] as const;

const IMAGE = /kube-state-metrics/i;

/** Flags that take a value (the rest are booleans, which never consume the next argument). */
const VALUED = new Set(['node', 'resources', 'collectors']);

const REMEDIATION =
  'Run the DaemonSet with --resources=pods --node=$(NODE_NAME) (NODE_NAME from fieldRef spec.nodeName) and export every other resource from one kube-state-metrics Deployment.';


/** A flag's value and the 0-based line it was given on. */
interface Flag {
  value: string;
  line: number;
}

/** `--name=value` and `--name value` flags of an args config, by name: every occurrence, in order. */
function flagsOf(text: string): Map<string, Flag[]> {
  const tokens: Array<{ token: string; line: number }> = [];
  text.split('\n').forEach((l, line) => {
    // `sh -c "kube-state-metrics --node=…"` puts several flags on one line.
    for (const token of l.trim().split(/\s+/)) if (token) tokens.push({ token: token.replace(/^["']|["']$/g, ''), line });
  });
  const flags = new Map<string, Flag[]>();
  tokens.forEach(({ token, line }, i) => {
    const m = /^--([A-Za-z0-9][A-Za-z0-9-]*)(?:=(.*))?$/.exec(token);
    if (!m) return;
    const name = m[1].toLowerCase();
    let value = m[2];
    if (value === undefined && VALUED.has(name)) {
      const next = tokens[i + 1];
      value = next && !next.token.startsWith('-') ? next.token : '';
    }
    const all = flags.get(name) ?? [];
    all.push({ value: value ?? '', line });
    flags.set(name, all);
  });
  return flags;
}

/** The kinds a `--resources` value names, lower-cased. */
const kindsOf = (value: string) =>
  value
    .split(',')
    .map((r) => r.trim().toLowerCase())
    .filter(Boolean);


/** Node-scaling kinds first (the model's order), then the rest as given. */
function byKind(items: readonly string[]): string[] {
  const rank = (r: string) => {
    const i = (NODE_SCALING_KINDS as readonly string[]).indexOf(r);
    return i < 0 ? NODE_SCALING_KINDS.length : i;
  };
  return items.map((r, i) => ({ r, i })).sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i).map((x) => x.r);
}

/** Names shown in a message: the first few, then how many more. */
function someOf(items: readonly string[], max = 6): string {
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : listing(items);
}

/** kube-state-metrics in a per-node workload: what its flags make every replica list. */
export const detector: Detector = (config: AgentConfig) => {
  if (config.format !== 'args') return [];
  const container = asMap(getIn(config.workload.doc, config.path));
  const image = asString(container?.image) ?? '';
  if (!IMAGE.test(image)) return [];
  const flags = flagsOf(config.text);
  // Every occurrence of --resources adds to the set (ResourceSet.Set): the union, in order of appearance.
  const given = flags.get('resources') ?? flags.get('collectors') ?? [];
  const listed = [...new Set(given.flatMap((f) => kindsOf(f.value)))];
  const defaults = listed.length === 0;
  const resources = defaults ? [...DEFAULT_RESOURCES] : listed;
  const nodeFlag = flags.get('node')?.at(-1);
  const nodeName = nodeFlag?.value.trim() ?? '';
  const scoped = nodeName !== '';
  const reads: Read[] = resources.map((resource) => ({ resource, scope: resource === 'pods' && scoped ? 'node' : 'cluster' }));
  const wide = reads.filter((r) => r.scope === 'cluster').map((r) => r.resource);
  // The finding goes on the first --resources occurrence that names a cluster-wide kind (else the first one,
  // else --node, else the first argument).
  const culprit = given.find((f) => kindsOf(f.value).some((r) => wide.includes(r))) ?? given[0];
  const at = config.locate({ line: culprit?.line ?? nodeFlag?.line ?? 0 });

  if (wide.length === 0) {
    const d: Detection = {
      key: 'kube-state-metrics',
      what: `kube-state-metrics exports pods only, listed with the node's field selector (--node ${quote(nodeName)})`,
      reads,
      remediation: REMEDIATION,
      at: config.locate({ line: nodeFlag!.line }),
      quiet: true,
    };
    return [d];
  }
  const kinds = someOf(byKind(wide));
  const named = given.map((f) => f.value.trim()).filter((v) => kindsOf(v).length);
  const source = defaults
    ? `${given.length ? 'an empty --resources' : 'no --resources'}: all ${DEFAULT_RESOURCES.length} default resources`
    : named.length === 1
      ? `--resources ${quote(named[0])}`
      : `--resources ${named.map(quote).join(' plus --resources ')}, repeated flags adding up`;
  const what = scoped
    ? `kube-state-metrics --node ${quote(nodeName)} scopes only pods: every node still lists and watches ${kinds} cluster-wide (${source})`
    : `kube-state-metrics has no --node (${source}): every node lists and watches ${kinds} cluster-wide`;
  return [
    {
      key: 'kube-state-metrics',
      what,
      reads,
      remediation: REMEDIATION,
      at,
    },
  ];
};

export const kubeStateMetricsDaemonset: StateRule = {
  meta: {
    id: 'watch-all/kube-state-metrics-daemonset',
    family: 'watch-all',
    type: 'state',
    severity: 'high',
    description:
      'Flag kube-state-metrics run as a DaemonSet without --resources=pods --node=$(NODE_NAME): every node lists and watches the exported resources cluster-wide.',
    docs: 'docs/rules/watch-all/kube-state-metrics-daemonset.md',
    remediation: REMEDIATION,
  },
  focus: DETECTOR_FOCUS,
  check(ctx) {
    reportDetections(ctx, detector);
  },
};
