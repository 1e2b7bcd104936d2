/**
 * Chart adapter for Promtail (`promtail`, grafana/helm-charts `charts/promtail`, chart 6.17.1 / app 3.5.1;
 * RULEBOOK A.5, rule watch-all/prometheus-sd). Renders, as the chart's templates do:
 * - the DaemonSet (`daemonset.enabled`, default true) and / or Deployment (`deployment.enabled`) with the pod
 *   template of `_pod.tpl`: `-config.file=/etc/promtail/promtail.yaml` (and `extraArgs`), the `HOSTNAME` env
 *   from `spec.nodeName` (then `extraEnv`), `extraEnvFrom`, the config volume, `serviceAccountName`, the
 *   config-reloader sidecar;
 * - the config `promtail.yaml`, rendered from `config.file` with `tpl` (the default file pulls in
 *   `config.clients`, `config.positions`, `config.snippets.scrapeConfigs` / `extraScrapeConfigs` …). The
 *   chart writes it to a **Secret** by default (`configmap.enabled: false`: `secret.yaml`, volume `secret:`)
 *   and to a ConfigMap only with `configmap.enabled: true`; nothing when `config.enabled` is false (the
 *   user brings their own object of that name). The watch-all rules read a mounted Secret's `stringData`
 *   (then its base64 `data`) as they read a ConfigMap's `data`, so both give the same findings;
 * - the ServiceAccount, and the fixed ClusterRole of `clusterrole.yaml` (nodes, nodes/proxy, services,
 *   endpoints, pods: get / watch / list) with its binding when `rbac.create`.
 *
 * The chart's default scrape config is one `kubernetes_sd_configs: [{role: pod}]` job with no selectors and
 * no `keep` relabelling: Promtail itself adds `spec.nodeName=$HOSTNAME` to pod discovery without selectors.
 *
 * `tpl` is evaluated by a small Go-template subset (below): field paths, `if` / `with` / `range` / `else`,
 * whitespace trimming, and the Sprig functions values files use here (`toYaml`, `nindent`, `indent`, `tpl`,
 * `quote`, `default`, `printf` …). Anything else renders empty rather than failing. Left out: Services,
 * ServiceMonitor, PodSecurityPolicy, NetworkPolicy, HPA / VPA, `extraObjects`, probes, resources.
 */
import jsyaml from 'js-yaml';
import type { YamlPath } from '../../types.js';
import { lineOf } from '../../yaml/lines.js';
import { LOAD_OPTIONS } from '../../yaml/parse.js';
import { asList, asMap } from '../../yaml/walk.js';
import { clusterRoleBinding, fullname, serviceAccount, spotIfSet, type ChartAdapter, type ReleaseInfo, type RenderedDoc, type Values, type ValuesSpot } from '../chart.js';
import { serviceAccountName, text, textOr, truthy, withDefault } from '../template.js';

// ---- A Go-template subset, for the chart's `tpl` -------------------------------------------------------

interface Block {
  readonly t: 'if' | 'with' | 'range';
  readonly p: string;
  readonly body: TNode[];
  readonly els: TNode[];
}
type TNode = { readonly t: 'text'; readonly s: string } | { readonly t: 'out'; readonly p: string } | Block;

/** Nested `tpl` calls and total work (output, template text parsed, nodes run) are bounded so a hostile values file cannot blow up the render. */
const MAX_TPL_DEPTH = 8;
const MAX_OUTPUT = 1_000_000;

