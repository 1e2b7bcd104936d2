/**
 * Exact rendering of what a pull request changes (issue 10): the Kustomize overlays and the Helm releases
 * whose inputs the change touches are rendered with the real tools — `kubectl kustomize` (or
 * `kustomize build`'s twin inside kubectl) and `helm template` — on base and head, and their objects take
 * the place of the static builds (src/kustomize.ts) and the chart knowledge (src/helm). Everything else
 * keeps the static analysis. Without the binaries, or when a render fails or would need the network, the
 * static analysis stands and `notes` says what was not rendered.
 *
 * Safety (src/render/tools.ts): files are written from the git trees into a private temp dir (regular files
 * only: a symlink is never materialized, so nothing outside the repository is read), the tools run with a
 * clean environment (temp HELM_* homes, no plugins, an empty kubeconfig, proxies pointing at a closed port),
 * a timeout per render, never `helm dependency update`, `--post-renderer`, `--enable-helm`, alpha plugins
 * or exec functions; a chart with a dependency that is not vendored, and an overlay with a remote
 * resource, are not rendered.
 */
import { posix } from 'node:path';
import type { Config } from '../config.js';
import { buildFleet, type ResolvedTrees } from '../fleet.js';
import { hasTemplates, type Candidate, type HelmRendered } from '../helm/releases.js';
import { mergedUserValues, type ValuesLayer } from '../helm/values.js';
import { isKustomizationPath, kustomizationIn } from '../kustomize.js';
import type { ChangeSet, Tree } from '../types.js';
import type { Unit } from '../units.js';
import { timed } from '../timings.js';
import { cmp, errorMessage } from '../util.js';
import { attributeChanges, helmTemplate, missingDependencies, type HelmChartInput } from './helm.js';
import { escapingKustomizeRefs, kustomizeBuild, localKustomizeRefs, remoteKustomizeRefs } from './kustomize.js';
import { createWorkspace, findTools, materialize, type RenderTool, type Workspace } from './tools.js';

/** Most renders of one kind per side: a change touching more keeps the static analysis for the rest. */
const MAX_RENDERS = 24;
/**
 * Most `kustomize build`s (both sides together) spent on overlays whose static build is already exact: one
 * build of a small overlay costs about 0.3 s of CPU here, two run at once.
 */
const OVERLAY_BUILD_BUDGET = 8;
/**
 * kustomize's build time grows with the square of an overlay's objects. Measured here (kubectl 1.32,
 * kustomize 5.5, a cluster overlay of the benchmark fleet cut to 1, 2, 4 and 7 teams): 424 objects 0.65 s,
 * 815 objects 1.4 s, 1,597 objects 3.4 s, 2,770 objects 8.4 s; the full overlay (about 11,000) did not finish
 * in 120 s. An overlay whose static build is exact is rendered up to EXACT_RENDER_MAX_OBJECTS (under a
 * second); one that needs rendering up to RENDER_MAX_OBJECTS (about 17 s, inside the time limit of one
 * render). Larger ones are built statically, with a note.
 */
const EXACT_RENDER_MAX_OBJECTS = 500;
const RENDER_MAX_OBJECTS = 4_000;
/** One render's time limit. */
const TIMEOUT_MS = 30_000;
/** The whole rendering phase's time limit: renders not started by then are read statically. */
const TOTAL_MS = 120_000;
/** Values keys traced per release (one extra `helm template` each). */
const MAX_ATTRIBUTED_KEYS = 8;
/** Renders run at once (the runner has two cores). */
const CONCURRENCY = 2;

export interface RenderOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/**
 * Builds the fleet of a change, rendering with the real tools what the change touches. Returns the fleet
 * to analyse (the static one when nothing was rendered) and notes on what was and was not rendered.
 */
