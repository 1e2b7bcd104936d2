/**
 * Node selection, evaluated without the cluster's nodes: three-valued logic (matches / does not / unknown)
 * over model nodes (a control-plane node before and after the kubeadm 1.24 label removal, a worker), for
 * nodeSelector, required / preferred node affinity, tolerations and Calico selectors. Used by
 * blast-radius/master-node-selector and blast-radius/tolerate-all-daemonset.
 */
import type { YamlPath } from './types.js';
import { asList, asMap, getIn } from './yaml/walk.js';

/** The deprecated label and taint key. */
export const MASTER = 'node-role.kubernetes.io/master';
/** Its replacement (label since kubeadm 1.20, taint since 1.24). */
export const CONTROL_PLANE = 'node-role.kubernetes.io/control-plane';

// ---------------------------------------------------------------------------------------------------------
// Three-valued evaluation of node selections against node models
// ---------------------------------------------------------------------------------------------------------

/** T: surely matches; F: surely does not; U: depends on labels we do not know. */
export type Tri = 'T' | 'F' | 'U';

/** The labels a model node carries (present with an unknown value) or lacks; other labels are unknown unless `othersAbsent`. */
export interface NodeModel {
  readonly name: string;
  readonly present: ReadonlySet<string>;
  readonly absent: ReadonlySet<string>;
  /** Every label not listed is absent (instead of unknown). */
  readonly othersAbsent?: boolean;
}

/** A control-plane node before kubeadm 1.24 (both role labels). */
export const CP_BEFORE: NodeModel = { name: 'control-plane (before)', present: new Set([MASTER, CONTROL_PLANE]), absent: new Set() };
/** The same node after the upgrade: `master` removed. */
export const CP_AFTER: NodeModel = { name: 'control-plane (after)', present: new Set([CONTROL_PLANE]), absent: new Set([MASTER]) };
/** A worker node: neither role label. */
export const WORKER: NodeModel = { name: 'worker', present: new Set(), absent: new Set([MASTER, CONTROL_PLANE]) };

/**
 * Labels the kubelet (and the cloud provider) put on every node, control-plane nodes included: a selection
 * on them does not keep pods off control-plane nodes.
 */
export const UNIVERSAL_LABELS: readonly string[] = [
  'kubernetes.io/os', 'kubernetes.io/arch', 'beta.kubernetes.io/os', 'beta.kubernetes.io/arch', 'kubernetes.io/hostname',
  'node.kubernetes.io/instance-type', 'beta.kubernetes.io/instance-type', 'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/region',
];

/** A kubeadm control-plane node after the upgrade carrying only the labels every node has: no pool or custom label. */
export const CP_BARE: NodeModel = {
  name: 'control-plane (bare)',
  present: new Set([CONTROL_PLANE, ...UNIVERSAL_LABELS]),
  absent: new Set([MASTER]),
  othersAbsent: true,
};

type LabelState = 'present' | 'absent' | 'unknown';

function stateOf(model: NodeModel, key: string): LabelState {
  return model.present.has(key) ? 'present' : model.absent.has(key) || model.othersAbsent ? 'absent' : 'unknown';
}

export function and(values: Iterable<Tri>): Tri {
  let out: Tri = 'T';
  for (const v of values) {
    if (v === 'F') return 'F';
    if (v === 'U') out = 'U';
  }
  return out;
}

export function or(values: Iterable<Tri>): Tri {
  let out: Tri = 'F';
  for (const v of values) {
    if (v === 'T') return 'T';
    if (v === 'U') out = 'U';
  }
  return out;
}

const not = (v: Tri): Tri => (v === 'T' ? 'F' : v === 'F' ? 'T' : 'U');

/** One node-selector requirement (`NodeSelectorRequirement`, or a label selector's requirement). */
export interface Requirement {
  readonly key: string;
  readonly operator: string;
  /** Path of the requirement inside the object (for the line). */
  readonly path: YamlPath;
}

