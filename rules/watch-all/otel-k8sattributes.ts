/**
 * watch-all/otel-k8sattributes — an OpenTelemetry Collector running on every node whose `k8sattributes`
 * processor lists and watches the cluster's pods (or ReplicaSets, Namespaces, other workloads) instead of
 * its own node's (RULEBOOK A.1: SCALE-OTEL-1, 1b, 2 and 3; severity from the load model, B.4).
 *
 * Configs: a ConfigMap key the per-node workload mounts (Helm chart key `relay`) or an
 * OpenTelemetryCollector's `spec.config` (string or mapping) in `mode: daemonset`; src/agents/kit.ts finds
 * them. Processors `k8sattributes`, `k8s_attributes` (the new name) and `<either>/<name>` that a pipeline
 * (`service.pipelines.*.processors`) uses. A processor no pipeline lists is never built by the collector
 * and reads nothing; a config without `service.pipelines` (a fragment merged with other `--config` files)
 * counts every processor as used. `passthrough: true` makes no API calls.
 *
 * Which informers the processor starts (opentelemetry-collector-contrib
 * `processor/k8sattributesprocessor/internal/kube/client.go` `New`/`Start`, `options.go`):
 * - pods, with a `spec.nodeName` field selector when the node filter is set: `filter.node_from_env_var`
 *   (the env var's value; it wins over `filter.node`, and an unset variable means no filter), `filter.node`,
 *   or a `filter.fields` entry `{key: spec.nodeName}` (op `equals`, the default). `filter.namespace` narrows
 *   to a namespace, not to the node: still flagged (RULEBOOK SCALE-OTEL-1), modelled as cluster-wide;
 * - replicasets, with the namespace filter only, when `k8s.deployment.uid` is extracted, or
 *   `k8s.deployment.name` without `extract.deployment_name_from_replicaset: true` (the default metadata
 *   includes `k8s.deployment.name`);
 * - nodes, scoped by `filter.node` / `filter.node_from_env_var` only (not by `filter.fields`), when
 *   `k8s.node.uid` is extracted or labels / annotations are extracted `from: node`;
 * - namespaces (all of them) for labels / annotations `from: namespace` (`k8s.cluster.uid` alone reads
 *   kube-system only: not counted); deployments, statefulsets, daemonsets, jobs for `from: <that kind>`,
 *   jobs also for `k8s.cronjob.uid` — all with the namespace filter only.
 *
 * The env check reads every container's `env` (DaemonSet) or the CR's `spec.env`: a variable set from
 * `fieldPath: spec.nodeName` is the intended case, one set otherwise still gives a bounded selector, and an
 * `envFrom` anywhere makes an unset name unknown (the filter is then trusted).
 *
 * Verdicts, one per used processor (key `processors.<id>`, so fixing half of it is not a new finding):
 * - pods cluster-wide: every read, the model's severity, at the processor (at `filter.node_from_env_var`
 *   when it names a variable the workload never sets — SCALE-OTEL-1b: the downward API must provide it);
 * - pods node-scoped but another kind cluster-wide: at most medium (RULEBOOK WARN), at the field causing it;
 * - fully node-scoped: quiet evidence (node-scoped pods) that settles the agent's scope for
 *   `watch-all/daemonset-cluster-watch`.
 *
 * The OTel config helpers below (`otelConfig`, `pipelineComponents`, `isTrue`) are shared with
 * `watch-all/otel-cluster-receivers`.
 */
import type { AgentConfig } from '../../src/agents/config.js';
import { DETECTOR_FOCUS, reportDetections, type Detection, type Detector, type Read } from '../../src/agents/kit.js';
import { podSpecPath } from '../../src/kube.js';
import type { StateRule } from '../../src/rule.js';
import type { KubeObject, YamlPath } from '../../src/types.js';
import { asList, asMap, asString, asStrings, getIn } from '../../src/yaml/walk.js';
import { listing, quote } from '../../src/text.js';

/** Processor ids of the component: its old and new type names, alone or with a `/name`. */
const PROCESSOR_ID = /^(k8sattributes|k8s_attributes)(\/.*)?$/;

/** `extract.metadata` when the config gives none (the processor README's default list). */
const DEFAULT_METADATA = ['k8s.namespace.name', 'k8s.pod.name', 'k8s.pod.uid', 'k8s.pod.start_time', 'k8s.deployment.name', 'k8s.node.name'];

/** `extract.labels[]/annotations[].from` values that start a cluster-wide informer of that kind. */
const FROM_KIND: Readonly<Record<string, string>> = {
  namespace: 'namespaces',
  deployment: 'deployments',
  statefulset: 'statefulsets',
  daemonset: 'daemonsets',
  job: 'jobs',
};


