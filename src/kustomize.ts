/**
 * Kustomize, well enough for joins and images to be right: the `resources` / `bases` / `components` graph,
 * patches (strategic merge and JSON 6902), `namespace`, `namePrefix` / `nameSuffix` with the name
 * references joins rely on, `commonLabels` / `labels` / `commonAnnotations`, `images` and `replicas`.
 * Exact rendering (`kubectl kustomize`) comes later; what is not modelled here is said in a note.
 */
import { posix } from 'node:path';
import jsyaml from 'js-yaml';
import { isClusterScoped, podSpecPath } from './kube.js';
import type { KubeObject, Tree } from './types.js';
import { LOAD_OPTIONS, objectRef } from './yaml/parse.js';
import { asList, asMap, asString, getIn } from './yaml/walk.js';

export const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/** Deepest chain of kustomizations followed (a cycle or a runaway graph stops here). */
const MAX_DEPTH = 30;

const KUSTOMIZATION_NAME_SET: ReadonlySet<string> = new Set(KUSTOMIZATION_NAMES);
export function isKustomizationPath(path: string): boolean {
  // (Called for every file of every unit: the name after the last slash, without posix.basename's work.)
  return KUSTOMIZATION_NAME_SET.has(path.slice(path.lastIndexOf('/') + 1));
}

/** The kustomization file of a directory (`''` is the repository root), if it has one. */
export function kustomizationIn(tree: Tree, dir: string): string | undefined {
  for (const name of KUSTOMIZATION_NAMES) {
    const p = dir ? `${dir}/${name}` : name;
    if (tree.files.has(p)) return p;
  }
  return undefined;
}

/** Normalises `dir/entry` to a repository path; undefined when it leaves the repository or is remote. */
export function resolvePath(dir: string, entry: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || /^(git@|github\.com\/|gitlab\.com\/)/.test(entry)) return undefined;
  const joined = posix.normalize(posix.join(dir || '.', entry)).replace(/\/+$/, '');
  if (joined === '..' || joined.startsWith('../') || posix.isAbsolute(joined)) return undefined;
  return joined === '.' ? '' : joined;
}

function kustomizationDoc(tree: Tree, path: string): Record<string, unknown> | undefined {
  return asMap(tree.files.get(path)?.docs[0]);
}

/** Patch entries of a kustomization: inline text or a file path, with an optional target. */
interface PatchEntry {
  file?: string;
  inline?: string;
  target?: Record<string, unknown>;
}

function patchEntries(doc: Record<string, unknown>, dir: string): PatchEntry[] {
  const out: PatchEntry[] = [];
  const fromString = (s: string): PatchEntry =>
    // An entry with a newline, or that parses as a mapping, is an inline patch; anything else a path.
    s.includes('\n') ? { inline: s } : { file: resolvePath(dir, s) };
  for (const e of asList(doc.patchesStrategicMerge)) {
    const s = asString(e);
    if (s !== undefined) out.push(fromString(s));
  }
  for (const key of ['patches', 'patchesJson6902']) {
    for (const e of asList(doc[key])) {
      const m = asMap(e);
      const s = asString(e);
      if (s !== undefined) out.push(fromString(s));
      if (!m) continue;
      const path = asString(m.path);
      const inline = asString(m.patch);
      out.push({ ...(path ? { file: resolvePath(dir, path) } : {}), ...(inline ? { inline } : {}), ...(asMap(m.target) ? { target: asMap(m.target) } : {}) });
    }
  }
  return out;
}

/** Files a kustomization reads as patches or generator inputs: they are inputs, not objects. */
export function kustomizationInputs(doc: Record<string, unknown>, dir: string): string[] {
  const files: string[] = [];
  for (const p of patchEntries(doc, dir)) if (p.file) files.push(p.file);
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    for (const g of asList(doc[key])) {
      const m = asMap(g);
      for (const f of [...asList(m?.files), ...asList(m?.envs), ...(m?.env ? [m.env] : [])]) {
        const s = asString(f);
        if (!s) continue;
        const eq = s.indexOf('=');
        const p = resolvePath(dir, eq >= 0 ? s.slice(eq + 1) : s);
        if (p) files.push(p);
      }
    }
  }
  for (const key of ['transformers', 'generators', 'validators', 'replacements', 'configurations', 'crds']) {
    for (const e of asList(doc[key])) {
      const s = asString(e);
      const p = s && !s.includes('\n') ? resolvePath(dir, s) : undefined;
      if (p) files.push(p);
    }
  }
  return files;
}

/** Every kustomization input of a tree (see kustomizationInputs). */
export function treeInputs(tree: Pick<Tree, 'files'>): Map<string, string> {
  const inputs = new Map<string, string>();
  for (const [path, f] of tree.files) {
    if (!isKustomizationPath(path)) continue;
    const doc = asMap(f.docs[0]);
    if (!doc) continue;
    for (const p of kustomizationInputs(doc, posix.dirname(path) === '.' ? '' : posix.dirname(path))) if (!inputs.has(p)) inputs.set(p, path);
  }
  return inputs;
}

/** An object on its way through a kustomization: its document is copied before the first change. */
interface Res {
  readonly source: KubeObject;
  doc: Record<string, unknown>;
  cloned: boolean;
  /**
   * Held by a cached sub-build and shared by every build that includes it (never edited: `edit` refuses): a kustomization that
   * transforms its resources takes its own copy first (`own`); one that only gathers them copies nothing.
   */
  readonly borrowed?: true;
}

/** A resource as a cached sub-build holds it, for every build that includes the sub-build to share. */
function lend(r: Res): Res {
  return r.borrowed ? r : { source: r.source, doc: r.doc, cloned: false, borrowed: true };
}