/** Kubernetes requirement semantics on a model node (values unknown for present labels). */
export function evalRequirement(r: Pick<Requirement, 'key' | 'operator'>, model: NodeModel): Tri {
  const s = stateOf(model, r.key);
  if (s === 'unknown') return 'U';
  const present = s === 'present';
  switch (r.operator) {
    case 'In':
    case 'Gt':
    case 'Lt':
      return present ? 'U' : 'F';
    case 'NotIn':
      return present ? 'U' : 'T';
    case 'Exists':
      return present ? 'T' : 'F';
    case 'DoesNotExist':
      return present ? 'F' : 'T';
    default:
      return 'U';
  }
}

const NODE_OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);

/** A `NodeSelectorTerm`: its label requirements (ANDed) and whether it has matchFields. Undefined when invalid. */
export interface Term {
  readonly requirements: readonly Requirement[];
  readonly hasFields: boolean;
  readonly path: YamlPath;
}

function readRequirements(list: unknown, path: YamlPath): Requirement[] | undefined {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return undefined;
  const out: Requirement[] = [];
  for (const [i, raw] of list.entries()) {
    const m = asMap(raw);
    const key = m?.key;
    const operator = m?.operator;
    if (typeof key !== 'string' || typeof operator !== 'string' || !NODE_OPERATORS.has(operator)) return undefined;
    out.push({ key, operator, path: [...path, i] });
  }
  return out;
}

/** Reads one term (`{matchExpressions, matchFields}`); undefined when the API server would reject it. */
export function readTerm(raw: unknown, path: YamlPath): Term | undefined {
  const m = asMap(raw);
  if (!m) return undefined;
  const requirements = readRequirements(m.matchExpressions, [...path, 'matchExpressions']);
  const fields = readRequirements(m.matchFields, [...path, 'matchFields']);
  if (!requirements || !fields) return undefined;
  return { requirements, hasFields: fields.length > 0, path };
}

/** A term on a model node. An empty term matches no node (core/v1 NodeSelectorTerm). */
export function evalTerm(t: Term, model: NodeModel): Tri {
  if (t.requirements.length === 0 && !t.hasFields) return 'F';
  const parts = t.requirements.map((r) => evalRequirement(r, model));
  if (t.hasFields) parts.push('U');
  return and(parts);
}

/** What the pod template requires of a node: its `nodeSelector` and its required node affinity. */
export interface PodSelection {
  /** `nodeSelector` entries with string values (undefined when the field is malformed). */
  readonly nodeSelector: ReadonlyArray<{ key: string; path: YamlPath }> | undefined;
  /** Required nodeSelectorTerms (undefined when absent or malformed). */
  readonly required: readonly Term[] | undefined;
  /** Preferred terms (each `preference`), undefined when absent or malformed. */
  readonly preferred: readonly Term[] | undefined;
  /** False when some part is malformed (the API server rejects the object: it never takes effect). */
  readonly valid: boolean;
}

