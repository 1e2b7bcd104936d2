/**
 * watch-all/alloy-discovery — Grafana Alloy (and Grafana Agent Flow) components in a per-node agent that
 * list and watch cluster-wide (RULEBOOK A.7 SCALE-ALLOY-1/2/3; Part F).
 *
 * Reads River / Alloy configs (format `river`: a ConfigMap key such as `config.alloy` or `config.river`)
 * with a small block scanner (below), at any block depth (so inside `declare` too):
 * - `discovery.kubernetes "<label>"`: Alloy runs Prometheus' Kubernetes discovery, so each role starts the
 *   same informers as in `watch-all/prometheus-sd` (pod → pods; endpoints / endpointslice → those, services
 *   and pods; service, ingress; node → nodes; `attach_metadata { node = true }` → nodes). `role = "pod"`
 *   is node-scoped by a `selectors { role = "pod" field = "spec.nodeName=" + sys.env("HOSTNAME") }` block
 *   (any expression whose string literal holds `spec.nodeName=` followed by a value or by more expression:
 *   `env("…")` in Agent Flow, `coalesce(sys.env("HOSTNAME"), constants.hostname)`, `format(…)`); `role =
 *   "node"` by `field = "metadata.name=" + …`. The other roles cannot be node-scoped (SCALE-ALLOY-2);
 * - `loki.source.kubernetes_events "<label>"`: watches events, which are cluster-sized in every scope,
 *   on every replica (SCALE-ALLOY-3). The component has neither clustering nor leader election.
 *
 * Severity is the load model's at the largest reached cluster, capped as in `watch-all/prometheus-sd`:
 * `namespaces { names / own_namespace }` (events: `namespaces = [...]`) at high, an attached node watch on
 * a node-scoped pod discovery at medium. A `discovery.relabel` whose `targets` come from the discovery and
 * whose `rule` keeps on `__meta_kubernetes_pod_node_name` filters after discovery: the model's severity
 * stands and the message says so (A.0 SCALE-002).
 *
 * Clustering (`clustering { enabled = true }` in `prometheus.scrape`, `loki.source.kubernetes` …, or
 * `--cluster.enabled`) distributes scrape *targets* among replicas by consistent hashing; every replica still
 * runs every `discovery.kubernetes` in full, so it reduces no API read. When the config enables it the
 * message says so. A Deployment or StatefulSet is not per-node and is never judged here (the kit).
 */
import { DETECTOR_FOCUS, reportDetections, type Detection, type Detector } from '../../src/agents/kit.js';
import type { StateRule } from '../../src/rule.js';
import type { Severity } from '../../src/types.js';
import { fieldNames, isNodeMetaLabel, isSdRole, NOTES, sdDetection, type SdShape } from './prometheus-sd.js';
import { quote } from '../../src/text.js';

// ---- River block scanner ------------------------------------------------------------------------------

/** An attribute value: its source text, the string literals in it, and whether it is one string literal. */
export interface RiverValue {
  readonly text: string;
  readonly strings: readonly string[];
  /** The value when the expression is exactly one string literal. */
  readonly string?: string;
  /** Number of tokens in the expression. */
  readonly tokens: number;
  /** 0-based line of the attribute. */
  readonly line: number;
}

/** A block: `name "label" { … }` (the root has name ''). */
export interface RiverBlock {
  readonly name: string;
  readonly label?: string;
  /** 0-based line of the block header. */
  readonly line: number;
  readonly attrs: Map<string, RiverValue>;
  readonly blocks: RiverBlock[];
}

type TokenKind = 'ident' | 'string' | 'number' | 'punct' | 'newline';
interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded value of a string. */
  value?: string;
  line: number;
  start: number;
  end: number;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
const NUMBER = /[0-9][0-9A-Za-z_.]*/y;
const TWO_CHAR = new Set(['==', '!=', '<=', '>=', '&&', '||']);
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