/** Fields of a kustomization that only gather resources: one with nothing else transforms none of them. */
// Every transformer that edits resources (generators merging, patches, namespace, names, labels, images,
// replicas) is keyed on a field outside this set and runs after `own`; nothing edits while gathering. A new
// transformer must keep both true, or `edit` refuses a lent resource and the build fails.
const GATHERING_FIELDS: ReadonlySet<string> = new Set(['apiVersion', 'kind', 'metadata', 'resources', 'bases', 'components']);

/** Takes a build's own copy of each borrowed resource, before its transformers run. */
function own(res: Res[]): void {
  for (let i = 0; i < res.length; i++) {
    const r = res[i];
    if (r.borrowed) res[i] = { source: r.source, doc: r.doc, cloned: false };
  }
}

function edit(r: Res): Record<string, unknown> {
  if (r.borrowed) throw new Error('kustomize: a shared resource was edited in place');
  if (!r.cloned) {
    r.doc = structuredClone(r.doc);
    r.cloned = true;
  }
  return r.doc;
}

const nameOf = (doc: Record<string, unknown>) => asString(asMap(doc.metadata)?.name) ?? '';
const namespaceOf = (doc: Record<string, unknown>) => asString(asMap(doc.metadata)?.namespace) || null;
const kindOf = (doc: Record<string, unknown>) => asString(doc.kind) ?? '';

export interface BuildResult {
  objects: KubeObject[];
  /** Every file the build read: kustomizations, resources, patches. */
  files: Set<string>;
  /** Paths whose presence or content the build depends on besides `files` (directories it looked in). */
  probes?: Probes;
  notes: string[];
}

/**
 * Paths a build probed: its own, and those of the shared sub-builds it used, held by reference (fifty
 * overlays over the same team bases would otherwise each copy every path the bases looked at).
 */
export interface Probes {
  readonly own: Set<string>;
  readonly nested: Set<Probes>;
}

export function newProbes(): Probes {
  return { own: new Set(), nested: new Set() };
}

/** True when a build (or a sub-build it used) probed any of `paths`. */
export function probedAny(probes: Probes, paths: readonly string[]): boolean {
  return someNested(probes, (p) => paths.some((t) => p.own.has(t)));
}

/**
 * Visits a node and every node nested under it, each once, until `visit` returns true (then true). Nested
 * probes and sub-builds are shared by the builds that used them: a graph, not a tree.
 */
function someNested<T extends { readonly nested: ReadonlySet<T> }>(start: T, visit: (node: T) => boolean): boolean {
  const seen = new Set<T>();
  const stack = [start];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (visit(n)) return true;
    for (const c of n.nested) stack.push(c);
  }
  return false;
}

const wrappers = new Map<string, WeakMap<object, KubeObject>>();

/** The objects one unit received, by source (unchanged) or by document (changed by the build). */
function wrappersOf(unit: string): WeakMap<object, KubeObject> {
  let perUnit = wrappers.get(unit);
  if (!perUnit) wrappers.set(unit, (perUnit = new WeakMap()));
  return perUnit;
}

/**
 * A parsed object as a unit receives it unchanged: one object per (source, unit), so base and head, whose
 * unchanged files share their parsed objects, share these too, and what did not change is seen not to
 * have changed at a glance (src/changes.ts compares by identity first).
 */
function unchanged(source: KubeObject, unit: string, perUnit: WeakMap<object, KubeObject>): KubeObject {
  let o = perUnit.get(source);
  if (!o) perUnit.set(source, (o = inUnit(source, unit)));
  return o;
}

/** Every field of a KubeObject, for the copy below (the compiler checks none is missing). */
const KUBE_OBJECT_FIELDS = ['apiVersion', 'kind', 'name', 'namespace', 'ref', 'doc', 'file', 'docIndex', 'docPath', 'unit', 'source', 'generated', 'rendered'] as const;
const allFieldsCopied: Exclude<keyof KubeObject, (typeof KUBE_OBJECT_FIELDS)[number]> extends never ? true : never = true;
void allFieldsCopied;

/**
 * A parsed object's copy in a unit, with the document, name and namespace a build gave it. Written out
 * field by field: every copy gets the same shape (fast to make, and fast to read for every rule), where a
 * spread of parsed objects with and without their optional fields would not.
 */
function inUnit(s: KubeObject, unit: string, doc = s.doc, name = s.name, namespace = s.namespace, ref = s.ref): KubeObject {
  const o: { -readonly [K in keyof KubeObject]: KubeObject[K] } = {
    apiVersion: s.apiVersion,
    kind: s.kind,
    name,
    namespace,
    ref,
    doc,
    file: s.file,
    docIndex: s.docIndex,
    docPath: s.docPath,
    unit,
    source: s.source ?? s,
  };
  if (s.generated) o.generated = s.generated;
  if (s.rendered) o.rendered = s.rendered;
  return o;
}

/**
 * Builds the kustomization in `dir` (or, without one, the YAML files directly in it) into the objects one
 * cluster receives, all tagged with `unit`.
 */
export function buildKustomization(tree: Tree, dir: string, unit: string, shared?: SharedBuilds): BuildResult {
  const files = new Set<string>();
  const notes: string[] = [];
  const outer = sharing;
  sharing = shared;
  const probes = newProbes();
  probing.push(probes);
  // The unit's own build gathers every file it read: no sub-build running now holds it.
  const outerNesting = nesting.splice(0);
  let resources: Res[];
  try {
    resources = build(tree, dir, [], files, notes);
  } finally {
    probing.pop();
    nesting.push(...outerNesting);
    sharing = outer;
  }
  const perUnit = wrappersOf(unit);
  const objects = resources.map((r): KubeObject => {
    if (r.doc === r.source.doc) return unchanged(r.source, unit, perUnit);
    // A document a shared build changed (a team overlay's replicas, built once for both sides): one object.
    const known = perUnit.get(r.doc);
    if (known && (known.source === (r.source.source ?? r.source))) return known;
    const name = nameOf(r.doc);
    const namespace = namespaceOf(r.doc);
    const o = inUnit(r.source, unit, r.doc, name, namespace, objectRef(r.source.kind, namespace, name));
    perUnit.set(r.doc, o);
    return o;
  });
  return { objects, files, probes, notes };
}