/** The template's nodes (text and actions), with `{{-` / `-}}` trimming applied to the text. */
function parseTemplate(src: string): TNode[] {
  const root: TNode[] = [];
  const stack: { nodes: TNode[]; block?: Block }[] = [{ nodes: root }];
  const top = () => stack[stack.length - 1];
  const push = (n: TNode) => top().nodes.push(n);
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) push({ t: 'text', s: text });
      break;
    }
    const close = findClose(src, open + 2);
    if (close < 0) {
      // An unclosed action: the rest is text, as far as a reader can tell.
      push({ t: 'text', s: text + src.slice(open) });
      break;
    }
    let body = src.slice(open + 2, close);
    if (/^-\s/.test(body)) {
      text = text.replace(/\s+$/, '');
      body = body.slice(1);
    }
    if (/\s-$/.test(body)) {
      trimNext = true;
      body = body.slice(0, -1);
    }
    if (text) push({ t: 'text', s: text });
    i = close + 2;
    const action = body.trim();
    if (action.startsWith('/*')) continue;
    const word = /^(if|with|range|else|end)\b\s*(.*)$/s.exec(action);
    if (!word) {
      push({ t: 'out', p: action });
      continue;
    }
    const kw = word[1];
    const rest = word[2];
    if (kw === 'if' || kw === 'with' || kw === 'range') {
      const block: Block = { t: kw, p: rest, body: [], els: [] };
      push(block);
      stack.push({ nodes: block.body, block });
    } else if (kw === 'else') {
      const frame = top();
      if (!frame.block) continue;
      const chain = /^(if|with)\b\s*(.*)$/s.exec(rest);
      if (chain) {
        // `else if X` / `else with X`: a block nested in the else branch, closed by the same `end`.
        const inner: Block = { t: chain[1] === 'if' ? 'if' : 'with', p: chain[2], body: [], els: [] };
        frame.block.els.push(inner);
        stack[stack.length - 1] = { nodes: inner.body, block: inner };
      } else {
        frame.nodes = frame.block.els;
      }
    } else if (stack.length > 1) {
      stack.pop();
    }
  }
  return root;
}

/** Index of the `}}` closing an action opened before `from`, skipping string literals; -1 if none. */
function findClose(src: string, from: number): number {
  let quote: string | undefined;
  for (let k = from; k < src.length - 1; k++) {
    const c = src[k];
    if (quote) {
      if (c === '\\' && quote === '"') k++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === '`') quote = c;
    else if (c === '}' && src[k + 1] === '}') return k;
  }
  return -1;
}

type Tok = { k: 'str' | 'num' | 'field' | 'ident' | 'var' | 'punct'; v: string };

function lexPipeline(p: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < p.length && p[j] !== '"') {
        if (p[j] === '\\' && j + 1 < p.length) {
          const e = p[j + 1];
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
        } else s += p[j++];
      }
      out.push({ k: 'str', v: s });
      i = j + 1;
    } else if (c === '`') {
      const j = p.indexOf('`', i + 1);
      const end = j < 0 ? p.length : j;
      out.push({ k: 'str', v: p.slice(i + 1, end) });
      i = end + 1;
    } else if (c === '|' || c === '(' || c === ')') {
      out.push({ k: 'punct', v: c });
      i++;
    } else {
      const m = /^[^\s|()"`]+/.exec(p.slice(i));
      const w = m ? m[0] : c;
      i += w.length;
      if (w.startsWith('.')) out.push({ k: 'field', v: w });
      else if (w.startsWith('$')) out.push({ k: 'var', v: w });
      else if (/^-?[0-9]/.test(w)) out.push({ k: 'num', v: w });
      else out.push({ k: 'ident', v: w });
    }
  }
  return out;
}

/** Helm's `toYaml`: keys sorted (sigs.k8s.io/yaml goes through JSON), no trailing newline, empty for nil. */
function toYaml(v: unknown): string {
  if (v === undefined || v === null) return '';
  try {
    return jsyaml.dump(v, { sortKeys: true, lineWidth: -1, noRefs: true }).replace(/\n$/, '');
  } catch {
    return '';
  }
}

function print(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return '';
  }
}

function indentText(n: unknown, s: unknown): string {
  const pad = ' '.repeat(Math.max(0, Math.min(256, Number(n) || 0)));
  return pad + print(s).replace(/\n/g, `\n${pad}`);
}

interface Scope {
  readonly dot: unknown;
  readonly root: unknown;
  readonly depth: number;
  readonly budget: { left: number };
}