export async function resolveWithRendering(config: Config, base: Tree, head: Tree, changes: ChangeSet, opts: RenderOptions = {}): Promise<{ resolved: ResolvedTrees; notes: string[] }> {
  const planned = timed('units', () => buildFleet(config, base, head, changes));
  const changed = new Set(changes.files.flatMap((f) => (f.oldPath ? [f.path, f.oldPath] : [f.path])));
  const overlays = overlaysOnBothSides(planned, { base, head }, changed);
  const charts = { base: chartsToRender(planned.sides.base.releases ?? [], base, changed), head: chartsToRender(planned.sides.head.releases ?? [], head, changed) };
  const wanted = overlays.base.length + overlays.head.length + charts.base.length + charts.head.length;
  if (!wanted) return { resolved: planned, notes: [] };

  const notes: string[] = [];
  const tools = findTools(opts.env ?? process.env);
  notes.push(...tools.notes);
  const timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
  if (!tools.kubectl && overlays.head.length) notes.push(`not rendered with kustomize (no kubectl or kustomize binary found; set KUBECTL_BIN): ${listing(overlays.head.map((u) => u.root || '.'))}; the static build was used`);
  if (!tools.helm && charts.head.length) notes.push(`not rendered with helm (no helm binary found; set HELM_BIN): ${listing([...new Set(charts.head.map((c) => c.chartDir ?? c.chart))])}; the chart's values were read statically`);
  if (!tools.kubectl && !tools.helm) return { resolved: planned, notes };

  const ws = createWorkspace();
  try {
    const jobs: Array<() => Promise<void>> = [];
    // Both sides of a unit are rendered, or neither: a head rendering judged against a static base would
    // make every difference between the two methods look like a change.
    const kustomize = new Map<string, { base?: Record<string, unknown>[]; head?: Record<string, unknown>[] }>();
    const helm = new Map<string, { base?: HelmRendered; head?: HelmRendered }>();
    if (tools.kubectl) {
      const chosen = chooseOverlays(overlays, { base, head }, notes);
      jobs.push(async () => {
        // One side's files are written once for all its builds; head first, then base.
        const h = await renderOverlays(tools.kubectl!, ws, head, overlays.head.filter((u) => chosen.has(u.id)), timeoutMs, notes);
        const b = await renderOverlays(tools.kubectl!, ws, base, overlays.base.filter((u) => chosen.has(u.id)), timeoutMs, notes);
        for (const id of chosen) {
          const inHead = overlays.head.some((u) => u.id === id);
          const inBase = overlays.base.some((u) => u.id === id);
          if ((inHead && !h.has(id)) || (inBase && !b.has(id))) continue;
          kustomize.set(id, { ...(h.has(id) ? { head: h.get(id)! } : {}), ...(b.has(id) ? { base: b.get(id)! } : {}) });
        }
      });
    }
    if (tools.helm) {
      if (charts.head.length > MAX_RENDERS) notes.push(`${charts.head.length} changed Helm releases; the first ${MAX_RENDERS} were rendered, the rest read statically`);
      for (const c of charts.head.slice(0, MAX_RENDERS)) {
        const b = planned.sides.base.releases?.find((x) => x.id === c.id && x.chartDir !== undefined && hasTemplates(base, x.chartDir));
        jobs.push(() => renderRelease(tools.helm!, ws, head, c, b ? { tree: base, candidate: b } : undefined, timeoutMs, notes).then((r) => void (r && helm.set(c.id, r))));
      }
      // A release only the base has (the change removes it) keeps its static reading on the base.
    }
    await runLimited(jobs, CONCURRENCY, Date.now() + TOTAL_MS, (count) => notes.push(`rendering stopped after ${TOTAL_MS / 1000} s: ${count} more renders were skipped and read statically`));
    if (!kustomize.size && !helm.size) return { resolved: planned, notes };
    const resolved = timed('units', () => buildFleet(config, base, head, changes, { renders: { kustomize, helm }, reuse: planned.reuse }));
    const done = [...kustomize.keys()].map((id) => `overlay ${id}`).concat([...helm.keys()].map((id) => `release ${id.replace(/^helm:/, '')}`));
    notes.push(`rendered with the real tools: ${listing(done.sort(cmp))}`);
    return { resolved, notes };
  } finally {
    ws.cleanup();
  }
}

function listing(items: readonly string[]): string {
  return items.length <= 5 ? items.join(', ') : `${items.slice(0, 5).join(', ')} and ${items.length - 5} more`;
}

