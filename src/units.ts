/**
 * Deployable units: what one cluster receives. A unit is a cluster root (a directory of the cluster's
 * `paths`, built as a kustomization or a plain directory), a Flux `Kustomization.spec.path`, or an Argo CD
 * `Application` / `ApplicationSet` source. Units found inside units are followed, so a cluster root that
 * holds Flux Kustomizations reaches the paths they point at. A file reached by several units yields one
 * object per unit; files no unit reaches form the unit `.`, whose clusters come from the path globs.
 */
import { posix } from 'node:path';
import picomatch from 'picomatch';
import { buildKustomization, dirIndex, kustomizationIn, newProbes, probedAny, resolvePath, subdirsOf, touched, type BuildResult, type SharedBuilds } from './kustomize.js';
import { objectRef, objectsOfDocument } from './yaml/parse.js';
import type { Cluster, KubeObject, Tree } from './types.js';
import type { Candidate } from './helm/releases.js';
import { cmp } from './util.js';
import { asList, asMap, asString, getIn } from './yaml/walk.js';
import { ofKinds, withSegments } from './kinds.js';

/** The unit of files no other unit reaches. */
export const REST_UNIT = '.';
/** The implicit cluster (see fleet.ts; repeated here to keep this module free of the fleet map). */
const UNMAPPED_NAME = 'unmapped';

/** Most units followed in one tree (a runaway ApplicationSet or a GitOps loop stops here). */
const MAX_UNITS = 500;

export interface Unit {
  /** Stable id: `<root>` for directories, with the GitOps object that points at it for GitOps units. */
  readonly id: string;
  /** The directory the unit is built from (`''` for the repository root). */
  readonly root: string;
  /** Clusters that receive the unit, sorted. */
  readonly clusters: readonly string[];
  readonly objects: readonly KubeObject[];
  /** Every file the unit reads (manifests, kustomizations, patches). */
  readonly files: ReadonlySet<string>;
  /** How the unit was found, for notes and messages. */
  readonly via: string;
}

export interface UnitMap {
  readonly units: readonly Unit[];
  /** Helm releases found (src/helm/releases.ts), for the renderer. */
  readonly releases?: readonly Candidate[];
  /** Objects of every unit plus the objects of files no unit reaches (unit `.`). */
  readonly objects: readonly KubeObject[];
  /** Clusters each file reaches through units (glob matches are added by the fleet map). */
  readonly fileClusters: ReadonlyMap<string, readonly string[]>;
  readonly notes: readonly string[];
}

interface Pending {
  root: string;
  clusters: Set<string>;
  via: string;
  /** Build as a plain directory tree (Flux without kustomization.yaml, Argo CD `directory.recurse`). */
  recursive: boolean;
}

/** Builds a directory: its kustomization, or its YAML files (recursively, descending into kustomizations). */
function buildRoot(tree: Tree, root: string, unit: string, recursive: boolean, shared?: SharedBuilds): BuildResult {
  if (kustomizationIn(tree, root) || !recursive) return buildKustomization(tree, root, unit, shared);
  const out: BuildResult = { objects: [], files: new Set(), probes: newProbes(), notes: [] };
  const add = (r: BuildResult) => {
    out.objects.push(...r.objects);
    for (const f of r.files) out.files.add(f);
    if (r.probes) out.probes!.nested.add(r.probes);
    out.notes.push(...r.notes);
  };
  add(buildKustomization(tree, root, unit, shared));
  for (const d of [...subdirsOf(tree, root)].sort(cmp)) add(buildRoot(tree, d, unit, true, shared));
  return out;
}

/** The directory part of a glob (`clusters/prod-us/**` → `clusters/prod-us`), or undefined for a plain file. */
function globBase(glob: string): string | undefined {
  const scan = picomatch.scan(glob);
  if (!scan.isGlob) return undefined;
  return scan.base.replace(/\/+$/, '');
}

export interface ArgoClusterMatch {
  /** Cluster names that an Argo CD destination (name / server) or a cluster generator selects. */
  byDestination(name: string | undefined, server: string | undefined): string[] | undefined;
  /** Clusters (with their Argo CD params) that a `clusters` generator selector selects. */
  bySelector(selector: unknown): Array<{ cluster: string; params: Record<string, string> }>;
}

/**
 * Builds of the other side of a change, for reuse: a unit none of whose files changed, and under whose
 * root nothing changed, builds the same on both sides (the parse cache shares the objects).
 */
