/**
 * What a commit changed, at the object level: (object, field path, value) "sites", values inside embedded
 * configs included, and where a site's value stands on another tree. Pure: the history loader
 * (src/history.ts) feeds it parsed files of old commits; the revert-lock rules compare the sites with the
 * pull request's base and head.
 *
 * A site is where a change happened, as small as the change allows:
 * - a scalar that changed is a site holding its new value;
 * - a key or list item that was added is one site holding the whole added subtree (so a re-added block
 *   with anything changed inside it is a different value, not the same one); one that was removed is a
 *   site holding {@link ABSENT};
 * - list items are matched by their `name` when they have one (containers, env, volumes), else by their
 *   whole value (args, tolerations): a list is a set;
 * - a string that holds YAML or JSON on both sides (a ConfigMap's `relay` config) is compared inside
 *   (step `|`); other multi-line strings (INI, Corefile, River) line by line, ignoring blank lines,
 *   comments, indentation and order (step `~<line>`);
 * - an object the commit added gives one site per top-level field but `apiVersion`, `kind` and `metadata`
 *   (its identity is not a value it set); an object it deleted gives one site at its root holding ABSENT.
 */
import { parseEmbeddedYaml } from './agents/config.js';
import { sameValue } from './changes.js';
import type { YamlPath } from './types.js';
import { lineOf } from './yaml/lines.js';
import { objectsOfDocument } from './yaml/parse.js';
import { asMap } from './yaml/walk.js';

/** The value of a site where nothing is (a removed key, list item, line or object). */
export const ABSENT = '\u0000absent';
/** The value of a line step where the line is present. */
export const PRESENT = '\u0000present';

/**
 * One step of a site path: `.key`, `[name=x]` (list item by name), `[=<json>]` (list item by value),
 * `|` (into the YAML / JSON a string holds) or `~<line>` (a line of a multi-line string; always last).
 */
export type Step = string;

/** A document of a file: a Kubernetes object (by `Kind/namespace/name`) or any other YAML document. */
export interface Target {
  /** `Kind/namespace/name` for a Kubernetes object, else `<file>#<document index>`. */
  readonly id: string;
  /** The object's ref, null for a document that is not a Kubernetes object (a values file). */
  readonly ref: string | null;
  readonly kind: string | null;
  readonly namespace: string | null;
  readonly name: string | null;
  readonly file: string;
  readonly docIndex: number;
  /** Path of the object in its document (`['items', i]` for a List item). */
  readonly docPath: YamlPath;
  readonly doc: unknown;
}

export interface Site {
  /** The target's id and the file it was in when the commit made the change. */
  readonly target: string;
  readonly ref: string | null;
  readonly kind: string | null;
  readonly namespace: string | null;
  readonly name: string | null;
  readonly file: string;
  /** The document's index in that file. */
  readonly docIndex: number;
  readonly path: readonly Step[];
  /** The canonical value the commit left there ({@link canonical}), ABSENT or PRESENT. */
  readonly value: string;
}

/** At most this many sites are kept per commit (a vendored 13,000-line manifest is one commit). */
export const MAX_SITES = 5000;
/** Nodes a canonical value may hold before it is cut (an alias bomb stays bounded). */
const CANON_BUDGET = 200_000;

/** Stable JSON of a parsed YAML value (keys sorted; dates as ISO strings). Alias-safe through a budget. */
export function canonical(value: unknown): string {
  let budget = CANON_BUDGET;
  const enc = (v: unknown): string => {
    if (--budget < 0) return '"\u0000cut"';
    if (v === undefined) return 'null';
    if (v instanceof Date) return JSON.stringify(v.toISOString());
    if (Array.isArray(v)) return `[${v.map(enc).join(',')}]`;
    if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${enc((v as Record<string, unknown>)[k])}`).join(',')}}`;
    }
    return JSON.stringify(v) ?? 'null';
  };
  return enc(value);
}

/** The documents of a parsed file as targets. */
export function targetsOf(file: string, docs: readonly unknown[]): Target[] {
  const out: Target[] = [];
  docs.forEach((doc, i) => {
    const objects = objectsOfDocument(doc, file, i);
    if (objects.length) {
      for (const o of objects) {
        // A nameless object (a kustomization file) is known by its file only.
        const id = o.name ? o.ref : `${file}#${i}${o.docPath.length ? `/${o.docPath.join('/')}` : ''}`;
        out.push({ id, ref: o.name ? o.ref : null, kind: o.kind, namespace: o.namespace, name: o.name || null, file, docIndex: i, docPath: o.docPath, doc: o.doc });
      }
    } else if (asMap(doc) || Array.isArray(doc)) {
      out.push({ id: `${file}#${i}`, ref: null, kind: null, namespace: null, name: null, file, docIndex: i, docPath: [], doc });
    }
  });
  return out;
}