/** YAML `true` (boolean or the string). */
export function isTrue(v: unknown): boolean {
  return v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true');
}

/**
 * The config as an OpenTelemetry Collector config: a YAML mapping with at least one of `receivers`,
 * `processors`, `exporters`, `service` as a mapping; undefined otherwise (INI, River, args, other YAML).
 */
export function otelConfig(config: AgentConfig): Record<string, unknown> | undefined {
  if (config.format !== 'yaml') return undefined;
  const doc = asMap(config.doc);
  if (!doc) return undefined;
  return ['receivers', 'processors', 'exporters', 'service'].some((k) => asMap(doc[k])) ? doc : undefined;
}

/**
 * The ids of `field` (receivers, processors) that the config's pipelines use; undefined when the config
 * has no `service.pipelines` mapping (a fragment: every component counts as used).
 */
export function pipelineComponents(doc: Record<string, unknown>, field: 'receivers' | 'processors'): Set<string> | undefined {
  const pipelines = asMap(getIn(doc, ['service', 'pipelines']));
  if (!pipelines) return undefined;
  const used = new Set<string>();
  for (const pipeline of Object.values(pipelines)) for (const id of asStrings(asMap(pipeline)?.[field])) used.add(id.trim());
  return used;
}

/** What the workload's env says about one variable: set from `spec.nodeName`, set otherwise, or unknown. */
type EnvVerdict = 'nodeName' | 'set' | 'unset' | 'unknown';

/** The env lists of a per-node workload: every container's (DaemonSet) or the CR's `spec.env`. */
function envLists(workload: KubeObject): { env: unknown[]; envFrom: boolean } | undefined {
  if (workload.kind === 'OpenTelemetryCollector') {
    const spec = asMap(workload.doc.spec);
    return { env: [...asList(spec?.env)], envFrom: asList(spec?.envFrom).length > 0 };
  }
  const path = podSpecPath(workload.kind);
  const spec = path ? asMap(getIn(workload.doc, path)) : undefined;
  if (!spec) return undefined;
  const env: unknown[] = [];
  let envFrom = false;
  for (const list of ['initContainers', 'containers'] as const) {
    for (const c of asList(spec[list])) {
      env.push(...asList(asMap(c)?.env));
      if (asList(asMap(c)?.envFrom).length > 0) envFrom = true;
    }
  }
  return { env, envFrom };
}

/** Whether the workload sets env var `name`, and from where. `envFrom` (names unknown) makes an unset var unknown. */
function envVerdict(workload: KubeObject, name: string): EnvVerdict {
  const lists = envLists(workload);
  if (!lists) return 'unknown';
  let found: EnvVerdict | undefined;
  for (const e of lists.env) {
    const env = asMap(e);
    if (asString(env?.name)?.trim() !== name) continue;
    const fieldPath = asString(getIn(env, ['valueFrom', 'fieldRef', 'fieldPath']))?.trim();
    if (fieldPath === 'spec.nodeName') return 'nodeName';
    found = 'set';
  }
  return found ?? (lists.envFrom ? 'unknown' : 'unset');
}

/** A collector env reference `${env:NAME}` / `${NAME}` making up a whole value; its name. */
function envReference(value: string): string | undefined {
  return /^\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value)?.[1];
}

/** One informer the processor runs outside the node filter, with why and where. */
interface Extra {
  resource: string;
  because: string;
  path: YamlPath;
}

/** How the processor's pod informer is filtered. */
interface PodScope {
  /** `filter.node` / `filter.node_from_env_var` in effect: also scopes the node informer. */
  node?: string;
  /** A `filter.fields` entry on spec.nodeName. */
  fields?: string;
  /** A node filter that ends up empty: an env var the workload never sets. */
  broken?: { text: string; path: YamlPath };
}

function podScope(config: AgentConfig, base: YamlPath, filter: Record<string, unknown>): PodScope {
  const out: PodScope = {};
  const kind = config.workload.kind;
  const fromEnv = asString(filter.node_from_env_var)?.trim();
  if (fromEnv) {
    // The processor reads os.Getenv(node_from_env_var) and ignores filter.node (options.go withFilterNode).
    if (envVerdict(config.workload, fromEnv) === 'unset') {
      out.broken = {
        text: `filter.node_from_env_var ${quote(fromEnv)} names an env var the ${kind} never sets (it needs valueFrom.fieldRef.fieldPath: spec.nodeName), so the node filter is empty`,
        path: [...base, 'filter', 'node_from_env_var'],
      };
    } else out.node = `filter.node_from_env_var ${quote(fromEnv)}`;
  } else {
    const node = asString(filter.node)?.trim();
    if (node) {
      const ref = envReference(node);
      if (ref && envVerdict(config.workload, ref) === 'unset') {
        out.broken = { text: `filter.node ${quote(node)} expands an env var the ${kind} never sets, so the node filter is empty`, path: [...base, 'filter', 'node'] };
      } else out.node = `filter.node ${quote(node)}`;
    }
  }
  asList(filter.fields).forEach((f) => {
    const field = asMap(f);
    const op = (asString(field?.op) ?? '').trim();
    if (!out.fields && asString(field?.key)?.trim() === 'spec.nodeName' && (op === '' || op === 'equals')) out.fields = 'filter.fields spec.nodeName';
  });
  return out;
}