export interface UnitReuse extends SharedBuilds {
  readonly builds: Map<string, BuildResult>;
  /** Paths the change touches, on either side. */
  readonly changed: ReadonlySet<string>;
}

function reusable(reuse: UnitReuse | undefined, key: string, root: string): BuildResult | undefined {
  const r = reuse?.builds.get(key);
  // `''` changed: the change set is unknown, everything counts as changed (src/fleet.ts).
  if (!r || reuse!.changed.has('') || r.notes.some((n) => n.includes('does not exist'))) return undefined;
  const prefix = root ? `${root}/` : '';
  for (const c of reuse!.changed) if (r.files.has(c) || c.startsWith(prefix)) return undefined;
  // A file the unit reads as a resource on one side and as a patch on the other builds differently.
  for (const p of reuse!.inputsDiffer) if (r.files.has(p)) return undefined;
  // A change under a directory the build looked in outside the root (a plain-directory resource).
  if (r.probes && probedAny(r.probes, touched(reuse!.changed))) return undefined;
  return r;
}

/** Resolves every unit of a tree. Pass the same `reuse` to both sides of a change to build shared units once. */
/** What `kustomize build` rendered for a unit (by unit id) on each side: src/render/index.ts. */
export type KustomizeRenders = ReadonlyMap<string, { readonly base?: readonly Record<string, unknown>[]; readonly head?: readonly Record<string, unknown>[] }>;

/**
 * A unit's objects as the real `kustomize build` rendered them: each rendered object takes the place of
 * the statically built object of the same `Kind/namespace/name` (a generated ConfigMap also without its
 * content-hash suffix), keeping its source for lines; one the static build did not make points at the
 * kustomization.
 */
export function renderedObjects(statics: readonly KubeObject[], rendered: readonly Record<string, unknown>[], unit: string, kustomization: string): KubeObject[] {
  const byRef = new Map<string, KubeObject>();
  for (const o of statics) if (!byRef.has(o.ref)) byRef.set(o.ref, o);
  // kustomize appends a content hash to generated ConfigMap / Secret names and rewrites the references: the
  // names go back to the static (hashless) ones, or every edit of a generator input would rename the
  // object, and its findings would all look new.
  const renames = new Map<string, string>();
  for (const doc of rendered) {
    const kind = asString(doc.kind);
    const name = asString(getIn(doc, ['metadata', 'name']));
    if ((kind !== 'ConfigMap' && kind !== 'Secret') || !name || !/-[a-z0-9]{10}$/.test(name)) continue;
    const ns = asString(getIn(doc, ['metadata', 'namespace'])) || null;
    const plain = name.slice(0, -11);
    const match = byRef.get(objectRef(kind, ns, plain));
    if (match?.generated || match?.source?.generated) renames.set(name, plain);
  }
  const docs = renames.size ? rendered.map((d) => renameStrings(d, renames) as Record<string, unknown>) : rendered;
  const out: KubeObject[] = [];
  docs.forEach((doc, i) => {
    for (const o of objectsOfDocument(doc, kustomization, i)) {
      const match = byRef.get(o.ref);
      if (match) out.push({ ...o, file: match.file, docIndex: match.docIndex, docPath: match.docPath, unit, source: match.source ?? match, ...(match.generated ? { generated: match.generated } : {}) });
      else out.push({ ...o, docIndex: 0, docPath: [], unit });
    }
  });
  return out;
}

/** A copy of a parsed document with every string equal to a key of `renames` replaced (references by name). */
function renameStrings(value: unknown, renames: ReadonlyMap<string, string>, depth = 0): unknown {
  if (typeof value === 'string') return renames.get(value) ?? value;
  if (depth > 100 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => renameStrings(v, renames, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renameStrings(v, renames, depth + 1)]));
}