function fieldOf(base: unknown, path: string): unknown {
  let cur = base;
  for (const step of path.split('.').filter(Boolean)) {
    const m = asMap(cur);
    if (!m || !Object.prototype.hasOwnProperty.call(m, step)) return undefined;
    cur = m[step];
  }
  return cur;
}

/** Evaluates one pipeline (`a | f x | g`). */
function evalPipeline(toks: Tok[], scope: Scope): unknown {
  let pos = 0;
  const operand = (): { v: unknown; fn?: string } => {
    const t = toks[pos++];
    if (!t) return { v: undefined };
    if (t.k === 'str') return { v: t.v };
    if (t.k === 'num') return { v: Number(t.v) };
    if (t.k === 'field') return { v: t.v === '.' ? scope.dot : fieldOf(scope.dot, t.v) };
    if (t.k === 'var') return { v: t.v === '$' ? scope.root : t.v.startsWith('$.') ? fieldOf(scope.root, t.v.slice(1)) : undefined };
    if (t.k === 'punct' && t.v === '(') {
      const v = pipeline(')');
      pos++;
      return { v };
    }
    if (t.k === 'ident') {
      if (t.v === 'true' || t.v === 'false') return { v: t.v === 'true' };
      if (t.v === 'nil') return { v: null };
      return { v: undefined, fn: t.v };
    }
    return { v: undefined };
  };
  const command = (stop: string, piped: unknown[]): unknown => {
    const first = operand();
    const args: unknown[] = [];
    while (pos < toks.length && !(toks[pos].k === 'punct' && (toks[pos].v === '|' || toks[pos].v === stop))) args.push(operand().v);
    if (first.fn === undefined) return first.v;
    return call(first.fn, [...args, ...piped], scope);
  };
  const pipeline = (stop: string): unknown => {
    let v = command(stop, []);
    while (pos < toks.length && toks[pos].k === 'punct' && toks[pos].v === '|') {
      pos++;
      v = command(stop, [v]);
    }
    return v;
  };
  return pipeline('');
}

function call(fn: string, a: unknown[], scope: Scope): unknown {
  switch (fn) {
    case 'toYaml':
      return toYaml(a[0]);
    case 'toJson':
      return print(a[0] === undefined ? null : typeof a[0] === 'string' ? JSON.stringify(a[0]) : a[0]);
    case 'nindent':
      return `\n${indentText(a[0], a[1])}`;
    case 'indent':
      return indentText(a[0], a[1]);
    case 'tpl':
      return scope.depth >= MAX_TPL_DEPTH ? '' : renderWith(print(a[0]), { ...scope, dot: a[1] ?? scope.dot, depth: scope.depth + 1 });
    case 'quote':
      return a.map((x) => JSON.stringify(print(x))).join(' ');
    case 'squote':
      return a.map((x) => `'${print(x)}'`).join(' ');
    case 'default':
      return withDefault(a[0], a[1]);
    case 'toString':
      return print(a[0]);
    case 'trim':
      return print(a[0]).trim();
    case 'lower':
      return print(a[0]).toLowerCase();
    case 'upper':
      return print(a[0]).toUpperCase();
    case 'print':
      return a.map(print).join('');
    case 'printf': {
      let k = 1;
      return print(a[0]).replace(/%[sdvq%]/g, (m) => (m === '%%' ? '%' : m === '%q' ? JSON.stringify(print(a[k++])) : print(a[k++])));
    }
    case 'not':
      return !truthy(a[0]);
    case 'and':
      return a.find((x) => !truthy(x)) ?? a[a.length - 1];
    case 'or':
      return a.find((x) => truthy(x)) ?? a[a.length - 1];
    case 'eq':
      return a.slice(1).some((x) => x === a[0]);
    case 'ne':
      return a[0] !== a[1];
    case 'empty':
      return !truthy(a[0]);
    default:
      // include, lookup, required… and anything unknown: nothing, rather than a failed render.
      return undefined;
  }
}