/** Tokens of a River text: comments dropped, newlines kept (statements end at them). Never throws. */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      out.push({ kind: 'newline', text: '\n', line, start: i, end: i + 1 });
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const startLine = line;
      const start = i;
      i += 2;
      while (i < n && !(text[i] === '*' && text[i + 1] === '/')) {
        if (text[i] === '\n') line++;
        i++;
      }
      i = Math.min(n, i + 2);
      // A comment spanning lines ends a statement like a newline would.
      if (line > startLine) out.push({ kind: 'newline', text: '\n', line: startLine, start, end: i });
    } else if (c === '"') {
      const start = i;
      let value = '';
      i++;
      while (i < n && text[i] !== '"' && text[i] !== '\n') {
        if (text[i] === '\\' && i + 1 < n && text[i + 1] !== '\n') {
          value += ESCAPES[text[i + 1]] ?? text[i + 1];
          i += 2;
        } else value += text[i++];
      }
      if (text[i] === '"') i++;
      out.push({ kind: 'string', text: text.slice(start, i), value, line, start, end: i });
    } else if (c === '`') {
      const start = i;
      const startLine = line;
      i++;
      while (i < n && text[i] !== '`') {
        if (text[i] === '\n') line++;
        i++;
      }
      const value = text.slice(start + 1, i);
      if (i < n) i++;
      out.push({ kind: 'string', text: text.slice(start, i), value, line: startLine, start, end: i });
    } else {
      IDENT.lastIndex = i;
      NUMBER.lastIndex = i;
      const id = IDENT.exec(text);
      const num = id ? null : NUMBER.exec(text);
      if (id) {
        out.push({ kind: 'ident', text: id[0], line, start: i, end: i + id[0].length });
        i += id[0].length;
      } else if (num) {
        out.push({ kind: 'number', text: num[0], line, start: i, end: i + num[0].length });
        i += num[0].length;
      } else {
        const two = text.slice(i, i + 2);
        const p = TWO_CHAR.has(two) ? two : c;
        out.push({ kind: 'punct', text: p, line, start: i, end: i + p.length });
        i += p.length;
      }
    }
  }
  return out;
}

const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);
/** Tokens after which a newline does not end an expression. */
const CONTINUES = new Set(['+', '-', '*', '/', '%', '^', '==', '!=', '<', '>', '<=', '>=', '&&', '||', '!', ',', '?', ':', '=']);
/** Deepest block nesting the scanner follows; deeper blocks are skipped whole. */
const MAX_DEPTH = 64;

/**
 * Scans River / Alloy text into blocks and attributes (brace matching, strings, raw strings, `//` and
 * `/* *\/` comments). Tolerant: anything it does not understand is skipped, unbalanced braces end the text.
 */