/**
 * Text config files that a Kustomize `configMapGenerator` / `secretGenerator` may read besides YAML (INI,
 * Corefile, River, TOML, JSON …): their lines are compared like a ConfigMap's embedded config.
 */
export function isTextConfigPath(path: string): boolean {
  return /\.(conf|ini|toml|json|properties|env|river|alloy|cfg|lua|txt)$/i.test(path) || /(^|\/)Corefile$/.test(path);
}

/** Above this size a text config is not compared (a bundle, not a config). */
const MAX_TEXT_BYTES = 512 * 1024;

/** A non-YAML text config file as one target: the whole text, known by its file. */
export function textTarget(file: string, text: string): Target {
  return { id: `${file}#text`, ref: null, kind: null, namespace: null, name: null, file, docIndex: 0, docPath: [], doc: text.length > MAX_TEXT_BYTES || text.includes('\u0000') ? '' : text };
}

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

/** The key of a list item: `[name=x]` for a mapping with a string `name`, else `[=<canonical value>]`. */
function itemStep(item: unknown): Step {
  const name = isPlainMap(item) ? item.name : undefined;
  return typeof name === 'string' ? `[name=${name}]` : `[=${canonical(item)}]`;
}

/** Separates a line's context (its section or block) from the line in a `~` step. */
const IN = '\u0001';
/** Lines that say nothing on their own: closers, shell keywords, punctuation. */
const TRIVIAL = /^(?:[\W_]*|fi|done|esac|else|end|then|do|EOF)$/;

/**
 * The lines of a multi-line text, each with its context: the nearest `[section]` header or block opener
 * (a line ending in `{`) above it, so `enabled = true` of one INI section is not the same line as
 * `enabled = true` of another. Trimmed, without blank lines, `#` comments and lines that say nothing on
 * their own (`}`, `fi`). Keys are `<context>\u0001<line>`, mapped to the 0-based line index.
 */
function lineEntries(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let context = '';
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    if (/^\[[^\]]+\]$/.test(line) || line.endsWith('{')) {
      context = line;
      return;
    }
    if (TRIVIAL.test(line)) return;
    const key = `${context}${IN}${line}`;
    if (!out.has(key)) out.set(key, i);
  });
  return out;
}