/** Units built from a kustomization whose inputs (on this side) the change touches. */
function overlaysToRender(units: readonly Unit[], tree: Tree, changed: ReadonlySet<string>): Unit[] {
  return units.filter((u) => {
    if (u.id.startsWith('helm:') || kustomizationIn(tree, u.root) === undefined) return false;
    for (const f of u.files) if (changed.has(f)) return true;
    // Inputs the static build does not list come only from fields it does not follow.
    return approximated(tree, u).length > 0 && overlayPaths(tree, u).some((f) => changed.has(f));
  });
}

/** The overlays to consider on both sides: touched on either side, taken on every side that has them (both rendered, or neither). */
function overlaysOnBothSides(planned: ResolvedTrees, trees: { base: Tree; head: Tree }, changed: ReadonlySet<string>): { base: Unit[]; head: Unit[] } {
  const touched = new Set([...overlaysToRender(planned.sides.head.units, trees.head, changed), ...overlaysToRender(planned.sides.base.units, trees.base, changed)].map((u) => u.id));
  const pick = (units: readonly Unit[], tree: Tree) => units.filter((u) => touched.has(u.id) && !u.id.startsWith('helm:') && kustomizationIn(tree, u.root) !== undefined);
  return { head: pick(planned.sides.head.units, trees.head), base: pick(planned.sides.base.units, trees.base) };
}

/**
 * Kustomization fields the static build (src/kustomize.ts) applies as kustomize does. An overlay using any
 * other (replacements, vars, secretGenerator, transformers, generators, helmCharts, crds, openapi,
 * configurations, generatorOptions …) is only approximated statically.
 */
const STATIC_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'resources', 'bases', 'components', 'namespace', 'namePrefix', 'nameSuffix', 'patches', 'patchesStrategicMerge', 'patchesJson6902', 'commonLabels', 'labels', 'commonAnnotations', 'images', 'replicas', 'configMapGenerator']);

/** `fn` of (tree, unit), computed once per pair: planning asks the same overlays several times. */
function perUnit<T>(fn: (tree: Tree, u: Unit) => T): (tree: Tree, u: Unit) => T {
  const cache = new WeakMap<Tree, WeakMap<Unit, T>>();
  return (tree, u) => {
    let perTree = cache.get(tree);
    if (!perTree) cache.set(tree, (perTree = new WeakMap()));
    if (!perTree.has(u)) perTree.set(u, fn(tree, u));
    return perTree.get(u)!;
  };
}

/** The fields of an overlay's kustomizations that the static build only approximates. */
const approximated = perUnit(approximatedFields);

function approximatedFields(tree: Tree, u: Unit): string[] {
  const out = new Set<string>();
  for (const [f, fields] of approximatingKustomizations(tree)) if (u.files.has(f)) for (const k of fields) out.add(k);
  return [...out].sort(cmp);
}

/** The kustomizations of a tree that use fields the static build approximates (few: a unit reads thousands of files). */
const approximating = new WeakMap<Tree['files'], ReadonlyMap<string, readonly string[]>>();
function approximatingKustomizations(tree: Tree): ReadonlyMap<string, readonly string[]> {
  let found = approximating.get(tree.files);
  if (!found) {
    const map = new Map<string, string[]>();
    for (const [f, parsed] of tree.files) {
      if (!isKustomizationPath(f)) continue;
      const doc = parsed.docs[0];
      const fields = doc && typeof doc === 'object' && !Array.isArray(doc) ? Object.keys(doc).filter((k) => !STATIC_FIELDS.has(k)) : [];
      if (fields.length) map.set(f, fields);
    }
    approximating.set(tree.files, (found = map));
  }
  return found;
}

/**
 * Which changed overlays to render. Those the static build only approximates always are; the others (their
 * static build is exact, kustomize would confirm it) while the whole stays within the render budget: a
 * change to a base shared by dozens of clusters is not worth a dozen seconds of identical builds.
 */