function renderNodes(nodes: readonly TNode[], scope: Scope): string {
  let out = '';
  for (const n of nodes) {
    if (scope.budget.left <= 0) break;
    let piece = '';
    if (n.t === 'text') piece = n.s;
    else if (n.t === 'out') piece = /^\$\w*\s*:?=/.test(n.p) ? '' : print(evalPipeline(lexPipeline(n.p), scope));
    else {
      const v = evalPipeline(lexPipeline(n.p.replace(/^\$\w+\s*(,\s*\$\w+\s*)?:=/, '')), scope);
      if (n.t === 'if') piece = renderNodes(truthy(v) ? n.body : n.els, scope);
      else if (n.t === 'with') piece = truthy(v) ? renderNodes(n.body, { ...scope, dot: v }) : renderNodes(n.els, scope);
      else {
        const items = Array.isArray(v) ? v : asMap(v) ? Object.keys(asMap(v)!).sort().map((k) => asMap(v)![k]) : [];
        piece = items.length ? items.map((it) => renderNodes(n.body, { ...scope, dot: it })).join('') : renderNodes(n.els, scope);
      }
    }
    // Every node costs at least one unit, so loops of empty output end too.
    scope.budget.left -= piece.length + 1;
    out += piece;
  }
  return out;
}

function renderWith(src: string, scope: Scope): string {
  scope.budget.left -= src.length;
  return scope.budget.left > 0 ? renderNodes(parseTemplate(src), scope) : '';
}

/** Renders a Helm `tpl` string against a chart context (`.Values`, `.Release`, `.Chart`). Never throws. */
export function renderTpl(src: string, context: Readonly<Record<string, unknown>>): string {
  try {
    return renderWith(src, { dot: context, root: context, depth: 0, budget: { left: MAX_OUTPUT } });
  } catch {
    return '';
  }
}

// ---- The chart ----------------------------------------------------------------------------------------

/** The chart's default `config.snippets.scrapeConfigs` (6.17.1): one pod-discovery job, no selectors. */
const DEFAULT_SCRAPE_CONFIGS = `# See also https://github.com/grafana/loki/blob/master/production/ksonnet/promtail/scrape_config.libsonnet for reference
- job_name: kubernetes-pods
  pipeline_stages:
    {{- toYaml .Values.config.snippets.pipelineStages | nindent 4 }}
  kubernetes_sd_configs:
    - role: pod
  relabel_configs:
    - source_labels:
        - __meta_kubernetes_pod_controller_name
      regex: ([0-9a-z-.]+?)(-[0-9a-f]{8,10})?
      action: replace
      target_label: __tmp_controller_name
    - source_labels:
        - __meta_kubernetes_pod_label_app_kubernetes_io_name
        - __meta_kubernetes_pod_label_app
        - __tmp_controller_name
        - __meta_kubernetes_pod_name
      regex: ^;*([^;]+)(;.*)?$
      action: replace
      target_label: app
    - source_labels:
        - __meta_kubernetes_pod_label_app_kubernetes_io_instance
        - __meta_kubernetes_pod_label_instance
      regex: ^;*([^;]+)(;.*)?$
      action: replace
      target_label: instance
    - source_labels:
        - __meta_kubernetes_pod_label_app_kubernetes_io_component
        - __meta_kubernetes_pod_label_component
      regex: ^;*([^;]+)(;.*)?$
      action: replace
      target_label: component
    {{- if .Values.config.snippets.addScrapeJobLabel }}
    - replacement: kubernetes-pods
      target_label: scrape_job
    {{- end }}
    {{- toYaml .Values.config.snippets.common | nindent 4 }}
    {{- with .Values.config.snippets.extraRelabelConfigs }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
`;