/** The YAML / JSON collection a string holds, or undefined. */
function embedded(text: string): unknown {
  if (!text.includes('\n') && !/^\s*[[{]/.test(text)) return undefined;
  const doc = parseEmbeddedYaml(text);
  return doc !== null && typeof doc === 'object' ? doc : undefined;
}

/** Appends the sites where `after` differs from `before` under `path`. */
export function diffSites(before: unknown, after: unknown, path: readonly Step[], add: (path: readonly Step[], value: string) => void): void {
  if (sameValue(before, after)) return;
  if (after === undefined) return add(path, ABSENT);
  if (before === undefined) return add(path, canonical(after));
  if (isPlainMap(before) && isPlainMap(after)) {
    // The new side's keys first: the first site is then the first thing a reader sees in the new document.
    for (const k of new Set([...Object.keys(after), ...Object.keys(before)])) {
      diffSites(Object.prototype.hasOwnProperty.call(before, k) ? before[k] : undefined, Object.prototype.hasOwnProperty.call(after, k) ? after[k] : undefined, [...path, `.${k}`], add);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const b = keyed(before);
    const a = keyed(after);
    if (!b || !a) return add(path, canonical(after)); // items that cannot be told apart: the list is one value
    for (const k of new Set([...a.keys(), ...b.keys()])) diffSites(b.get(k), a.get(k), [...path, k], add);
    return;
  }
  if (typeof before === 'string' && typeof after === 'string') {
    const eb = embedded(before);
    const ea = eb === undefined ? undefined : embedded(after);
    if (eb !== undefined && ea !== undefined) return diffSites(eb, ea, [...path, '|'], add);
    if (before.includes('\n') || after.includes('\n')) {
      const lb = lineEntries(before);
      const la = lineEntries(after);
      for (const l of la.keys()) if (!lb.has(l)) add([...path, `~${l}`], PRESENT);
      for (const l of lb.keys()) if (!la.has(l)) add([...path, `~${l}`], ABSENT);
      return;
    }
  }
  add(path, canonical(after));
}

/** List items by step, or undefined when two items share one. */
function keyed(items: readonly unknown[]): Map<Step, unknown> | undefined {
  const out = new Map<Step, unknown>();
  for (const item of items) {
    const k = itemStep(item);
    if (out.has(k)) return undefined;
    out.set(k, item);
  }
  return out;
}

/**
 * Pairs the targets of two sides: by file and id, then (an object moved to another file) by id among the
 * ones left, when that id is unique there. Unpaired targets come back with the other side undefined.
 */
export function pairTargets(before: readonly Target[], after: readonly Target[]): Array<{ before?: Target; after?: Target }> {
  const key = (t: Target) => `${t.file}\u0000${t.id}`;
  const b = new Map(before.map((t) => [key(t), t] as const));
  const out: Array<{ before?: Target; after?: Target }> = [];
  const lonelyAfter: Target[] = [];
  for (const t of after) {
    const old = b.get(key(t));
    if (old) {
      b.delete(key(t));
      out.push({ before: old, after: t });
    } else lonelyAfter.push(t);
  }
  const count = (ts: Iterable<Target>) => {
    const m = new Map<string, Target[]>();
    for (const t of ts) if (t.ref) (m.get(t.id) ?? m.set(t.id, []).get(t.id)!).push(t);
    return m;
  };
  const leftBefore = count(b.values());
  const leftAfter = count(lonelyAfter);
  for (const t of lonelyAfter) {
    const olds = leftBefore.get(t.id);
    if (olds?.length === 1 && leftAfter.get(t.id)!.length === 1) {
      out.push({ before: olds[0], after: t });
      b.delete(key(olds[0]));
    } else out.push({ after: t });
  }
  for (const t of b.values()) out.push({ before: t });
  return out;
}

/** The sites a commit made: targets before and after it (the files it changed, on both sides). */
export function commitSites(before: readonly Target[], after: readonly Target[]): Site[] {
  const out: Site[] = [];
  const push = (t: Target, path: readonly Step[], value: string) => {
    if (out.length < MAX_SITES) out.push({ target: t.id, ref: t.ref, kind: t.kind, namespace: t.namespace, name: t.name, file: t.file, docIndex: t.docIndex, path, value });
  };
  for (const { before: old, after: t } of pairTargets(before, after)) {
    if (old && t) diffSites(old.doc, t.doc, [], (p, v) => push(t, p, v));
    else if (t) {
      const doc = asMap(t.doc);
      if (!doc) push(t, [], canonical(t.doc));
      else for (const k of Object.keys(doc)) if (!(t.ref && (k === 'apiVersion' || k === 'kind' || k === 'metadata'))) push(t, [`.${k}`], canonical(doc[k]));
    } else if (old) push(old, [], ABSENT);
  }
  return out;
}

/** The value at a site path of a document: canonical, ABSENT, or for a line step PRESENT / ABSENT. */
export function valueAt(doc: unknown, path: readonly Step[]): string {
  const found = resolve(doc, path);
  if (found.line !== undefined) return found.line;
  return found.value === undefined ? ABSENT : canonical(found.value);
}

/** Walks a site path; `yaml` is the YAML path reached in the document, `inner` the path inside an embedded config. */
function resolve(doc: unknown, path: readonly Step[]): { value?: unknown; line?: string; yaml: YamlPath; inner?: YamlPath; innerText?: string; lineText?: string } {
  let cur: unknown = doc;
  const yaml: Array<string | number> = [];
  let inner: Array<string | number> | undefined;
  let innerText: string | undefined;
  const at = () => inner ?? yaml;
  for (const step of path) {
    if (cur === undefined) return { yaml, inner, innerText };
    if (step.startsWith('.')) {
      const m = isPlainMap(cur) ? cur : undefined;
      const k = step.slice(1);
      cur = m && Object.prototype.hasOwnProperty.call(m, k) ? m[k] : undefined;
      if (cur !== undefined) at().push(k);
    } else if (step.startsWith('[')) {
      const list = Array.isArray(cur) ? cur : [];
      const i = list.findIndex((item) => itemStep(item) === step);
      cur = i >= 0 ? list[i] : undefined;
      if (cur !== undefined) at().push(i);
    } else if (step === '|') {
      if (typeof cur !== 'string' || inner) return { yaml, inner, innerText };
      innerText = cur;
      cur = embedded(cur);
      inner = [];
    } else if (step.startsWith('~')) {
      if (typeof cur !== 'string') return { line: ABSENT, yaml, inner, innerText };
      const present = lineEntries(cur).has(step.slice(1));
      return { line: present ? PRESENT : ABSENT, yaml, inner, innerText, ...(present ? { lineText: cur } : {}) };
    }
  }
  return { value: cur, yaml, inner, innerText };
}

/**
 * For a site whose last step is a list item by value (`[=…]`) or a line (`~…`): the steps of every item /
 * line of that list / text in a document (empty where there is none). Undefined for any other site.
 */
export function siblingSteps(doc: unknown, path: readonly Step[]): Set<string> | undefined {
  const last = path[path.length - 1];
  if (!last || !(last.startsWith('[=') || last.startsWith('~'))) return undefined;
  const parent = resolve(doc, path.slice(0, -1)).value;
  if (last.startsWith('~')) return new Set(typeof parent === 'string' ? [...lineEntries(parent).keys()].map((k) => `~${k}`) : []);
  return new Set(Array.isArray(parent) ? parent.map(itemStep) : []);
}

/**
 * Where a site sits in a document, for a finding's line: the YAML path inside the document (relative to
 * the object) and, inside an embedded config, the 0-based line within the block.
 */
export function locateSite(doc: unknown, path: readonly Step[]): { path: YamlPath; innerLine?: number } {
  const r = resolve(doc, path);
  const last = path[path.length - 1];
  if (r.lineText !== undefined && last?.startsWith('~')) {
    return { path: r.yaml, innerLine: lineEntries(r.lineText).get(last.slice(1)) ?? 0 };
  }
  if (r.innerText !== undefined && r.inner) return { path: r.yaml, innerLine: lineOf(r.innerText, 0, r.inner) - 1 };
  return { path: r.yaml };
}

/** A site path as people read it: `spec.template.spec.containers[name=agent].image`, `data.relay | processors.k8sattributes`. */
export function pathText(path: readonly Step[]): string {
  let out = '';
  for (const step of path) {
    if (step.startsWith('.')) {
      const k = step.slice(1);
      out += /^[A-Za-z_$][\w$-]*$/.test(k) ? `${out && !out.endsWith(' ') ? '.' : ''}${k}` : `[${JSON.stringify(k)}]`;
    } else if (step.startsWith('[=')) out += `[${short(step.slice(2, -1), 40)}]`;
    else if (step.startsWith('[')) out += step;
    else if (step === '|') out += ' | ';
    else if (step.startsWith('~')) {
      const [context, line] = step.slice(1).split(IN);
      out += `${out ? ' ' : ''}line ${JSON.stringify(short(line ?? '', 60))}${context ? ` (in ${short(context, 40)})` : ''}`;
    }
  }
  return out || '(the whole object)';
}

/** A canonical value as people read it (shortened). */
export function valueText(value: string): string {
  if (value === ABSENT) return 'removed';
  if (value === PRESENT) return 'added';
  return short(value, 60);
}

function short(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A tree's documents as targets: per file (parsed documents of the tree) and, built on first use, by id. */
export interface TreeTargets {
  inFile(file: string): readonly Target[];
  /** Every target with this id, in any file (ids of Kubernetes objects only). */
  byId(id: string): readonly Target[];
}

const treeTargetsCache = new WeakMap<object, TreeTargets>();

/** The targets of a tree (cached per tree); a text config file that is not YAML is read whole. */
export function treeTargets(tree: { readonly files: ReadonlyMap<string, { readonly docs: readonly unknown[] }>; readFile?(path: string): string | null }): TreeTargets {
  let t = treeTargetsCache.get(tree);
  if (t) return t;
  const files = new Map<string, Target[]>();
  let ids: Map<string, Target[]> | undefined;
  const inFile = (file: string): Target[] => {
    let out = files.get(file);
    if (!out) {
      const parsed = tree.files.get(file);
      const text = !parsed && isTextConfigPath(file) ? tree.readFile?.(file) : null;
      files.set(file, (out = parsed ? targetsOf(file, parsed.docs) : text ? [textTarget(file, text)] : []));
    }
    return out;
  };
  t = {
    inFile,
    byId: (id) => {
      if (!ids) {
        ids = new Map();
        for (const file of tree.files.keys()) for (const x of inFile(file)) if (x.ref) (ids.get(x.id) ?? ids.set(x.id, []).get(x.id)!).push(x);
      }
      return ids.get(id) ?? [];
    },
  };
  treeTargetsCache.set(tree, t);
  return t;
}