/** The cluster-wide informers besides pods that the processor's extraction rules start. */
function extras(base: YamlPath, extract: Record<string, unknown>, nodeScoped: boolean): Extra[] {
  const out: Extra[] = [];
  const given = Array.isArray(extract.metadata);
  const metadata = given ? asStrings(extract.metadata).map((m) => m.trim()) : DEFAULT_METADATA;
  // An entry of extract.metadata; with the default list, the extract block (or the processor) itself.
  const metadataPath = (m: string): YamlPath => {
    if (given) return [...base, 'extract', 'metadata', asList(extract.metadata).findIndex((x) => asString(x)?.trim() === m)];
    return Object.keys(extract).length ? [...base, 'extract'] : base;
  };
  const fromRs = isTrue(extract.deployment_name_from_replicaset);
  if (metadata.includes('k8s.deployment.uid')) {
    out.push({ resource: 'replicasets', because: 'extract.metadata "k8s.deployment.uid" (the deployment uid comes from the ReplicaSet)', path: metadataPath('k8s.deployment.uid') });
  } else if (metadata.includes('k8s.deployment.name') && !fromRs) {
    out.push({
      resource: 'replicasets',
      because: `${given ? 'extract.metadata "k8s.deployment.name"' : 'the default extract.metadata (with "k8s.deployment.name")'} without extract.deployment_name_from_replicaset: true`,
      path: metadataPath('k8s.deployment.name'),
    });
  }
  if (!nodeScoped && metadata.includes('k8s.node.uid')) out.push({ resource: 'nodes', because: 'extract.metadata "k8s.node.uid" without filter.node', path: metadataPath('k8s.node.uid') });
  if (metadata.includes('k8s.cronjob.uid')) out.push({ resource: 'jobs', because: 'extract.metadata "k8s.cronjob.uid"', path: metadataPath('k8s.cronjob.uid') });
  // One entry per kind for labels and annotations (the first rule naming it), besides the metadata causes.
  const fromRules = new Set<string>();
  for (const list of ['labels', 'annotations'] as const) {
    asList(extract[list]).forEach((r, i) => {
      const from = (asString(asMap(r)?.from) ?? 'pod').trim().toLowerCase();
      const resource = from === 'node' ? (nodeScoped ? undefined : 'nodes') : FROM_KIND[from];
      if (resource && !fromRules.has(resource)) {
        fromRules.add(resource);
        out.push({ resource, because: `extract.${list} from: ${from}${from === 'node' ? ' without filter.node' : ''}`, path: [...base, 'extract', list, i, 'from'] });
      }
    });
  }
  return out;
}

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);


function extrasText(list: readonly Extra[]): string {
  return listing(list.map((e) => `${e.resource} (${e.because})`));
}

/**
 * What to change so that none of `list` is watched cluster-wide, as lower-case steps (`nodeFilterAdded`:
 * the remediation already adds the node filter, which also scopes the node informer).
 */
function extrasSteps(list: readonly Extra[], nodeFilterAdded = false): string[] {
  const steps: string[] = [];
  const rs = list.find((e) => e.resource === 'replicasets');
  if (rs?.because.includes('k8s.deployment.uid')) steps.push('drop "k8s.deployment.uid" from extract.metadata (keep k8s.deployment.name with extract.deployment_name_from_replicaset: true)');
  else if (rs) steps.push('set extract.deployment_name_from_replicaset: true');
  if (!nodeFilterAdded && list.some((e) => e.resource === 'nodes')) steps.push('add filter.node_from_env_var so the node informer reads only its own node');
  if (list.some((e) => e.because.includes('k8s.cronjob.uid'))) steps.push('drop "k8s.cronjob.uid" from extract.metadata');
  if (list.some((e) => e.resource !== 'nodes' && (e.because.startsWith('extract.labels') || e.because.startsWith('extract.annotations')))) steps.push('extract labels and annotations from: pod only (or enrich in one gateway Deployment)');
  return steps;
}