/** The chart's default `config.file` (6.17.1). */
const DEFAULT_FILE = `server:
  log_level: {{ .Values.config.logLevel }}
  log_format: {{ .Values.config.logFormat }}
  http_listen_port: {{ .Values.config.serverPort }}
  {{- with .Values.httpPathPrefix }}
  http_path_prefix: {{ . }}
  {{- end }}
  {{- tpl .Values.config.snippets.extraServerConfigs . | nindent 2 }}

clients:
  {{- tpl (toYaml .Values.config.clients) . | nindent 2 }}

positions:
  {{- tpl (toYaml .Values.config.positions) . | nindent 2 }}

scrape_configs:
  {{- tpl .Values.config.snippets.scrapeConfigs . | nindent 2 }}
  {{- tpl .Values.config.snippets.extraScrapeConfigs . | nindent 2 }}

limits_config:
  {{- tpl .Values.config.snippets.extraLimitsConfig . | nindent 2 }}

tracing:
  enabled: {{ .Values.config.enableTracing }}
`;

/** Chart 6.17.1 values.yaml (grafana/helm-charts charts/promtail), the knobs read here only. */
const DEFAULTS: Readonly<Record<string, unknown>> = {
  nameOverride: null,
  fullnameOverride: null,
  namespace: null,
  global: { imageRegistry: '' },
  daemonset: { enabled: true },
  deployment: { enabled: false, replicaCount: 1, autoscaling: { enabled: false } },
  configmap: { enabled: false },
  image: { registry: 'docker.io', repository: 'grafana/promtail', tag: '' },
  hostNetwork: null,
  updateStrategy: {},
  podLabels: {},
  podAnnotations: {},
  rbac: { create: true },
  serviceAccount: { create: true, name: null, annotations: {}, automountServiceAccountToken: true },
  nodeSelector: {},
  tolerations: [
    { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
  ],
  defaultVolumes: [
    { name: 'run', hostPath: { path: '/run/promtail' } },
    { name: 'containers', hostPath: { path: '/var/lib/docker/containers' } },
    { name: 'pods', hostPath: { path: '/var/log/pods' } },
  ],
  defaultVolumeMounts: [
    { name: 'run', mountPath: '/run/promtail' },
    { name: 'containers', mountPath: '/var/lib/docker/containers', readOnly: true },
    { name: 'pods', mountPath: '/var/log/pods', readOnly: true },
  ],
  extraVolumes: [],
  extraVolumeMounts: [],
  extraArgs: [],
  extraEnv: [],
  extraEnvFrom: [],
  httpPathPrefix: '',
  sidecar: { configReloader: { enabled: false, image: { registry: 'ghcr.io', repository: 'jimmidyson/configmap-reload', tag: 'v0.12.0' }, config: { serverPort: 9533 } } },
  config: {
    enabled: true,
    logLevel: 'info',
    logFormat: 'logfmt',
    serverPort: 3101,
    clients: [{ url: 'http://loki-gateway/loki/api/v1/push' }],
    positions: { filename: '/run/promtail/positions.yaml' },
    enableTracing: false,
    snippets: {
      pipelineStages: [{ cri: {} }],
      common: [
        { action: 'replace', source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node_name' },
        { action: 'replace', source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
        { action: 'replace', replacement: '$1', separator: '/', source_labels: ['namespace', 'app'], target_label: 'job' },
        { action: 'replace', source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
        { action: 'replace', source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
        { action: 'replace', replacement: '/var/log/pods/*$1/*.log', separator: '/', source_labels: ['__meta_kubernetes_pod_uid', '__meta_kubernetes_pod_container_name'], target_label: '__path__' },
        {
          action: 'replace',
          replacement: '/var/log/pods/*$1/*.log',
          regex: 'true/(.*)',
          separator: '/',
          source_labels: ['__meta_kubernetes_pod_annotationpresent_kubernetes_io_config_hash', '__meta_kubernetes_pod_annotation_kubernetes_io_config_hash', '__meta_kubernetes_pod_container_name'],
          target_label: '__path__',
        },
      ],
      addScrapeJobLabel: false,
      extraLimitsConfig: '',
      extraServerConfigs: '',
      extraScrapeConfigs: '',
      extraRelabelConfigs: [],
      scrapeConfigs: DEFAULT_SCRAPE_CONFIGS,
    },
    file: DEFAULT_FILE,
  },
};

const CONFIG_KEY = 'promtail.yaml';

function maps(v: unknown): Record<string, unknown>[] {
  return asList(v).flatMap((x) => (asMap(x) ? [asMap(x)!] : []));
}

/** A tpl argument: strings as written; anything else as the YAML Helm would print for it. */
function tplSource(v: unknown): string {
  return typeof v === 'string' ? v : toYaml(v);
}

/** Number of entries a rendered scrape-config snippet holds (undefined when it is not a YAML list). */
function entries(text: string): number | undefined {
  try {
    const doc: unknown = jsyaml.load(text, LOAD_OPTIONS);
    return doc === null || doc === undefined ? 0 : Array.isArray(doc) ? doc.length : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `scrape_configs` entry a finding in the rendered config is about: from the path inside the config
 * (`['scrape_configs', i, 'kubernetes_sd_configs', …]`), or from a 0-based line of the config's text (the
 * entry whose lines hold it). `sd`: the finding is about the entry's discovery.
 */
function scrapeEntry(configText: string, inner: YamlPath, innerLine: number | undefined): { index: number; name: string; sd: boolean } | undefined {
  let doc: unknown;
  try {
    doc = jsyaml.load(configText, LOAD_OPTIONS);
  } catch {
    return undefined;
  }
  const list = asList(asMap(doc)?.scrape_configs);
  const nameOf = (i: number) => text(asMap(list[i])?.job_name);
  if (inner[0] === 'scrape_configs' && typeof inner[1] === 'number') return { index: inner[1], name: nameOf(inner[1]), sd: inner[2] === 'kubernetes_sd_configs' };
  if (inner.length > 0 || innerLine === undefined) return undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const start = lineOf(configText, 0, ['scrape_configs', i]) - 1;
    if (start > innerLine) continue;
    const sdLine = lineOf(configText, 0, ['scrape_configs', i, 'kubernetes_sd_configs']) - 1;
    return { index: i, name: nameOf(i), sd: sdLine > start && innerLine >= sdLine };
  }
  return undefined;
}

/**
 * The 0-based line, in a values string, where a scrape job is written: its `job_name` line, or the
 * `kubernetes_sd_configs` line inside it when the finding is about discovery. Undefined when the name
 * is not written literally (templated).
 */
function jobLine(source: string, job: string, sd: boolean): number | undefined {
  const lines = source.split('\n');
  const esc = job.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const named = new RegExp(`^\\s*(-\\s*)?job_name:\\s*["']?${esc}["']?\\s*(#.*)?$`);
  const start = lines.findIndex((l) => named.test(l));
  if (start < 0) return undefined;
  if (!sd) return start;
  for (let k = start + 1; k < lines.length && !/^\s*(-\s*)?job_name:/.test(lines[k]); k++) if (/^\s*kubernetes_sd_configs:/.test(lines[k])) return k;
  return start;
}

export const promtailChart: ChartAdapter = {
  charts: ['promtail'],
  defaults: DEFAULTS,
  anchors: [['daemonset', 'enabled'], ['config', 'snippets', 'scrapeConfigs'], ['config'], ['configmap', 'enabled'], ['rbac'], ['serviceAccount']],
  render(release: ReleaseInfo, values: Values): RenderedDoc[] {
    const name = fullname(release, values);
    const appName = text(values.get(['nameOverride'])) || 'promtail';
    const namespace = text(values.get(['namespace'])) || release.namespace;
    const ns = namespace ? { namespace } : {};
    const selector = { 'app.kubernetes.io/name': appName, 'app.kubernetes.io/instance': release.name };
    const labels = {
      'helm.sh/chart': `promtail-${release.chartVersion ?? '6.17.1'}`,
      ...selector,
      'app.kubernetes.io/version': '3.5.1',
      'app.kubernetes.io/managed-by': 'Helm',
    };
    const ifSet = spotIfSet(values);
    const context = {
      Values: values.doc,
      Release: { Name: release.name, Namespace: namespace ?? '', Service: 'Helm' },
      Chart: { Name: 'promtail', Version: release.chartVersion ?? '6.17.1', AppVersion: '3.5.1' },
    };
    const asConfigMap = truthy(values.get(['configmap', 'enabled']));
    const saCreate = truthy(values.get(['serviceAccount', 'create']));
    const saName = serviceAccountName(values, name);
    const saSpot = (): ValuesSpot | undefined => ifSet(['serviceAccount', 'name']) ?? ifSet(['serviceAccount', 'create']);
    const out: RenderedDoc[] = [];

    if (saCreate) {
      const automount = values.get(['serviceAccount', 'automountServiceAccountToken']) !== false;
      out.push({ doc: serviceAccount({ name: saName, ...ns, labels }, values.get(['serviceAccount', 'annotations']), automount), spot: () => saSpot() });
    }

    if (truthy(values.get(['config', 'enabled']))) {
      const file = values.get(['config', 'file']);
      // `promtail.yaml: |` then the rendered file, re-indented: clip chomping keeps one final newline.
      const configText = `${renderTpl(tplSource(file), context).replace(/\n+$/, '')}\n`;
      const configSpot = (path: YamlPath, innerLine?: number): ValuesSpot | undefined => {
        if (path[1] !== CONFIG_KEY) return undefined;
        const job = scrapeEntry(configText, path.slice(2), innerLine);
        if (!job) return ifSet(['config', 'file']);
        if (values.isSet(['config', 'file'])) return { path: ['config', 'file'], ...(job.name ? { innerLine: jobLine(tplSource(file), job.name, job.sd) } : {}) };
        // The default file lists `scrapeConfigs` then `extraScrapeConfigs`: the index says which.
        const snippets = ['config', 'snippets'];
        const mainSource = tplSource(values.get([...snippets, 'scrapeConfigs']));
        const count = entries(renderTpl(mainSource, context));
        const from = count === undefined || job.index < count ? 'scrapeConfigs' : 'extraScrapeConfigs';
        const source = from === 'scrapeConfigs' ? mainSource : tplSource(values.get([...snippets, 'extraScrapeConfigs']));
        return ifSet([...snippets, from], job.name ? jobLine(source, job.name, job.sd) : undefined);
      };
      out.push(
        asConfigMap
          ? { doc: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...ns, labels }, data: { [CONFIG_KEY]: configText } }, spot: configSpot }
          : { doc: { apiVersion: 'v1', kind: 'Secret', metadata: { name, ...ns, labels }, stringData: { [CONFIG_KEY]: configText } }, spot: configSpot },
      );
    }

    if (truthy(values.get(['rbac', 'create']))) {
      out.push({
        doc: {
          kind: 'ClusterRole',
          apiVersion: 'rbac.authorization.k8s.io/v1',
          metadata: { name, labels },
          rules: [{ apiGroups: [''], resources: ['nodes', 'nodes/proxy', 'services', 'endpoints', 'pods'], verbs: ['get', 'watch', 'list'] }],
        },
        spot: () => ifSet(['rbac', 'create']),
      });
      out.push({
        doc: clusterRoleBinding({ name, labels }, name, saName, namespace || null),
        spot: (path) => (path[0] === 'subjects' ? saSpot() : ifSet(['rbac', 'create'])),
      });
    }

    const daemonset = truthy(values.get(['daemonset', 'enabled']));
    const deployment = truthy(values.get(['deployment', 'enabled']));
    if (!daemonset && !deployment) return out;

    const reloader = truthy(values.get(['sidecar', 'configReloader', 'enabled']));
    const fixedArgs = ['-config.file=/etc/promtail/promtail.yaml', ...(reloader ? ['-server.enable-runtime-reload'] : [])];
    const args = [...fixedArgs, ...asList(values.get(['extraArgs']))];
    const env = [{ name: 'HOSTNAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, ...asList(values.get(['extraEnv']))];
    const envFrom = asList(values.get(['extraEnvFrom']));
    const registry = text(values.get(['global', 'imageRegistry'])) || text(values.get(['image', 'registry']));
    const image = `${registry}/${textOr(values.get(['image', 'repository']), 'grafana/promtail')}:${text(values.get(['image', 'tag'])) || '3.5.1'}`;
    const configMount = { name: 'config', mountPath: '/etc/promtail' };
    const containers: unknown[] = [
      {
        name: 'promtail',
        image,
        args,
        volumeMounts: [configMount, ...maps(values.get(['defaultVolumeMounts'])), ...maps(values.get(['extraVolumeMounts']))],
        env,
        ...(envFrom.length ? { envFrom } : {}),
        ports: [{ name: 'http-metrics', containerPort: values.get(['config', 'serverPort']) ?? 3101, protocol: 'TCP' }],
      },
    ];
    if (reloader) {
      const img = asMap(values.get(['sidecar', 'configReloader', 'image'])) ?? {};
      containers.push({
        name: 'config-reloader',
        image: `${text(img.registry)}/${text(img.repository)}:${text(img.tag)}`,
        args: [`-web.listen-address=:${textOr(values.get(['sidecar', 'configReloader', 'config', 'serverPort']), '9533')}`, '-volume-dir=/etc/promtail/', '-webhook-method=GET', `-webhook-url=http://127.0.0.1:${textOr(values.get(['config', 'serverPort']), '3101')}/reload`],
        volumeMounts: [configMount],
      });
    }
    for (const [cname, spec] of Object.entries(asMap(values.get(['extraContainers'])) ?? {})) containers.push({ name: cname, ...(asMap(spec) ?? {}) });

    const configVolume = asConfigMap ? { name: 'config', configMap: { name } } : { name: 'config', secret: { secretName: name } };
    const podSpec: Record<string, unknown> = {
      serviceAccountName: saName,
      ...(truthy(values.get(['hostNetwork'])) ? { hostNetwork: true } : {}),
      containers,
      ...(truthy(values.get(['nodeSelector'])) ? { nodeSelector: values.get(['nodeSelector']) } : {}),
      ...(truthy(values.get(['tolerations'])) ? { tolerations: values.get(['tolerations']) } : {}),
      volumes: [configVolume, ...maps(values.get(['defaultVolumes'])), ...maps(values.get(['extraVolumes']))],
    };
    const podAnnotations = asMap(values.get(['podAnnotations']));
    const template = {
      metadata: { labels: { ...selector, ...(asMap(values.get(['podLabels'])) ?? {}) }, ...(podAnnotations && Object.keys(podAnnotations).length ? { annotations: podAnnotations } : {}) },
      spec: podSpec,
    };
    const workloadSpot = (path: YamlPath): ValuesSpot | undefined => {
      if (!['spec', 'template', 'spec'].every((p, k) => path[k] === p)) return undefined;
      const rest = path.slice(3);
      if (rest[0] === 'serviceAccountName') return saSpot();
      if (rest[0] === 'volumes' && rest[1] === 0) return ifSet(['configmap', 'enabled']);
      if (rest[0] === 'containers' && rest[1] === 0) {
        const [, , field, i, ...more] = rest;
        if (field === 'env' && typeof i === 'number' && i >= 1) return ifSet(['extraEnv', i - 1, ...more]) ?? ifSet(['extraEnv']);
        if (field === 'envFrom') return ifSet(['extraEnvFrom']);
        if (field === 'args' && typeof i === 'number' && i >= fixedArgs.length) return ifSet(['extraArgs', i - fixedArgs.length]) ?? ifSet(['extraArgs']);
      }
      return undefined;
    };
    if (daemonset) {
      out.push({
        doc: {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          metadata: { name, ...ns, labels },
          spec: { selector: { matchLabels: selector }, updateStrategy: asMap(values.get(['updateStrategy'])) ?? {}, template },
        },
        spot: workloadSpot,
      });
    }
    if (deployment) {
      const autoscaled = truthy(values.get(['deployment', 'autoscaling', 'enabled']));
      out.push({
        doc: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name, ...ns, labels },
          spec: { ...(autoscaled ? {} : { replicas: values.get(['deployment', 'replicaCount']) ?? 1 }), selector: { matchLabels: selector }, template },
        },
        spot: workloadSpot,
      });
    }
    return out;
  },
};