export function resolveUnits(tree: Tree, clusters: readonly Cluster[], argo: ArgoClusterMatch, globClusters: (path: string) => string[], reuse?: UnitReuse, renders?: KustomizeRenders): UnitMap {
  const notes: string[] = [];
  const pending = new Map<string, Pending>();
  const queue = (id: string, p: Pending) => {
    const known = pending.get(id);
    if (known) for (const c of p.clusters) known.clusters.add(c);
    else pending.set(id, p);
  };

  // 1. Cluster roots: the directory part of each of a cluster's path globs.
  for (const c of clusters) {
    for (const glob of c.paths) {
      const base = globBase(glob);
      if (base === undefined) continue;
      queue(base, { root: base, clusters: new Set([c.name]), via: `cluster root ${base || '.'}`, recursive: true });
    }
  }

  // 2. Build units, then follow the GitOps objects they hold until nothing new turns up.
  const built = new Map<string, { p: Pending; r: BuildResult; clusters: string[] }>();
  const followGitops = (objects: readonly KubeObject[], from: string[]) => {
    // (A plain pass: an index of each build's objects would be built for this one look.)
    for (const o of objects) {
      if (!GITOPS_KIND_SET.has(o.kind)) continue;
      for (const t of gitopsTargets(o, tree, from, argo, notes)) {
        queue(t.root, { root: t.root, clusters: new Set(t.clusters), via: t.via, recursive: t.recursive });
      }
    }
  };
  const settle = () => {
    for (let round = 0; round < 20; round++) {
      let changed = false;
      for (const [id, p] of pending) {
        const clustersNow = [...p.clusters].sort(cmp);
        const prev = built.get(id);
        if (prev && prev.clusters.join() === clustersNow.join()) continue;
        if (built.size >= MAX_UNITS && !prev) {
          notes.push(`more than ${MAX_UNITS} deployable units; ${p.via} and later ones are not followed`);
          continue;
        }
        const key = `${id}\u0000${p.recursive}`;
        const r = prev?.r ?? reusable(reuse, key, p.root) ?? buildRoot(tree, p.root, id || '/', p.recursive, reuse);
        reuse?.builds.set(key, r);
        built.set(id, { p, r, clusters: clustersNow });
        // Nested GitOps objects reach the clusters of the unit that holds them.
        followGitops(r.objects, clustersNow);
        changed = true;
      }
      if (!changed) break;
    }
  };
  const reached = () => {
    const files = new Set<string>();
    for (const { r } of built.values()) for (const f of r.files) files.add(f);
    return files;
  };
  settle();
  // GitOps objects in files no unit reaches (an app-of-apps root, a repository without cluster roots)
  // are followed with the clusters of their path globs, else `unmapped`.
  const followed = new Set<KubeObject>();
  const gitops = ofKinds(tree.objects, GITOPS_KINDS).filter(isGitopsObject);
  for (let round = 0; round < 10 && gitops.length; round++) {
    const files = reached();
    const fresh = gitops.filter((o) => !files.has(o.file) && !followed.has(o));
    if (!fresh.length) break;
    for (const o of fresh) {
      followed.add(o);
      const from = globClusters(o.file);
      followGitops([o], from.length ? from : [UNMAPPED_NAME]);
    }
    settle();
  }

  // 3. Drop a unit whose files, for each of its clusters, a larger unit of that cluster already holds in
  //    full (a path glob `base/**` beside cluster overlays that include ../../base adds only duplicates).
  const entries = [...built.entries()];
  const holds = (o: { r: BuildResult }, u: { r: BuildResult }) => o.r.files.size > u.r.files.size && [...u.r.files].every((f) => o.r.files.has(f));
  const kept = entries.filter(([id, u]) => !u.clusters.every((c) => entries.some(([otherId, o]) => otherId !== id && o.clusters.includes(c) && holds(o, u))));
  const units: Unit[] = kept
    .map(([id, u]) => {
      const rendered = renders?.get(id || '/')?.[tree.side];
      const kustomization = rendered && kustomizationIn(tree, u.p.root);
      const objects = rendered && kustomization ? renderedObjects(u.r.objects, rendered, id || '/', kustomization) : u.r.objects;
      return { id: id || '/', root: u.p.root, clusters: u.clusters, objects, files: u.r.files, via: u.p.via };
    })
    .sort((a, b) => cmp(a.id, b.id));
  for (const [, u] of kept) notes.push(...u.r.notes);

  // 4. Files no unit reaches form the unit `.`.
  const fileClusters = new Map<string, Set<string>>();
  for (const u of units) for (const f of u.files) for (const c of u.clusters) (fileClusters.get(f) ?? fileClusters.set(f, new Set()).get(f)!).add(c);
  const rest: KubeObject[] = [];
  for (const [path, f] of tree.files) if (!fileClusters.has(path)) rest.push(...f.objects);
  // (concat copies packed arrays in bulk: a fleet has 480,000 unit objects.)
  const segments = [...units.map((u) => u.objects), rest];
  const objects = withSegments(([] as KubeObject[]).concat(...segments), segments);
  return { units, objects, fileClusters: freeze(fileClusters), notes: dedupe(notes) };
}