export function scanRiver(text: string): RiverBlock {
  const toks = tokenize(text);
  const root: RiverBlock = { name: '', line: 0, attrs: new Map(), blocks: [] };
  // Iterative over an explicit stack, so deep nesting never overflows the call stack.
  const stack: RiverBlock[] = [root];
  let skipDepth = 0;
  let i = 0;
  while (i < toks.length) {
    const t = toks[i];
    if (skipDepth > 0) {
      if (t.kind === 'punct' && t.text === '{') skipDepth++;
      else if (t.kind === 'punct' && t.text === '}') skipDepth--;
      i++;
      continue;
    }
    if (t.kind === 'punct' && t.text === '}') {
      if (stack.length > 1) stack.pop();
      i++;
      continue;
    }
    if (t.kind !== 'ident') {
      i++;
      continue;
    }
    const next = toks[i + 1];
    const current = stack[stack.length - 1];
    if (next?.kind === 'punct' && next.text === '=') {
      // Attribute: the expression runs to a newline at nesting 0 (unless the line ends in an operator),
      // or to the `}` closing the block.
      let j = i + 2;
      let depth = 0;
      const start = j;
      while (j < toks.length) {
        const e = toks[j];
        if (e.kind === 'newline') {
          const prev = toks[j - 1];
          if (depth === 0 && j > start && !(prev.kind === 'punct' && (CONTINUES.has(prev.text) || OPENERS.has(prev.text)))) break;
          j++;
          continue;
        }
        if (e.kind === 'punct' && OPENERS.has(e.text)) depth++;
        else if (e.kind === 'punct' && CLOSERS.has(e.text)) {
          if (depth === 0) break;
          depth--;
        }
        j++;
      }
      const expr = toks.slice(start, j).filter((e) => e.kind !== 'newline');
      const strings = expr.filter((e) => e.kind === 'string').map((e) => e.value ?? '');
      const value: RiverValue = {
        text: expr.length ? text.slice(expr[0].start, expr[expr.length - 1].end) : '',
        strings,
        ...(expr.length === 1 && expr[0].kind === 'string' ? { string: expr[0].value ?? '' } : {}),
        tokens: expr.length,
        line: t.line,
      };
      current.attrs.set(t.text, value);
      i = j;
      continue;
    }
    const labelled = next?.kind === 'string' && toks[i + 2]?.kind === 'punct' && toks[i + 2].text === '{';
    if (labelled || (next?.kind === 'punct' && next.text === '{')) {
      i += labelled ? 3 : 2;
      if (stack.length > MAX_DEPTH) {
        skipDepth = 1;
        continue;
      }
      const block: RiverBlock = { name: t.text, ...(labelled ? { label: next.value ?? '' } : {}), line: t.line, attrs: new Map(), blocks: [] };
      current.blocks.push(block);
      stack.push(block);
      continue;
    }
    i++;
  }
  return root;
}

/** Every block below `root`, depth-first in text order. */
export function allBlocks(root: RiverBlock): RiverBlock[] {
  const out: RiverBlock[] = [];
  const todo = [...root.blocks].reverse();
  while (todo.length) {
    const b = todo.pop()!;
    out.push(b);
    for (let k = b.blocks.length - 1; k >= 0; k--) todo.push(b.blocks[k]);
  }
  return out;
}

// ---- Detector -----------------------------------------------------------------------------------------


/** True for `true` (a boolean attribute). */
const isTrue = (v: RiverValue | undefined) => v?.text.trim() === 'true';

/** A selectors block's field scopes by `key` (literal with a value, or a literal continued by an expression). */
function scopes(v: RiverValue | undefined, key: 'spec.nodeName' | 'metadata.name'): boolean {
  if (!v) return false;
  return v.strings.some((s) => fieldNames(s, key, v.tokens > 1));
}

/** The string items of a list expression `["a", "b"]` (literals only). */
function listStrings(v: RiverValue | undefined): string[] {
  return v ? v.strings.filter((s) => s.trim() !== '') : [];
}

function shapeOf(block: RiverBlock, role: SdShape['role']): SdShape {
  let podNodeScoped = false;
  let nodeNameScoped = false;
  for (const s of block.blocks) {
    if (s.name !== 'selectors') continue;
    const sRole = s.attrs.get('role')?.string?.trim();
    if (sRole === 'pod' && scopes(s.attrs.get('field'), 'spec.nodeName')) podNodeScoped = true;
    if (sRole === 'node' && scopes(s.attrs.get('field'), 'metadata.name')) nodeNameScoped = true;
  }
  const ns = block.blocks.find((b) => b.name === 'namespaces');
  const namespaces = ns ? [...listStrings(ns.attrs.get('names')), ...(isTrue(ns.attrs.get('own_namespace')) ? ['(own namespace)'] : [])] : [];
  const attach = block.blocks.find((b) => b.name === 'attach_metadata');
  return { role, podNodeScoped, nodeNameScoped, attachNode: isTrue(attach?.attrs.get('node')), namespaces };
}