/** The verdict on one used k8sattributes processor. */
function judge(config: AgentConfig, id: string, processor: Record<string, unknown>): Detection {
  const base: YamlPath = ['processors', id];
  const filter = asMap(processor.filter) ?? {};
  const extract = asMap(processor.extract) ?? {};
  const scope = podScope(config, base, filter);
  const podsNode = !!(scope.node || scope.fields);
  const more = extras(base, extract, !!scope.node);
  // The node informer follows filter.node only; it runs for k8s.node.uid or from: node extraction.
  const readsNodes =
    asStrings(extract.metadata).some((m) => m.trim() === 'k8s.node.uid') ||
    (['labels', 'annotations'] as const).some((l) => asList(extract[l]).some((r) => asString(asMap(r)?.from)?.trim().toLowerCase() === 'node'));
  const nodeReads: Read[] = readsNodes && scope.node ? [{ resource: 'nodes', scope: 'node' }] : [];
  const extraReads: Read[] = [...new Set(more.map((e) => e.resource))].map((resource) => ({ resource, scope: 'cluster' }));
  const name = quote(id);

  if (!podsNode) {
    const why = scope.broken ? scope.broken.text : 'no filter.node_from_env_var, filter.node or filter.fields entry on spec.nodeName, and passthrough is not true';
    const namespace = asString(filter.namespace)?.trim();
    const ns = namespace ? ` (filter.namespace ${quote(namespace)} narrows them to a namespace, not to the node)` : '';
    return {
      key: `processors.${id}`,
      what: `processor ${name} lists and watches pods cluster-wide${ns} on every node: ${why}${more.length ? `; it also watches ${extrasText(more)} cluster-wide` : ''}`,
      reads: [{ resource: 'pods', scope: 'cluster' }, ...extraReads],
      remediation: `${
        scope.broken
          ? 'Set that env var on the collector from the downward API (valueFrom.fieldRef.fieldPath: spec.nodeName) so the node filter is not empty'
          : 'Add filter.node_from_env_var: K8S_NODE_NAME to the processor, with env K8S_NODE_NAME from the downward API (fieldPath spec.nodeName) on the collector'
      }${extrasSteps(more, true).length ? `, and ${listing(extrasSteps(more, true))}` : ''}.`,
      at: config.locate({ path: scope.broken ? scope.broken.path : base }),
    };
  }
  const filtered = scope.node ?? scope.fields!;
  if (more.length) {
    return {
      key: `processors.${id}`,
      what: `processor ${name} reads only its node's pods (${filtered}) but every replica still watches ${extrasText(more)} cluster-wide`,
      reads: [{ resource: 'pods', scope: 'node' }, ...nodeReads, ...extraReads],
      maxSeverity: 'medium',
      remediation: `${upperFirst(listing(extrasSteps(more)))}, so no replica of the per-node collector watches a whole-cluster kind.`,
      at: config.locate({ path: more[0].path }),
    };
  }
  return {
    key: `processors.${id}`,
    what: `processor ${name} reads only its node's pods (${filtered})`,
    reads: [{ resource: 'pods', scope: 'node' }, ...nodeReads],
    remediation: 'Keep the node filter.',
    at: config.locate({ path: base }),
    quiet: true,
  };
}

/** The used, API-reading k8sattributes processors of an OpenTelemetry Collector config. */
export const detector: Detector = (config) => {
  const doc = otelConfig(config);
  const processors = asMap(doc?.processors);
  if (!doc || !processors) return [];
  const used = pipelineComponents(doc, 'processors');
  const out: Detection[] = [];
  for (const [id, raw] of Object.entries(processors)) {
    if (!PROCESSOR_ID.test(id) || (used && !used.has(id))) continue;
    // `k8sattributes:` with no value is the default config (no filter); any other non-mapping is a
    // config the collector refuses to load, so it reads nothing.
    const processor = raw === null || raw === undefined ? {} : asMap(raw);
    if (!processor) continue;
    if (isTrue(processor.passthrough)) continue;
    out.push(judge(config, id, processor));
  }
  return out;
};

const REMEDIATION =
  'Give the per-node collector\'s k8sattributes processor filter.node_from_env_var (env from fieldPath spec.nodeName) and extract.deployment_name_from_replicaset: true, so each replica reads only its own node\'s pods.';

export const otelK8sattributes: StateRule = {
  meta: {
    id: 'watch-all/otel-k8sattributes',
    family: 'watch-all',
    type: 'state',
    severity: 'high',
    description:
      'Flag per-node OpenTelemetry Collectors whose k8sattributes processor watches pods without a node filter (model severity), or ReplicaSets, Namespaces and other workloads cluster-wide despite one (at most medium).',
    docs: 'docs/rules/watch-all/otel-k8sattributes.md',
    remediation: REMEDIATION,
  },
  focus: DETECTOR_FOCUS,
  check(ctx) {
    reportDetections(ctx, detector);
  },
};