function chooseOverlays(overlays: { base: Unit[]; head: Unit[] }, trees: { base: Tree; head: Tree }, notes: string[]): Set<string> {
  const all = [...new Set([...overlays.head, ...overlays.base].map((u) => u.id))].sort(cmp);
  const unitOf = (id: string) => ({ head: overlays.head.find((u) => u.id === id), base: overlays.base.find((u) => u.id === id) });
  const builds = (id: string) => (unitOf(id).head ? 1 : 0) + (unitOf(id).base ? 1 : 0);
  const size = (id: string) => Math.max(unitOf(id).head?.objects.length ?? 0, unitOf(id).base?.objects.length ?? 0);
  const rootOf = (id: string) => unitOf(id).head?.root || unitOf(id).base?.root || '.';
  const isNeeded = (id: string) => {
    const u = unitOf(id);
    return (u.head && approximated(trees.head, u.head).length) || (u.base && approximated(trees.base, u.base).length);
  };
  const tooLarge = all.filter((id) => size(id) > (isNeeded(id) ? RENDER_MAX_OBJECTS : EXACT_RENDER_MAX_OBJECTS));
  const named = (ids: string[]) => listing(ids.map((id) => `${rootOf(id)} (${size(id)} objects)`));
  const largeExact = tooLarge.filter((id) => !isNeeded(id));
  const largeNeeded = tooLarge.filter((id) => isNeeded(id));
  if (largeExact.length) {
    notes.push(
      `${largeExact.length === 1 ? 'overlay' : `${largeExact.length} changed overlays`} ${named(largeExact)} built statically, not rendered: over ${EXACT_RENDER_MAX_OBJECTS} objects (kustomize's build time grows with the square of the objects), and only kustomize features the static build applies exactly`,
    );
  }
  if (largeNeeded.length) {
    const fields = [...new Set(largeNeeded.flatMap((id) => [...(unitOf(id).head ? approximated(trees.head, unitOf(id).head!) : []), ...(unitOf(id).base ? approximated(trees.base, unitOf(id).base!) : [])]))].sort(cmp);
    notes.push(
      `${largeNeeded.length === 1 ? 'overlay' : `${largeNeeded.length} changed overlays`} ${named(largeNeeded)} built statically, not rendered: over the ${RENDER_MAX_OBJECTS} objects kustomize can build within ${TIMEOUT_MS / 1000} s (the static build approximates ${listing(fields)})`,
    );
  }
  const ids = all.filter((id) => !tooLarge.includes(id));
  const needed = ids.filter(isNeeded);
  const exact = ids.filter((id) => !needed.includes(id));
  const chosen = new Set(needed.slice(0, MAX_RENDERS));
  if (needed.length > MAX_RENDERS) notes.push(`${needed.length} changed overlays use kustomize features the static build only approximates; the first ${MAX_RENDERS} were rendered, the rest built statically`);
  const total = [...chosen, ...exact].reduce((n, id) => n + builds(id), 0);
  if (total <= OVERLAY_BUILD_BUDGET) for (const id of exact) chosen.add(id);
  else if (exact.length) notes.push(`${exact.length} changed overlays were built statically, not rendered (${total} kustomize builds are over the budget of ${OVERLAY_BUILD_BUDGET}; they use only kustomize features the static build applies exactly): ${listing(exact.map((id) => unitOf(id).head?.root ?? unitOf(id).base?.root ?? id))}`);
  return chosen;
}

/** Releases of charts in the repository (with templates) whose chart files or values the change touches. */
function chartsToRender(releases: readonly Candidate[], tree: Tree, changed: ReadonlySet<string>): Candidate[] {
  return releases.filter((c) => {
    if (c.chartDir === undefined || !hasTemplates(tree, c.chartDir)) return false;
    const prefix = c.chartDir ? `${c.chartDir}/` : '';
    const inputs = [...c.files, ...c.layers.flatMap((l) => (l.at ? [l.at.file] : []))];
    return inputs.some((f) => changed.has(f)) || [...changed].some((p) => p.startsWith(prefix));
  });
}

/**
 * Every file an overlay's build reads: the static build's files, and every local path its kustomizations
 * load that the static build does not follow (secretGenerator env files, replacements, transformers,
 * crds, openapi …; a directory brings the files under it).
 */
const overlayPaths = perUnit((tree: Tree, u: Unit): string[] => {
  const out = new Set(u.files);
  const refs = new Set<string>();
  for (const f of u.files) {
    if (!isKustomizationPath(f)) continue;
    const doc = tree.files.get(f)?.docs[0];
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) for (const r of localKustomizeRefs(f, doc as Record<string, unknown>).inside) refs.add(r);
  }
  if (refs.size) for (const p of tree.paths) if (refs.has(p) || [...refs].some((r) => r === '' || p.startsWith(`${r}/`))) out.add(p);
  return [...out].sort(cmp);
});