/** The node meta label a `discovery.relabel` fed by `discovery.kubernetes.<label>` keeps on, if any. */
function relabelKeep(blocks: readonly RiverBlock[], label: string): string | undefined {
  const ref = new RegExp(`\\bdiscovery\\.kubernetes\\.${label.replace(/[^A-Za-z0-9_]/g, '\\$&')}\\.targets\\b`);
  for (const b of blocks) {
    if (b.name !== 'discovery.relabel' || !ref.test(b.attrs.get('targets')?.text ?? '')) continue;
    for (const rule of b.blocks) {
      if (rule.name !== 'rule' || rule.attrs.get('action')?.string?.trim().toLowerCase() !== 'keep') continue;
      const hit = rule.attrs.get('source_labels')?.strings.find(isNodeMetaLabel);
      if (hit) return hit;
    }
  }
  return undefined;
}

const EVENTS_REMEDIATION = 'Move loki.source.kubernetes_events to a single-replica Alloy Deployment, and keep only node-local sources in the DaemonSet.';

/** Alloy / Agent Flow components of a per-node agent that read cluster-wide. */
export const detector: Detector = (config) => {
  if (config.format !== 'river' || !config.text) return [];
  const blocks = allBlocks(scanRiver(config.text));
  const clustering = blocks.some((b) => b.name === 'clustering' && isTrue(b.attrs.get('enabled')));
  const out: Detection[] = [];
  for (const b of blocks) {
    const label = b.label ?? '';
    if (b.name === 'discovery.kubernetes') {
      const role = b.attrs.get('role')?.string?.trim();
      if (!isSdRole(role)) continue;
      const shape = shapeOf(b, role);
      const relabel = relabelKeep(blocks, label);
      const at = config.locate({ line: b.line });
      const attach = b.blocks.find((x) => x.name === 'attach_metadata');
      out.push(
        sdDetection({
          shape,
          key: `discovery.kubernetes.${label}`,
          where: `discovery.kubernetes ${quote(label)} (role ${quote(role)})`,
          syntax: 'river',
          tool: 'alloy',
          at,
          attachAt: attach ? config.locate({ line: attach.line }) : at,
          scopedBy: 'selectors field spec.nodeName',
          notes: [...(relabel ? [NOTES.relabel(relabel, 'discovery.relabel rule')] : []), ...(clustering ? [NOTES.clustering] : [])],
        }),
      );
    } else if (b.name === 'loki.source.kubernetes_events') {
      const namespaces = listStrings(b.attrs.get('namespaces'));
      const notes = [...(namespaces.length ? [NOTES.namespaces(namespaces, 'namespaces')] : []), ...(clustering ? ['clustering elsewhere in the config does not apply to this component'] : [])];
      out.push({
        key: `loki.source.kubernetes_events.${label}`,
        what: `loki.source.kubernetes_events ${quote(label)} lists and watches events cluster-wide on every node: the component has neither clustering nor leader election, so every replica reads them all${notes.length ? `; ${notes.join('; ')}` : ''}`,
        reads: [{ resource: 'events', scope: 'cluster' }],
        ...(namespaces.length ? { maxSeverity: 'high' as Severity } : {}),
        remediation: EVENTS_REMEDIATION,
        at: config.locate({ line: b.line }),
      });
    }
  }
  return out;
};

const REMEDIATION =
  'Scope discovery.kubernetes role "pod" in a per-node Alloy to its node with a selectors block field = "spec.nodeName=" + sys.env("HOSTNAME"), and move other roles and loki.source.kubernetes_events to a clustered Alloy Deployment.';

export const alloyDiscovery: StateRule = {
  meta: {
    id: 'watch-all/alloy-discovery',
    family: 'watch-all',
    type: 'state',
    severity: 'high',
    description:
      'Flag Grafana Alloy and Agent Flow configs of per-node agents whose discovery.kubernetes or loki.source.kubernetes_events components list and watch pods, endpoints, services, ingresses, nodes or events cluster-wide, with severity from the load model.',
    docs: 'docs/rules/watch-all/alloy-discovery.md',
    remediation: REMEDIATION,
  },
  focus: DETECTOR_FOCUS,
  check(ctx) {
    reportDetections(ctx, detector);
  },
};