interface DirIndex {
  /** Every directory of the tree (`''` is the root). */
  dirs: Set<string>;
  /** YAML files by the directory that directly holds them. */
  yaml: Map<string, string[]>;
  /** Immediate subdirectories by directory. */
  children: Map<string, string[]>;
}

const indexCache = new WeakMap<object, DirIndex>();

/** Directories and YAML files of a tree, indexed once per tree. */
export function dirIndex(tree: Pick<Tree, 'paths' | 'files'>): DirIndex {
  let idx = indexCache.get(tree.files);
  if (!idx) {
    idx = { dirs: new Set(['']), yaml: new Map(), children: new Map() };
    for (const p of tree.paths) {
      let d = posix.dirname(p);
      while (d !== '.' && !idx.dirs.has(d)) {
        idx.dirs.add(d);
        const parent = posix.dirname(d) === '.' ? '' : posix.dirname(d);
        (idx.children.get(parent) ?? idx.children.set(parent, []).get(parent)!).push(d);
        d = posix.dirname(d);
      }
    }
    for (const p of tree.files.keys()) {
      const d = posix.dirname(p) === '.' ? '' : posix.dirname(p);
      (idx.yaml.get(d) ?? idx.yaml.set(d, []).get(d)!).push(p);
    }
    indexCache.set(tree.files, idx);
  }
  return idx;
}

/** The YAML files directly inside a directory (what Argo CD and kustomize read from a plain directory). */
export function yamlFilesIn(tree: Tree, dir: string): string[] {
  return dirIndex(tree).yaml.get(dir) ?? [];
}

/** The immediate subdirectories of a directory. */
export function subdirsOf(tree: Tree, dir: string): string[] {
  return dirIndex(tree).children.get(dir) ?? [];
}

/** True when the tree has a directory at `path`. */
export function isDirectory(tree: Tree, path: string): boolean {
  return dirIndex(tree).dirs.has(path);
}

function objectsOfFile(tree: Tree, path: string): Res[] {
  const f = tree.files.get(path);
  if (!f || f.input) return [];
  return f.objects.map((o) => ({ source: o, doc: o.doc, cloned: false }));
}

/** A kustomization's build, kept per tree for every overlay that includes it. */
interface SubBuild {
  /** Lent (`lend`): every build that includes this one shares these. */
  readonly res: readonly Res[];
  /** The files it read itself; those of the sub-builds it used are theirs (`nested`), held by reference. */
  readonly ownFiles: ReadonlySet<string>;
  readonly nested: ReadonlySet<SubBuild>;
  /** Paths whose presence or content the build depends on: directories it looked in, resources it resolved. */
  readonly probes: Probes;
  readonly notes: readonly string[];
  /** The files of the tree it was built from (a file read as a patch on one side and a resource on the other differs). */
  readonly from: Tree['files'];
}
const subBuilds = new WeakMap<object, Map<string, SubBuild>>();

/**
 * Builds shared by the two sides of a change: a kustomization none of whose files and probed paths the
 * change touches builds the same on both, from the same parsed objects (the parse cache shares unchanged
 * files). Fifty cluster overlays over team bases then build each untouched base once, not once per side.
 */
export interface SharedBuilds {
  /** Paths the change touches, on either side (`''`: unknown, everything). */
  readonly changed: ReadonlySet<string>;
  /** Unchanged paths that one side reads as a patch or generator input and the other does not. */
  readonly inputsDiffer: ReadonlySet<string>;
  readonly subBuilds: Map<string, SubBuild>;
}

/** The changed paths and every directory above them (`''` included): a probe they hold was touched. */
const touchedCache = new WeakMap<ReadonlySet<string>, string[]>();
export function touched(changed: ReadonlySet<string>): string[] {
  let t = touchedCache.get(changed);
  if (!t) {
    const all = new Set<string>();
    for (const c of changed) {
      all.add(c);
      for (let i = c.lastIndexOf('/'); i > 0; i = c.lastIndexOf('/', i - 1)) all.add(c.slice(0, i));
      all.add('');
    }
    touchedCache.set(changed, (t = [...all]));
  }
  return t;
}

/** Paths read as a patch or generator input on one side and not on the other (a build of them differs). */
export function inputsDiffering(a: Tree['files'], b: Tree['files']): Set<string> {
  const out = new Set<string>();
  for (const [p, f] of a) if (f.input !== b.get(p)?.input) out.add(p);
  for (const [p, f] of b) if (f.input !== a.get(p)?.input) out.add(p);
  return out;
}

function sharedBuild(shared: SharedBuilds | undefined, tree: Tree, dir: string): SubBuild | undefined {
  const hit = shared?.subBuilds.get(dir);
  if (!hit || hit.from === tree.files || shared!.changed.has('')) return undefined;
  if (probedAny(hit.probes, touched(shared!.changed))) return undefined;
  if (readAny(hit, [...touched(shared!.changed), ...shared!.inputsDiffer])) return undefined;
  return hit;
}

/** True when a sub-build (or one it used) read any of `paths`. */
function readAny(build: SubBuild, paths: readonly string[]): boolean {
  return paths.length > 0 && someNested(build, (b) => paths.some((p) => b.ownFiles.has(p)));
}