/** Texts of paths of a tree: YAML from memory, the rest in one batch read. */
async function textsOf(tree: Tree, paths: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const rest: string[] = [];
  for (const p of paths) {
    const f = tree.files.get(p);
    if (f && !f.error) out.set(p, f.text);
    else rest.push(p);
  }
  if (tree.readMany) for (const [p, bytes] of await tree.readMany(rest)) out.set(p, Buffer.from(bytes).toString('utf8'));
  else
    for (const p of rest) {
      const t = tree.readFile(p);
      if (t !== null) out.set(p, t);
    }
  return out;
}

/** Renders one side's overlays from one copy of their files, two builds at a time; the rendered ones by unit id. */
async function renderOverlays(kubectl: RenderTool, ws: Workspace, tree: Tree, units: readonly Unit[], timeoutMs: number, notes: string[]): Promise<Map<string, Record<string, unknown>[]>> {
  const out = new Map<string, Record<string, unknown>[]>();
  if (!units.length) return out;
  const perUnit = new Map(units.map((u) => [u.id, overlayPaths(tree, u)] as const));
  const texts = await textsOf(tree, [...new Set([...perUnit.values()].flat())].sort(cmp));
  const buildable: Array<{ u: Unit; files: Map<string, string> }> = [];
  for (const u of units) {
    const files = new Map(perUnit.get(u.id)!.flatMap((p) => (texts.has(p) ? [[p, texts.get(p)!] as const] : [])));
    const remote = remoteKustomizeRefs(files);
    const escaping = escapingKustomizeRefs(files);
    if (remote.length) notes.push(`overlay ${u.root || '.'} (${tree.side}) was not rendered: it refers to remote resources (${listing(remote)}), which would need the network; the static build was used`);
    else if (escaping.length) notes.push(`overlay ${u.root || '.'} (${tree.side}) was not rendered: it refers to paths outside the repository (${listing(escaping)}); the static build was used`);
    else buildable.push({ u, files });
  }
  if (!buildable.length) return out;
  let root: string;
  try {
    root = materialize(ws, [...new Map(buildable.flatMap(({ files }) => [...files])).entries()].map(([path, text]) => ({ path, text })), `overlays-${tree.side}`);
  } catch (e) {
    notes.push(`overlays (${tree.side}) could not be written for rendering (${errorMessage(e)}); the static builds were used`);
    return out;
  }
  await runLimited(
    buildable.map(({ u, files }) => async () => {
      try {
        const r = await kustomizeBuild(kubectl, ws, u.root || '.', files, timeoutMs, root);
        if ('error' in r) notes.push(`overlay ${u.root || '.'} (${tree.side}) could not be rendered (${r.error}); the static build was used`);
        else out.set(u.id, r.docs);
      } catch (e) {
        notes.push(`overlay ${u.root || '.'} (${tree.side}) could not be rendered (${errorMessage(e)}); the static build was used`);
      }
    }),
    CONCURRENCY,
  );
  return out;
}

/** The chart's files (byte-exact: a vendored subchart may be a `.tgz`) and the release's values, for helm. */
async function chartInput(tree: Tree, c: Candidate): Promise<HelmChartInput> {
  const dirs = chartDirs(tree, c.chartDir ?? '');
  const paths = tree.paths.filter((p) => dirs.some((d) => d === '' || p.startsWith(`${d}/`)));
  const files = new Map<string, string | Uint8Array>();
  if (tree.readMany) for (const [p, bytes] of await tree.readMany(paths)) files.set(p, bytes);
  else
    for (const p of paths) {
      const text = tree.readFile(p);
      if (text !== null) files.set(p, text);
    }
  return {
    chartDir: c.chartDir ?? '',
    files,
    release: { name: c.name, namespace: c.namespace },
    // helm reads the chart's own values.yaml itself; the candidate's layers follow in -f order.
    values: c.layers.map((l, i) => ({ name: `values-${i}.yaml`, doc: l.doc })),
  };
}