/** The sets as sorted lists; files reached by the same units share one list (a fleet has 20,000 files). */
function freeze(m: Map<string, Set<string>>): Map<string, readonly string[]> {
  const lists = new Map<string, readonly string[]>();
  const out = new Map<string, readonly string[]>();
  for (const [k, v] of m) {
    const key = [...v].join('\u0000');
    let list = lists.get(key);
    if (!list) lists.set(key, (list = [...v].sort(cmp)));
    out.set(k, list);
  }
  return out;
}

function dedupe(notes: string[]): string[] {
  return [...new Set(notes)];
}

/** The kinds of {@link isGitopsObject}. */
const GITOPS_KINDS = ['Kustomization', 'Application', 'ApplicationSet'] as const;
const GITOPS_KIND_SET: ReadonlySet<string> = new Set(GITOPS_KINDS);

export function isGitopsObject(o: KubeObject): boolean {
  return (o.kind === 'Kustomization' && o.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/')) || ((o.kind === 'Application' || o.kind === 'ApplicationSet') && o.apiVersion.startsWith('argoproj.io/'));
}

interface Target {
  root: string;
  clusters: string[];
  via: string;
  recursive: boolean;
}

/** Where a Flux Kustomization or an Argo CD Application / ApplicationSet points, and for which clusters. */
function gitopsTargets(o: KubeObject, tree: Tree, from: string[], argo: ArgoClusterMatch, notes: string[]): Target[] {
  if (!isGitopsObject(o)) return [];
  const where = `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name} (${o.file})`;
  if (o.kind === 'Kustomization') {
    const path = asString(getIn(o.doc, ['spec', 'path'])) ?? '';
    const root = resolvePath('', path);
    if (root === undefined) return [];
    if (!exists(tree, root)) {
      notes.push(`${where}: spec.path "${path}" is not in this repository; not followed`);
      return [];
    }
    if (asList(getIn(o.doc, ['spec', 'patches'])).length) notes.push(`${where}: spec.patches are not applied here`);
    return [{ root, clusters: from, via: `Flux ${where}`, recursive: true }];
  }
  return applicationSpecs(o, tree, argo, notes).flatMap((a) => applicationTargets(a.spec, a.params, a.where, tree, from, argo, notes));
}

/** One Application an Argo CD object stands for: its spec, the generator parameters, and where the spec is. */
export interface ApplicationSpec {
  readonly spec: Record<string, unknown>;
  readonly params: Readonly<Record<string, string>>;
  /** Path of the spec in the object: `['spec']`, or `['spec', 'template', 'spec']` for an ApplicationSet. */
  readonly specPath: readonly string[];
  /** `Application argocd/web (apps/web.yaml)`, for notes and messages. */
  readonly where: string;
}

/** The Applications of an Argo CD Application (itself) or ApplicationSet (one per generator parameter set). */
export function applicationSpecs(o: KubeObject, tree: Tree, argo: ArgoClusterMatch, notes: string[]): ApplicationSpec[] {
  const where = `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name} (${o.file})`;
  const spec = asMap(o.doc.spec);
  if (!spec || !o.apiVersion.startsWith('argoproj.io/')) return [];
  if (o.kind === 'Application') return [{ spec, params: {}, specPath: ['spec'], where }];
  if (o.kind !== 'ApplicationSet') return [];
  const template = asMap(asMap(spec.template)?.spec);
  if (!template) return [];
  return generatorParams(asList(spec.generators), tree, argo, where, notes).map((params) => ({ spec: template, params, specPath: ['spec', 'template', 'spec'], where }));
}

/** The clusters an Application's destination names, or undefined when it names none the fleet knows. */
export function destinationClusters(spec: Record<string, unknown>, params: Readonly<Record<string, string>>, argo: ArgoClusterMatch): string[] | undefined {
  const dest = asMap(spec.destination);
  return argo.byDestination(render(asString(dest?.name), params), render(asString(dest?.server), params));
}

/** An Application spec's sources: `source`, then each of `sources`. */
export function sourcesOf(spec: Record<string, unknown>): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const single = asMap(spec.source);
  if (single) out.push(single);
  asList(spec.sources).forEach((x) => {
    const m = asMap(x);
    if (m) out.push(m);
  });
  return out;
}

function exists(tree: Tree, root: string): boolean {
  return dirIndex(tree).dirs.has(root);
}