/** Every file a sub-build read, its sub-builds' included, added to `into`. */
function addFilesOf(build: SubBuild, into: Set<string>): void {
  someNested(build, (b) => {
    for (const f of b.ownFiles) into.add(f);
    return false;
  });
}

/** The builds running now (innermost last): what each probes. Builds are synchronous. */
const probing: Probes[] = [];
function probe(path: string): void {
  probing[probing.length - 1]?.own.add(path);
}
/** The sub-builds each build running now has used (innermost last): its files are theirs plus its own. */
const nesting: Array<Set<SubBuild>> = [];

/** The shared builds of the buildKustomization call running now. */
let sharing: SharedBuilds | undefined;

/**
 * Builds one kustomization. A component (`inherited` given) starts from what the including kustomization
 * has gathered so far, and its patches and transformers apply to all of it, as in kustomize.
 *
 * A directory's own build does not depend on who includes it: fifty cluster overlays over the same team
 * bases build each base once per tree. The cached documents are never changed in place (an including
 * overlay copies a document before its first change: `edit`).
 */
function build(tree: Tree, dir: string, stack: string[], files: Set<string>, notes: string[], inherited?: Res[]): Res[] {
  if (inherited) return buildOnce(tree, dir, stack, files, notes, inherited);
  let cache = subBuilds.get(tree.files);
  if (!cache) subBuilds.set(tree.files, (cache = new Map()));
  let hit = cache.get(dir) ?? sharedBuild(sharing, tree, dir);
  if (hit) cache.set(dir, hit);
  else {
    const ownFiles = new Set<string>();
    const ownNotes: string[] = [];
    const ownProbes = newProbes();
    const nested = new Set<SubBuild>();
    probing.push(ownProbes);
    nesting.push(nested);
    let res: Res[];
    try {
      res = buildOnce(tree, dir, stack, ownFiles, ownNotes);
    } finally {
      probing.pop();
      nesting.pop();
    }
    hit = { res: res.map(lend), ownFiles, nested, probes: ownProbes, notes: ownNotes, from: tree.files };
    // A build cut short by a cycle depends on the path that led to it: not kept.
    if (!ownNotes.some((n) => n.includes('cycle'))) {
      cache.set(dir, hit);
      if (sharing && !sharing.subBuilds.has(dir)) sharing.subBuilds.set(dir, hit);
    }
  }
  // Inside another sub-build, this one's files stay its own (the includer holds it); at the top, the unit's
  // build, they are gathered once.
  const includer = nesting[nesting.length - 1];
  if (includer) includer.add(hit);
  else addFilesOf(hit, files);
  probing[probing.length - 1]?.nested.add(hit.probes);
  notes.push(...hit.notes);
  return hit.res.slice();
}

function buildOnce(tree: Tree, dir: string, stack: string[], files: Set<string>, notes: string[], inherited?: Res[]): Res[] {
  probe(dir);
  const kpath = kustomizationIn(tree, dir);
  if (!kpath && inherited) {
    // kustomize fails on a component without a kustomization: it is not applied, and what the including
    // kustomization gathered stays as it was.
    notes.push(`${dir || '.'}: component has no kustomization file; not applied`);
    return [...inherited];
  }
  if (!kpath) {
    // A plain directory: its YAML files, as kustomize would need them listed and Argo CD reads them.
    const out: Res[] = [];
    for (const p of yamlFilesIn(tree, dir)) {
      files.add(p);
      out.push(...objectsOfFile(tree, p));
    }
    return out;
  }
  files.add(kpath);
  if (stack.includes(dir) || stack.length > MAX_DEPTH) {
    notes.push(`${kpath}: kustomization cycle or chain deeper than ${MAX_DEPTH}; not followed further`);
    return inherited ? [...inherited] : [];
  }
  const doc = kustomizationDoc(tree, kpath);
  if (!doc && inherited) notes.push(`${kpath}: component kustomization could not be read as a mapping; not applied`);
  if (!doc) return inherited ? [...inherited] : [];
  const here = [...stack, dir];
  let res: Res[] = inherited ? [...inherited] : [];
  for (const key of ['resources', 'bases']) {
    for (const e of asList(doc[key])) {
      const entry = asString(e);
      if (!entry) continue;
      const p = resolvePath(dir, entry);
      if (p === undefined) {
        notes.push(`${kpath}: remote or out-of-repository resource "${entry}" is not followed`);
        continue;
      }
      probe(p);
      if (tree.files.has(p)) {
        files.add(p);
        res.push(...objectsOfFile(tree, p));
      } else if (isDirectory(tree, p)) {
        res.push(...build(tree, p, here, files, notes));
      } else if (tree.paths.includes(p)) {
        files.add(p); // not YAML (a JSON manifest): not read here
      } else {
        notes.push(`${kpath}: resource "${entry}" does not exist`);
      }
    }
  }
  for (const e of asList(doc.components)) {
    const entry = asString(e);
    const p = entry === undefined ? undefined : resolvePath(dir, entry);
    if (entry === undefined) continue;
    if (p !== undefined) probe(p);
    if (p === undefined || !isDirectory(tree, p)) {
      notes.push(`${kpath}: component "${entry}" is not a directory of this repository; not applied`);
      continue;
    }
    res = build(tree, p, here, files, notes, res);
  }
  if (asList(doc.helmCharts).length) notes.push(`${kpath}: helmCharts are not rendered here`);
  if (Object.keys(doc).some((k) => !GATHERING_FIELDS.has(k))) own(res);
  res = applyGenerators(tree, doc, dir, res, files, notes, kpath);
  res = applyPatches(tree, doc, dir, res, files, notes, kpath);
  applyNamespace(doc, res);
  applyNames(doc, res);
  applyLabels(doc, res);
  applyImages(doc, res);
  applyReplicas(doc, res);
  return res;
}