/** Reads the node selection of a pod spec found at `specPath`. Never throws. */
export function readPodSelection(spec: Record<string, unknown>, specPath: YamlPath): PodSelection {
  let valid = true;
  let nodeSelector: Array<{ key: string; path: YamlPath }> | undefined;
  if (spec.nodeSelector !== undefined && spec.nodeSelector !== null) {
    const m = asMap(spec.nodeSelector);
    if (!m || Object.values(m).some((v) => typeof v !== 'string')) valid = false;
    else nodeSelector = Object.keys(m).map((key) => ({ key, path: [...specPath, 'nodeSelector', key] }));
  }
  const nodeAffinity = getIn(spec, ['affinity', 'nodeAffinity']);
  const affinityPath = [...specPath, 'affinity', 'nodeAffinity'];
  let required: Term[] | undefined;
  const req = getIn(nodeAffinity, ['requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms']);
  if (req !== undefined && req !== null) {
    const terms = Array.isArray(req)
      ? req.map((t, i) => readTerm(t, [...affinityPath, 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms', i]))
      : [undefined];
    if (terms.some((t) => t === undefined)) valid = false;
    else required = terms as Term[];
  }
  let preferred: Term[] | undefined;
  const pref = getIn(nodeAffinity, ['preferredDuringSchedulingIgnoredDuringExecution']);
  if (pref !== undefined && pref !== null) {
    const terms = Array.isArray(pref)
      ? pref.map((p, i) => readTerm(getIn(p, ['preference']), [...affinityPath, 'preferredDuringSchedulingIgnoredDuringExecution', i, 'preference']))
      : [undefined];
    if (terms.some((t) => t === undefined)) valid = false;
    else preferred = terms as Term[];
  }
  return { nodeSelector, required, preferred, valid };
}

/** The nodeSelector on a model node (entries ANDed; a value comparison on a present label is unknown). */
export function evalNodeSelector(sel: PodSelection['nodeSelector'], model: NodeModel): Tri {
  return and((sel ?? []).map((e) => evalRequirement({ key: e.key, operator: 'In' }, model)));
}

/** Required terms ORed on a model node; `T` when there are none. */
export function evalRequired(terms: readonly Term[] | undefined, model: NodeModel): Tri {
  return terms === undefined ? 'T' : or(terms.map((t) => evalTerm(t, model)));
}

/** Everything a pod requires of a node (nodeSelector AND required affinity). */
export function evalPodSelection(sel: PodSelection, model: NodeModel): Tri {
  return and([evalNodeSelector(sel.nodeSelector, model), evalRequired(sel.required, model)]);
}

/** How a selection that names `master` fares across the upgrade. */
export type Verdict = 'nowhere' | 'loses-control-plane' | 'exclusion-lost' | 'ok';

/** Judges a selection given as a function of the model node. */
export function verdictOf(evaluate: (m: NodeModel) => Tri): Verdict {
  const before = evaluate(CP_BEFORE);
  const after = evaluate(CP_AFTER);
  if (before !== 'F' && after === 'F') return evaluate(WORKER) === 'F' ? 'nowhere' : 'loses-control-plane';
  if (before === 'F' && after !== 'F') return 'exclusion-lost';
  return 'ok';
}

// ---------------------------------------------------------------------------------------------------------
// Tolerations
// ---------------------------------------------------------------------------------------------------------

/** One toleration, read defensively; undefined when the API server would reject it. */
export interface Toleration {
  readonly key: string;
  readonly operator: 'Exists' | 'Equal';
  readonly value: string;
  /** `''` = every effect. */
  readonly effect: string;
  readonly index: number;
}

const EFFECTS = new Set(['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/** The valid tolerations of a pod spec (core/v1 validation: an empty key needs `Exists`; `Exists` takes no value). */
export function readTolerations(spec: Record<string, unknown>): Toleration[] {
  const out: Toleration[] = [];
  asList(spec.tolerations).forEach((raw, index) => {
    const t = asMap(raw);
    if (!t) return;
    const key = t.key === undefined || t.key === null ? '' : typeof t.key === 'string' ? t.key : undefined;
    const operator = t.operator === undefined || t.operator === null || t.operator === '' ? 'Equal' : t.operator;
    const value = t.value === undefined || t.value === null ? '' : typeof t.value === 'string' ? t.value : undefined;
    const effect = t.effect === undefined || t.effect === null ? '' : typeof t.effect === 'string' ? t.effect : undefined;
    if (key === undefined || value === undefined || effect === undefined || !EFFECTS.has(effect)) return;
    if (operator !== 'Exists' && operator !== 'Equal') return;
    if (key === '' && operator !== 'Exists') return;
    if (operator === 'Exists' && value !== '') return;
    out.push({ key, operator, value, effect, index });
  });
  return out;
}

/** True when a toleration tolerates the taint `key` (empty value, as kubeadm sets it) with `effect`. */
export function toleratesTaint(t: Toleration, key: string, effect: string): boolean {
  if (t.key !== '' && t.key !== key) return false;
  if (t.effect !== '' && t.effect !== effect) return false;
  return t.operator === 'Exists' || t.value === '';
}

// ---------------------------------------------------------------------------------------------------------
// Calico selectors (libcalico-go lib/selector: tokenizer and parser), evaluated three-valued
// ---------------------------------------------------------------------------------------------------------

type CalicoNode =
  | { op: 'all' }
  | { op: 'has'; label: string }
  | { op: 'cmp'; label: string; kind: 'eq' | 'ne' | 'in' | 'notin' | 'contains' | 'starts' | 'ends' }
  | { op: 'not'; operand: CalicoNode }
  | { op: 'and' | 'or'; operands: CalicoNode[] };

type Token = { t: 'label' | 'str' | 'has'; v: string } | { t: '(' | ')' | '{' | '}' | ',' | '==' | '!=' | '!' | '&&' | '||' | 'all' | 'in' | 'notin' | 'contains' | 'starts' | 'ends' | 'eof' };

const IDENT = /^[a-zA-Z0-9_./-]+/;

/** Calico's tokenizer; undefined on any error. */
function tokenize(input: string): Token[] | undefined {
  const out: Token[] = [];
  let s = input;
  for (let guard = 0; guard < 10_000; guard++) {
    s = s.replace(/^[ \t]+/, '');
    if (s.length === 0) {
      out.push({ t: 'eof' });
      return out;
    }
    const c = s[0];
    const last = out[out.length - 1];
    if (c === '(' || c === ')' || c === '{' || c === '}' || c === ',') {
      out.push({ t: c });
      s = s.slice(1);
    } else if (c === '"' || c === "'") {
      const end = s.indexOf(c, 1);
      if (end < 0) return undefined;
      out.push({ t: 'str', v: s.slice(1, end) });
      s = s.slice(end + 1);
    } else if (s.startsWith('==')) {
      out.push({ t: '==' });
      s = s.slice(2);
    } else if (s.startsWith('!=')) {
      out.push({ t: '!=' });
      s = s.slice(2);
    } else if (c === '!') {
      out.push({ t: '!' });
      s = s.slice(1);
    } else if (s.startsWith('&&')) {
      out.push({ t: '&&' });
      s = s.slice(2);
    } else if (s.startsWith('||')) {
      out.push({ t: '||' });
      s = s.slice(2);
    } else if (last?.t === 'label') {
      const m = /^(contains|starts[ \t]*with|ends[ \t]*with|not[ \t]*in|in)/.exec(s);
      if (!m) return undefined;
      const word = m[1].replace(/[ \t]+/g, '');
      out.push({ t: word === 'startswith' ? 'starts' : word === 'endswith' ? 'ends' : word === 'notin' ? 'notin' : (word as 'contains' | 'in') });
      s = s.slice(m[1].length);
    } else if (s.startsWith('has(')) {
      const m = /^has\([ \t]*([a-zA-Z0-9_./-]+)[ \t]*\)/.exec(s);
      if (!m) return undefined;
      out.push({ t: 'has', v: m[1] });
      s = s.slice(m[0].length);
    } else if (/^(all|global)\([ \t]*\)/.test(s)) {
      const m = /^(all|global)\([ \t]*\)/.exec(s)!;
      out.push({ t: 'all' });
      s = s.slice(m[0].length);
    } else {
      const m = IDENT.exec(s);
      if (!m) return undefined;
      out.push({ t: 'label', v: m[0] });
      s = s.slice(m[0].length);
    }
  }
  return undefined;
}

/** Parses a Calico selector; undefined when Calico would reject it. An empty selector is `all()`. */
export function parseCalicoSelector(input: string): CalicoNode | undefined {
  const tokens = tokenize(input);
  if (!tokens) return undefined;
  if (tokens[0].t === 'eof') return { op: 'all' };
  let i = 0;
  const peek = () => tokens[Math.min(i, tokens.length - 1)];
  let depth = 0;
  const parseOr = (): CalicoNode | undefined => {
    if (++depth > 200) return undefined;
    const operands: CalicoNode[] = [];
    for (;;) {
      const n = parseAnd();
      if (!n) return undefined;
      operands.push(n);
      if (peek().t !== '||') break;
      i++;
    }
    depth--;
    return operands.length === 1 ? operands[0] : { op: 'or', operands };
  };
  const parseAnd = (): CalicoNode | undefined => {
    const operands: CalicoNode[] = [];
    for (;;) {
      const n = parseOp();
      if (!n) return undefined;
      operands.push(n);
      if (peek().t !== '&&') break;
      i++;
    }
    return operands.length === 1 ? operands[0] : { op: 'and', operands };
  };
  const parseOp = (): CalicoNode | undefined => {
    let negated = false;
    while (peek().t === '!') {
      negated = !negated;
      i++;
    }
    const tok = peek();
    let node: CalicoNode | undefined;
    if (tok.t === 'has') {
      node = { op: 'has', label: tok.v };
      i++;
    } else if (tok.t === 'all') {
      node = { op: 'all' };
      i++;
    } else if (tok.t === 'label') {
      const opTok = tokens[i + 1];
      const arg = tokens[i + 2];
      if (!opTok || !arg) return undefined;
      const kinds: Record<string, 'eq' | 'ne' | 'contains' | 'starts' | 'ends'> = { '==': 'eq', '!=': 'ne', contains: 'contains', starts: 'starts', ends: 'ends' };
      if (kinds[opTok.t]) {
        if (arg.t !== 'str') return undefined;
        node = { op: 'cmp', label: tok.v, kind: kinds[opTok.t] };
        i += 3;
      } else if (opTok.t === 'in' || opTok.t === 'notin') {
        if (arg.t !== '{') return undefined;
        i += 3;
        while (peek().t === 'str') {
          i++;
          if (peek().t !== ',') break;
          i++;
        }
        if (peek().t !== '}') return undefined;
        i++;
        node = { op: 'cmp', label: tok.v, kind: opTok.t === 'in' ? 'in' : 'notin' };
      } else return undefined;
    } else if (tok.t === '(') {
      i++;
      node = parseOr();
      if (!node || peek().t !== ')') return undefined;
      i++;
    } else return undefined;
    return negated ? { op: 'not', operand: node } : node;
  };
  const root = parseOr();
  return root && peek().t === 'eof' ? root : undefined;
}

/** Calico semantics on a model node: `!=` and `not in` match when the label is absent. */
export function evalCalico(n: CalicoNode, model: NodeModel): Tri {
  switch (n.op) {
    case 'all':
      return 'T';
    case 'not':
      return not(evalCalico(n.operand, model));
    case 'and':
      return and(n.operands.map((o) => evalCalico(o, model)));
    case 'or':
      return or(n.operands.map((o) => evalCalico(o, model)));
    case 'has': {
      const s = stateOf(model, n.label);
      return s === 'unknown' ? 'U' : s === 'present' ? 'T' : 'F';
    }
    case 'cmp': {
      const s = stateOf(model, n.label);
      if (s === 'unknown' || s === 'present') return 'U';
      return n.kind === 'ne' || n.kind === 'notin' ? 'T' : 'F';
    }
  }
}

export function calicoLabels(n: CalicoNode, out: Set<string>): Set<string> {
  if (n.op === 'has' || n.op === 'cmp') out.add(n.label);
  else if (n.op === 'not') calicoLabels(n.operand, out);
  else if (n.op === 'and' || n.op === 'or') n.operands.forEach((o) => calicoLabels(o, out));
  return out;
}