/** Replaces `{{name}}` / `{{ .name }}` / `{{path.basename}}` with parameters; undefined when one is missing. */
export function render(text: string | undefined, params: Readonly<Record<string, string>>): string | undefined {
  if (text === undefined) return undefined;
  let missing = false;
  const out = text.replace(/\{\{-?\s*\.?([A-Za-z0-9_.[\]-]+)\s*-?\}\}/g, (_, key: string) => {
    const v = params[key];
    if (v === undefined) missing = true;
    return v ?? '';
  });
  return missing ? undefined : out;
}

function applicationTargets(spec: Record<string, unknown>, params: Readonly<Record<string, string>>, where: string, tree: Tree, from: string[], argo: ArgoClusterMatch, notes: string[]): Target[] {
  const clusters = destinationClusters(spec, params, argo) ?? from;
  const out: Target[] = [];
  for (const s of sourcesOf(spec)) {
    // Helm chart sources (a chart repository, or a chart directory here) are releases: src/helm/releases.ts.
    const rawPath = asString(s.path);
    if (rawPath === undefined) continue;
    const path = render(rawPath, params);
    const root = path === undefined ? undefined : resolvePath('', path);
    if (root === undefined || !exists(tree, root)) {
      notes.push(`${where}: source path "${path ?? rawPath}" is not in this repository; not followed`);
      continue;
    }
    if (tree.files.has(root ? `${root}/Chart.yaml` : 'Chart.yaml')) continue;
    const recursive = getIn(s, ['directory', 'recurse']) === true;
    out.push({ root, clusters, via: `Argo CD ${where}`, recursive });
  }
  return out;
}

/** Parameter sets of ApplicationSet generators (list, clusters, git directories, matrix / merge of those). */
function generatorParams(generators: readonly unknown[], tree: Tree, argo: ArgoClusterMatch, where: string, notes: string[]): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const g of generators) out.push(...oneGenerator(asMap(g), tree, argo, where, notes));
  return out;
}

function flatten(value: unknown, prefix = '', into: Record<string, string> = {}): Record<string, string> {
  const m = asMap(value);
  if (m) for (const [k, v] of Object.entries(m)) flatten(v, prefix ? `${prefix}.${k}` : k, into);
  else {
    const s = asString(value);
    if (s !== undefined && prefix) into[prefix] = s;
  }
  return into;
}

function oneGenerator(g: Record<string, unknown> | undefined, tree: Tree, argo: ArgoClusterMatch, where: string, notes: string[]): Array<Record<string, string>> {
  if (!g) return [];
  if (g.list) return asList(asMap(g.list)?.elements).map((e) => flatten(e));
  if (g.clusters !== undefined) return argo.bySelector(asMap(asMap(g.clusters)?.selector)).map((c) => c.params);
  if (g.git) {
    const git = asMap(g.git);
    const dirs = asList(git?.directories).map(asMap).filter((d): d is Record<string, unknown> => !!d);
    if (!dirs.length) {
      notes.push(`${where}: git files generators are not followed here`);
      return [];
    }
    const include = dirs.filter((d) => d.exclude !== true).map((d) => picomatch(asString(d.path) ?? '', { dot: false }));
    const exclude = dirs.filter((d) => d.exclude === true).map((d) => picomatch(asString(d.path) ?? ''));
    return [...dirIndex(tree).dirs]
      .filter((d) => d !== '' && include.some((m) => m(d)) && !exclude.some((m) => m(d)))
      .sort(cmp)
      .map((d) => {
        const segments = d.split('/');
        const params: Record<string, string> = { path: d, 'path.path': d, 'path.basename': posix.basename(d), 'path.basenameNormalized': posix.basename(d).replace(/[^a-zA-Z0-9-]/g, '-') };
        segments.forEach((s, i) => {
          params[`path[${i}]`] = s;
          params[`path.segments[${i}]`] = s;
        });
        return params;
      });
  }
  const combine = asMap(g.matrix) ?? asMap(g.merge);
  if (combine) {
    const [a, b] = asList(combine.generators).map((x) => oneGenerator(asMap(x), tree, argo, where, notes));
    if (!a || !b) return a ?? [];
    if (g.merge) return a; // merge overlays parameters on the first generator's sets
    return a.flatMap((x) => b.map((y) => ({ ...x, ...y })));
  }
  notes.push(`${where}: generator ${Object.keys(g).join(', ')} is not followed here`);
  return [];
}