// --- generators ----------------------------------------------------------------------------------------

/** `KEY=value` lines of an env file (comments and blank lines skipped). */
function envLines(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    if (eq > 0) out.push([t.slice(0, eq), t.slice(eq + 1)]);
  }
  return out;
}

/**
 * `configMapGenerator`: the ConfigMaps a kustomization generates, with the input file of every key (so a
 * finding inside an agent config points at the file the author edits). kustomize appends a content hash to
 * the name and rewrites references to it; both sides of that are left unhashed here, which keeps the joins
 * right. `secretGenerator` is not modelled: Secret contents never appear in any output.
 */
function applyGenerators(tree: Tree, doc: Record<string, unknown>, dir: string, res: Res[], files: Set<string>, notes: string[], kpath: string): Res[] {
  const out = [...res];
  asList(doc.configMapGenerator).forEach((g, i) => {
    const m = asMap(g);
    const name = asString(m?.name);
    if (!m || !name) return;
    const data: Record<string, string> = {};
    const inputs: Record<string, string> = {};
    for (const l of asList(m.literals)) {
      const s = asString(l);
      const eq = s?.indexOf('=') ?? -1;
      if (s && eq > 0) data[s.slice(0, eq)] = s.slice(eq + 1);
    }
    for (const f of asList(m.files)) {
      const s = asString(f);
      if (!s) continue;
      const eq = s.indexOf('=');
      const key = eq >= 0 ? s.slice(0, eq) : posix.basename(s);
      const path = resolvePath(dir, eq >= 0 ? s.slice(eq + 1) : s);
      if (path !== undefined) probe(path);
      const text = path === undefined ? null : tree.readFile(path);
      if (path === undefined || text === null) {
        notes.push(`${kpath}: configMapGenerator "${name}" input "${s}" does not exist`);
        continue;
      }
      files.add(path);
      data[key] = text;
      inputs[key] = path;
    }
    for (const e of [...asList(m.envs), ...(m.env ? [m.env] : [])]) {
      const path = asString(e) && resolvePath(dir, asString(e)!);
      if (path) probe(path);
      const text = path ? tree.readFile(path) : null;
      if (!path || text === null) continue;
      files.add(path);
      for (const [k, v] of envLines(text)) data[k] = v;
    }
    const namespace = asString(m.namespace) ?? null;
    const behavior = asString(m.behavior) ?? 'create';
    const existing = out.find((r) => kindOf(r.doc) === 'ConfigMap' && nameOf(r.doc) === name && (!namespace || namespaceOf(r.doc) === namespace));
    if (existing && (behavior === 'merge' || behavior === 'replace')) {
      const d = edit(existing);
      d.data = behavior === 'merge' ? { ...(asMap(d.data) ?? {}), ...data } : data;
      return;
    }
    const generatedDoc: Record<string, unknown> = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(namespace ? { namespace } : {}) }, data };
    const source: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name,
      namespace,
      ref: objectRef('ConfigMap', namespace, name),
      // Not the document the build goes on to change (namespace, prefix): the object is made from that one.
      doc: structuredClone(generatedDoc),
      file: kpath,
      docIndex: 0,
      docPath: [],
      unit: '.',
      generated: { entry: ['configMapGenerator', i], inputs },
    };
    out.push({ source, doc: generatedDoc, cloned: true });
  });
  return out;
}

// --- patches -------------------------------------------------------------------------------------------

function loadPatch(tree: Tree, entry: PatchEntry, files: Set<string>): unknown[] {
  let text = entry.inline;
  if (entry.file) {
    probe(entry.file);
    files.add(entry.file);
    text = tree.readFile(entry.file) ?? undefined;
  }
  if (text === undefined) return [];
  try {
    const docs: unknown[] = [];
    jsyaml.loadAll(text, (d) => docs.push(d), LOAD_OPTIONS);
    return docs.filter((d) => d !== null && d !== undefined);
  } catch {
    return [];
  }
}

function regexMatch(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined || pattern === '') return true;
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return pattern === value;
  }
}

/** Splits a selector string at commas outside parentheses (`a=b,env in (x,y)`). */
function selectorTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim()).filter(Boolean);
}

/** A label selector string (`a=b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`) against labels. */
function selectorMatches(selector: string | undefined, labels: Record<string, unknown> | undefined): boolean {
  if (!selector) return true;
  return selectorTerms(selector).every((t) => {
    const set = t.match(/^(\S+)\s+(in|notin)\s*\((.*)\)$/);
    if (set) {
      const values = set[3].split(',').map((v) => v.trim());
      const value = asString(labels?.[set[1]]);
      return set[2] === 'in' ? value !== undefined && values.includes(value) : value === undefined || !values.includes(value);
    }
    const neq = t.match(/^([^!=]+)!=(.*)$/);
    if (neq) return asString(labels?.[neq[1].trim()]) !== neq[2].trim();
    const eq = t.match(/^([^=]+)==?(.*)$/);
    if (eq) return asString(labels?.[eq[1].trim()]) === eq[2].trim();
    if (t.startsWith('!')) return labels?.[t.slice(1).trim()] === undefined;
    return labels?.[t] !== undefined;
  });
}