async function renderRelease(helm: RenderTool, ws: Workspace, head: Tree, c: Candidate, base: { tree: Tree; candidate: Candidate } | undefined, timeoutMs: number, notes: string[]): Promise<{ base?: HelmRendered; head?: HelmRendered } | undefined> {
  const where = `release ${c.name} of ${c.chartDir || '.'} (${c.via})`;
  try {
    const input = await chartInput(head, c);
    const missing = missingDependencies(input);
    if (missing.length) {
      notes.push(`${where} was not rendered: dependencies ${listing(missing)} are not vendored under charts/ (rendering would need the network); read statically`);
      return undefined;
    }
    const h = await helmTemplate(helm, ws, input, timeoutMs);
    if ('error' in h) {
      notes.push(`${where} could not be rendered (${h.error}); read statically`);
      return undefined;
    }
    const out: { base?: HelmRendered; head?: HelmRendered } = {};
    let attribution: HelmRendered['attribution'];
    if (base) {
      const baseInput = await chartInput(base.tree, base.candidate);
      const b = missingDependencies(baseInput).length ? { error: 'dependencies not vendored on the base' } : await helmTemplate(helm, ws, baseInput, timeoutMs);
      if ('error' in b) {
        notes.push(`${where} was not rendered: the base version could not be (${b.error}); read statically on both sides`);
        return undefined;
      }
      out.base = { docs: b.docs };
      // Which changed values keys made which rendered fields differ: findings land on those keys.
      // The chart's own values.yaml is part of what changed (helm reads it underneath as well: harmless).
      const merged = async (tree: Tree, cand: Candidate) => mergedUserValues([...(await ownValues(tree, cand)), ...cand.layers]);
      const a = await attributeChanges(helm, ws, input, await merged(base.tree, base.candidate), await merged(head, c), { timeoutMs, maxKeys: MAX_ATTRIBUTED_KEYS });
      if (!('error' in a)) {
        attribution = a.byObject;
        if (a.unattributed.length) notes.push(`${where}: ${a.unattributed.length} more changed values keys were not traced to rendered fields (findings on them point at the templates)`);
      }
    }
    out.head = { docs: h.docs, ...(attribution ? { attribution } : {}) };
    return out;
  } catch (e) {
    notes.push(`${where} could not be rendered (${errorMessage(e)}); read statically`);
    return undefined;
  }
}

/** The chart's own values.yaml as a layer, unless the release's values files replace it. */
async function ownValues(tree: Tree, c: Candidate): Promise<ValuesLayer[]> {
  if (c.ownValuesListed || c.chartDir === undefined) return [];
  const doc = tree.files.get(c.chartDir ? `${c.chartDir}/values.yaml` : 'values.yaml')?.docs[0];
  return doc && typeof doc === 'object' && !Array.isArray(doc) ? [{ doc: doc as Record<string, unknown> }] : [];
}

/** A chart's directory and those of its `file://` dependencies inside the repository (transitively). */
function chartDirs(tree: Tree, chartDir: string): string[] {
  const out: string[] = [];
  const visit = (dir: string, depth: number) => {
    if (out.includes(dir) || depth > 8) return;
    out.push(dir);
    const chart = tree.files.get(dir ? `${dir}/Chart.yaml` : 'Chart.yaml');
    const deps = (chart?.docs[0] as { dependencies?: unknown } | null | undefined)?.dependencies;
    for (const d of Array.isArray(deps) ? deps : []) {
      const repo = typeof d?.repository === 'string' ? d.repository : '';
      if (!repo.startsWith('file://')) continue;
      const target = posix.normalize(posix.join(dir, repo.slice('file://'.length)));
      if (target.startsWith('..') || posix.isAbsolute(target)) continue;
      visit(target === '.' ? '' : target, depth + 1);
    }
  };
  visit(chartDir, 0);
  return out;
}

/** Runs jobs with at most `n` at once; past the deadline (ms since epoch) the jobs not yet started are skipped, and `onSkip` told how many. */
async function runLimited(jobs: ReadonlyArray<() => Promise<void>>, n: number, deadline = Infinity, onSkip?: (count: number) => void): Promise<void> {
  let next = 0;
  let skipped = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      if (Date.now() > deadline) skipped++;
      else await job();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  if (skipped) onSkip?.(skipped);
}