function targetMatches(target: Record<string, unknown>, r: Res): boolean {
  const [group, version] = (() => {
    const api = asString(r.doc.apiVersion) ?? '';
    const i = api.indexOf('/');
    return i < 0 ? ['', api] : [api.slice(0, i), api.slice(i + 1)];
  })();
  const meta = asMap(r.doc.metadata);
  return (
    regexMatch(asString(target.kind), kindOf(r.doc)) &&
    (regexMatch(asString(target.name), nameOf(r.doc)) || regexMatch(asString(target.name), r.source.name)) &&
    regexMatch(asString(target.namespace), namespaceOf(r.doc) ?? '') &&
    regexMatch(asString(target.group), group) &&
    regexMatch(asString(target.version), version) &&
    selectorMatches(asString(target.labelSelector), asMap(meta?.labels)) &&
    selectorMatches(asString(target.annotationSelector), asMap(meta?.annotations))
  );
}

function applyPatches(tree: Tree, doc: Record<string, unknown>, dir: string, res: Res[], files: Set<string>, notes: string[], kpath: string): Res[] {
  let out = res;
  for (const entry of patchEntries(doc, dir)) {
    for (const patch of loadPatch(tree, entry, files)) {
      if (Array.isArray(patch)) {
        // JSON 6902: needs a target.
        if (!entry.target) continue;
        for (const r of out) if (targetMatches(entry.target, r)) applyJson6902(r, patch, notes, kpath);
        continue;
      }
      const p = asMap(patch);
      if (!p) continue;
      const target = entry.target ?? {
        kind: asString(p.kind),
        name: asString(asMap(p.metadata)?.name),
        ...(asString(asMap(p.metadata)?.namespace) ? { namespace: asString(asMap(p.metadata)?.namespace) } : {}),
      };
      // Names in a strategic merge patch without a target are literal, not patterns.
      const literal = !entry.target;
      const matches = (r: Res) =>
        literal
          ? kindOf(r.doc) === target.kind && (nameOf(r.doc) === target.name || r.source.name === target.name) && (!target.namespace || namespaceOf(r.doc) === target.namespace)
          : targetMatches(target as Record<string, unknown>, r);
      if (p.$patch === 'delete') {
        out = out.filter((r) => !matches(r));
        continue;
      }
      for (const r of out) {
        if (!matches(r)) continue;
        const body = { ...p };
        if (entry.target) {
          // A targeted patch's own metadata.name is a placeholder, not a rename.
          const m = asMap(body.metadata);
          if (m) body.metadata = Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'name' && k !== 'namespace'));
        }
        delete body.apiVersion;
        delete body.kind;
        r.doc = mergePatch(edit(r), body) as Record<string, unknown>;
      }
    }
  }
  return out;
}

/** Keys that identify list items in a strategic merge (Kubernetes patchMergeKey), by list field. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  webhooks: 'name',
  resourceClaims: 'name',
};

/** A strategic merge of `patch` into `target` (which may be modified in place). */
export function mergePatch(target: unknown, patch: unknown, field?: string): unknown {
  const pm = asMap(patch);
  if (pm) {
    if (pm.$patch === 'replace') {
      const { $patch: _, ...rest } = pm;
      return rest;
    }
    const tm = asMap(target) ?? {};
    for (const [k, v] of Object.entries(pm)) {
      if (k.startsWith('$')) continue;
      if (v === null) delete tm[k];
      else tm[k] = k in tm ? mergePatch(tm[k], v, k) : stripDirectives(v);
    }
    return tm;
  }
  if (Array.isArray(patch) && Array.isArray(target)) {
    const key = (field && MERGE_KEYS[field]) ?? (patch.every((p) => asMap(p)?.name !== undefined) && target.every((t) => asMap(t)?.name !== undefined) ? 'name' : undefined);
    if (!key) return stripDirectives(patch);
    const out = [...target];
    for (const item of patch) {
      const m = asMap(item);
      const id = m?.[key];
      const at = id === undefined ? -1 : out.findIndex((t) => asMap(t)?.[key] === id);
      if (m?.$patch === 'delete') {
        if (at >= 0) out.splice(at, 1);
      } else if (at >= 0) out[at] = mergePatch(out[at], item);
      else out.push(stripDirectives(item));
    }
    return out;
  }
  return stripDirectives(patch);
}

function stripDirectives(v: unknown): unknown {
  const m = asMap(v);
  if (m) return Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('$')).map(([k, x]) => [k, stripDirectives(x)]));
  if (Array.isArray(v)) return v.map(stripDirectives);
  return v;
}

function pointer(path: string): Array<string | number> {
  return path
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function applyJson6902(r: Res, ops: unknown[], notes: string[], kpath: string): void {
  const doc = edit(r);
  for (const raw of ops) {
    const op = asMap(raw);
    const path = asString(op?.path);
    if (!op || path === undefined) continue;
    const steps = pointer(path);
    const last = steps.pop();
    const parent = steps.length ? getIn(doc, steps) : doc;
    const value = op.from !== undefined ? structuredClone(getIn(doc, pointer(asString(op.from) ?? ''))) : structuredClone(op.value);
    if (last === undefined || parent === null || typeof parent !== 'object') continue;
    const kind = asString(op.op);
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(i)) continue;
      if (kind === 'add' || kind === 'copy' || kind === 'move') parent.splice(i, 0, value);
      else if (kind === 'replace') parent[i] = value;
      else if (kind === 'remove') parent.splice(i, 1);
    } else {
      const obj = parent as Record<string, unknown>;
      const key = String(last);
      if (kind === 'add' || kind === 'replace' || kind === 'copy' || kind === 'move') obj[key] = value;
      else if (kind === 'remove') delete obj[key];
    }
    if (kind === 'move') {
      const from = pointer(asString(op.from) ?? '');
      const fl = from.pop();
      const fp = from.length ? getIn(doc, from) : doc;
      if (Array.isArray(fp) && typeof fl === 'number') fp.splice(fl, 1);
      else if (fp && typeof fp === 'object' && fl !== undefined) delete (fp as Record<string, unknown>)[String(fl)];
    }
    if (kind === 'test') notes.push(`${kpath}: JSON 6902 "test" operations are not checked here`);
  }
}

// --- transformers --------------------------------------------------------------------------------------

function meta(doc: Record<string, unknown>): Record<string, unknown> {
  let m = asMap(doc.metadata);
  if (!m) doc.metadata = m = {};
  return m;
}

/** `namespace:` sets every namespaced object's namespace, and the subjects and services that point at them. */
function applyNamespace(doc: Record<string, unknown>, res: Res[]): void {
  const ns = asString(doc.namespace);
  if (!ns) return;
  // ServiceAccounts and Services of this kustomization, by their namespace before the change.
  const sas = new Set(res.filter((r) => kindOf(r.doc) === 'ServiceAccount').map((r) => `${namespaceOf(r.doc) ?? ''}/${nameOf(r.doc)}`));
  const svcs = new Set(res.filter((r) => kindOf(r.doc) === 'Service').map((r) => `${namespaceOf(r.doc) ?? ''}/${nameOf(r.doc)}`));
  for (const r of res) {
    const kind = kindOf(r.doc);
    // Copied only when something changes: an object already in the namespace stays the parsed one (a
    // fleet of fifty overlays over team bases that set their own namespace would otherwise copy every
    // object fifty times).
    if (!isClusterScoped(kind) && namespaceOf(r.doc) !== ns) meta(edit(r)).namespace = ns;
    if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') {
      // kustomize moves subjects named "default" and (through its name references) the ServiceAccounts
      // it builds itself.
      const moves = (s: unknown) => {
        const m = asMap(s);
        return !!m && m.kind === 'ServiceAccount' && asString(m.namespace) !== ns && (m.name === 'default' || sas.has(`${asString(m.namespace) ?? ''}/${asString(m.name)}`));
      };
      if (!asList(r.doc.subjects).some(moves)) continue;
      for (const s of asList(edit(r).subjects)) if (moves(s)) asMap(s)!.namespace = ns;
    }
    if (kind === 'ValidatingWebhookConfiguration' || kind === 'MutatingWebhookConfiguration') {
      const inUnit = (w: unknown) => {
        const svc = webhookService(w);
        return !!svc && svcs.has(`${asString(svc.namespace) ?? ''}/${asString(svc.name)}`);
      };
      if (!asList(r.doc.webhooks).some(inUnit)) continue;
      for (const w of asList(edit(r).webhooks)) if (inUnit(w)) webhookService(w)!.namespace = ns;
    }
  }
}

function webhookService(w: unknown): Record<string, unknown> | undefined {
  return asMap(asMap(asMap(w)?.clientConfig)?.service);
}

/** `namePrefix` / `nameSuffix`: renames objects and the references joins follow. */
function applyNames(doc: Record<string, unknown>, res: Res[]): void {
  const prefix = asString(doc.namePrefix) ?? '';
  const suffix = asString(doc.nameSuffix) ?? '';
  if (!prefix && !suffix) return;
  const renamed = new Map<string, string>(); // `Kind/name` → new name
  for (const r of res) {
    const kind = kindOf(r.doc);
    // kustomize leaves Namespaces and CRDs alone.
    if (kind === 'Namespace' || kind === 'CustomResourceDefinition') continue;
    const old = nameOf(r.doc);
    if (!old) continue;
    const next = `${prefix}${old}${suffix}`;
    meta(edit(r)).name = next;
    renamed.set(`${kind}/${old}`, next);
  }
  const rename = (kind: string, name: unknown) => (typeof name === 'string' ? renamed.get(`${kind}/${name}`) : undefined);
  for (const r of res) {
    const kind = kindOf(r.doc);
    const specPath = podSpecPath(kind);
    if (specPath) {
      const spec = asMap(getIn(edit(r), specPath));
      if (spec) renamePodRefs(spec, rename);
    }
    if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') {
      const d = edit(r);
      const ref = asMap(d.roleRef);
      const n = ref && rename(asString(ref.kind) ?? '', ref.name);
      if (ref && n) ref.name = n;
      for (const s of asList(d.subjects)) {
        const m = asMap(s);
        const sn = m && m.kind === 'ServiceAccount' ? rename('ServiceAccount', m.name) : undefined;
        if (m && sn) m.name = sn;
      }
    }
    if (kind === 'ValidatingWebhookConfiguration' || kind === 'MutatingWebhookConfiguration') {
      for (const w of asList(edit(r).webhooks)) {
        const svc = webhookService(w);
        const n = svc && rename('Service', svc.name);
        if (svc && n) svc.name = n;
      }
    }
  }
}

function renamePodRefs(spec: Record<string, unknown>, rename: (kind: string, name: unknown) => string | undefined): void {
  for (const key of ['serviceAccountName', 'serviceAccount']) {
    const n = rename('ServiceAccount', spec[key]);
    if (n) spec[key] = n;
  }
  for (const v of asList(spec.volumes)) {
    const vol = asMap(v);
    const cm = asMap(vol?.configMap);
    const cmName = cm && rename('ConfigMap', cm.name);
    if (cm && cmName) cm.name = cmName;
    const sec = asMap(vol?.secret);
    const secName = sec && rename('Secret', sec.secretName);
    if (sec && secName) sec.secretName = secName;
    for (const src of asList(asMap(vol?.projected)?.sources)) {
      const pcm = asMap(asMap(src)?.configMap);
      const n = pcm && rename('ConfigMap', pcm.name);
      if (pcm && n) pcm.name = n;
    }
  }
  for (const c of [...asList(spec.containers), ...asList(spec.initContainers)]) {
    const container = asMap(c);
    for (const e of asList(container?.envFrom)) {
      const ref = asMap(asMap(e)?.configMapRef);
      const n = ref && rename('ConfigMap', ref.name);
      if (ref && n) ref.name = n;
    }
    for (const e of asList(container?.env)) {
      const ref = asMap(asMap(asMap(e)?.valueFrom)?.configMapKeyRef);
      const n = ref && rename('ConfigMap', ref.name);
      if (ref && n) ref.name = n;
    }
  }
}

/**
 * `commonLabels` / `labels` / `commonAnnotations` on metadata and pod templates (selectors are left alone).
 * As Kustomize does: `commonLabels` and `commonAnnotations` reach pod templates; a `labels` entry reaches
 * them only with `includeTemplates: true` or `includeSelectors: true` (both default false), so a plain
 * `labels:` entry is a metadata-only edit that restarts nothing.
 */
function applyLabels(doc: Record<string, unknown>, res: Res[]): void {
  const labels: Record<string, string> = {};
  const templateLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(asMap(doc.commonLabels) ?? {})) if (asString(v) !== undefined) labels[k] = templateLabels[k] = asString(v)!;
  for (const l of asList(doc.labels)) {
    const entry = asMap(l);
    const toTemplates = entry?.includeTemplates === true || entry?.includeSelectors === true;
    for (const [k, v] of Object.entries(asMap(entry?.pairs) ?? {})) {
      if (asString(v) === undefined) continue;
      labels[k] = asString(v)!;
      if (toTemplates) templateLabels[k] = asString(v)!;
      else delete templateLabels[k];
    }
  }
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(asMap(doc.commonAnnotations) ?? {})) if (asString(v) !== undefined) annotations[k] = asString(v)!;
  if (!Object.keys(labels).length && !Object.keys(annotations).length) return;
  const put = (m: Record<string, unknown>, l: Record<string, string>) => {
    if (Object.keys(l).length) m.labels = { ...(asMap(m.labels) ?? {}), ...l };
    if (Object.keys(annotations).length) m.annotations = { ...(asMap(m.annotations) ?? {}), ...annotations };
  };
  for (const r of res) {
    const d = edit(r);
    put(meta(d), labels);
    const specPath = podSpecPath(kindOf(d));
    const template = specPath ? asMap(getIn(d, specPath.slice(0, -1))) : undefined;
    if (template && (Object.keys(templateLabels).length || Object.keys(annotations).length)) put(meta(template), templateLabels);
  }
}

/** Splits an image reference into name and the rest (`:tag`, `@digest`). */
function splitImage(image: string): { name: string; tag: string; digest: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : '';
  const rest = at >= 0 ? image.slice(0, at) : image;
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > rest.lastIndexOf('/');
  return { name: hasTag ? rest.slice(0, colon) : rest, tag: hasTag ? rest.slice(colon + 1) : '', digest };
}

/** `images:` — new names, tags and digests for matching containers. */
function applyImages(doc: Record<string, unknown>, res: Res[]): void {
  const images = asList(doc.images).map(asMap).filter((m): m is Record<string, unknown> => !!m && !!asString(m.name));
  if (!images.length) return;
  for (const r of res) {
    const specPath = podSpecPath(kindOf(r.doc));
    if (!specPath) continue;
    const spec = asMap(getIn(r.doc, specPath));
    if (!spec) continue;
    const containers = [...asList(spec.containers), ...asList(spec.initContainers)].map(asMap);
    if (!containers.some((c) => images.some((i) => splitImage(asString(c?.image) ?? '').name === asString(i.name)))) continue;
    const editable = asMap(getIn(edit(r), specPath))!;
    for (const c of [...asList(editable.containers), ...asList(editable.initContainers)]) {
      const container = asMap(c);
      const current = asString(container?.image);
      if (!container || !current) continue;
      const parts = splitImage(current);
      const rule = images.find((i) => asString(i.name) === parts.name);
      if (!rule) continue;
      const name = asString(rule.newName) ?? parts.name;
      const digest = asString(rule.digest);
      const tag = asString(rule.newTag) ?? parts.tag;
      container.image = digest ? `${name}@${digest}` : `${name}${tag ? `:${tag}` : ''}${!asString(rule.newTag) && parts.digest ? `@${parts.digest}` : ''}`;
    }
  }
}

/** `replicas:` — replica counts by object name. */
/** Kinds Kustomize's `replicas:` field applies to (its replicas transformer's field specs). */
const REPLICA_KINDS = new Set(['Deployment', 'ReplicationController', 'ReplicaSet', 'StatefulSet']);

function applyReplicas(doc: Record<string, unknown>, res: Res[]): void {
  const entries = asList(doc.replicas);
  if (!entries.length) return;
  // The workloads by name (as built, and as their source names them), in build order: a team overlay with
  // a replica count for each of its hundreds of services would otherwise scan every resource per entry.
  const byName = new Map<string, Res[]>();
  for (const r of res) {
    if (!REPLICA_KINDS.has(kindOf(r.doc))) continue;
    const name = nameOf(r.doc);
    (byName.get(name) ?? byName.set(name, []).get(name)!).push(r);
    if (r.source.name !== name) (byName.get(r.source.name) ?? byName.set(r.source.name, []).get(r.source.name)!).push(r);
  }
  for (const e of entries) {
    const m = asMap(e);
    const name = asString(m?.name);
    const count = Number(m?.count);
    if (!name || !Number.isFinite(count)) continue;
    // Kustomize's replicas transformer touches workloads only (a PDB or Service of the same name is left alone).
    for (const r of byName.get(name) ?? []) {
      const spec = asMap(edit(r).spec);
      if (spec) spec.replicas = count;
    }
  }
}
