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
import { kustomizationIn } from '../kustomize.js';
import type { ChangeSet, Tree } from '../types.js';
import type { Unit } from '../units.js';
import { cmp, errorMessage } from '../util.js';
import { attributeChanges, helmTemplate, missingDependencies, type HelmChartInput } from './helm.js';
import { kustomizeBuild, remoteKustomizeRefs } from './kustomize.js';
import { createWorkspace, findTools, type RenderTool, type Workspace } from './tools.js';

/** Most renders of one kind per side: a change touching more keeps the static analysis for the rest. */
const MAX_RENDERS = 24;
/** One render's time limit. */
const TIMEOUT_MS = 30_000;
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
  const planned = buildFleet(config, base, head, changes);
  const changed = new Set(changes.files.flatMap((f) => (f.oldPath ? [f.path, f.oldPath] : [f.path])));
  const overlays = { base: overlaysToRender(planned.sides.base.units, base, changed), head: overlaysToRender(planned.sides.head.units, head, changed) };
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
      const ids = [...new Set([...overlays.head, ...overlays.base].map((u) => u.id))].sort(cmp);
      if (ids.length > MAX_RENDERS) notes.push(`${ids.length} changed overlays; the first ${MAX_RENDERS} were rendered, the rest built statically`);
      for (const id of ids.slice(0, MAX_RENDERS)) {
        const sides = { head: overlays.head.find((u) => u.id === id), base: overlays.base.find((u) => u.id === id) };
        jobs.push(async () => {
          const [h, b] = await Promise.all([
            sides.head ? renderOverlay(tools.kubectl!, ws, head, sides.head, timeoutMs, notes) : undefined,
            sides.base ? renderOverlay(tools.kubectl!, ws, base, sides.base, timeoutMs, notes) : undefined,
          ]);
          if ((sides.head && !h) || (sides.base && !b)) return;
          kustomize.set(id, { ...(h ? { head: h } : {}), ...(b ? { base: b } : {}) });
        });
      }
    }
    if (tools.helm) {
      if (charts.head.length > MAX_RENDERS) notes.push(`${charts.head.length} changed Helm releases; the first ${MAX_RENDERS} were rendered, the rest read statically`);
      for (const c of charts.head.slice(0, MAX_RENDERS)) {
        const b = planned.sides.base.releases?.find((x) => x.id === c.id && x.chartDir !== undefined && hasTemplates(base, x.chartDir));
        jobs.push(() => renderRelease(tools.helm!, ws, head, c, b ? { tree: base, candidate: b } : undefined, timeoutMs, notes).then((r) => void (r && helm.set(c.id, r))));
      }
      // A release only the base has (the change removes it) keeps its static reading on the base.
    }
    await runLimited(jobs, CONCURRENCY);
    if (!kustomize.size && !helm.size) return { resolved: planned, notes };
    const resolved = buildFleet(config, base, head, changes, { renders: { kustomize, helm }, reuse: planned.reuse });
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

/** Units built from a kustomization whose inputs the change touches. */
function overlaysToRender(units: readonly Unit[], tree: Tree, changed: ReadonlySet<string>): Unit[] {
  return units.filter((u) => !u.id.startsWith('helm:') && kustomizationIn(tree, u.root) !== undefined && [...u.files].some((f) => changed.has(f)));
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

/** Every file an overlay reads, plus the other files of the directories holding its kustomizations (components, env files). */
function overlayFiles(tree: Tree, u: Unit): Map<string, string> {
  const dirs = new Set([...u.files].map((f) => posix.dirname(f)));
  const out = new Map<string, string>();
  for (const p of tree.paths) {
    if (!u.files.has(p) && !dirs.has(posix.dirname(p))) continue;
    const text = tree.readFile(p);
    if (text !== null) out.set(p, text);
  }
  return out;
}

async function renderOverlay(kubectl: RenderTool, ws: Workspace, tree: Tree, u: Unit, timeoutMs: number, notes: string[]): Promise<Record<string, unknown>[] | undefined> {
  const files = overlayFiles(tree, u);
  const remote = remoteKustomizeRefs(files);
  if (remote.length) {
    notes.push(`overlay ${u.root || '.'} (${tree.side}) was not rendered: it refers to remote resources (${listing(remote)}), which would need the network; the static build was used`);
    return undefined;
  }
  try {
    const r = await kustomizeBuild(kubectl, ws, u.root || '.', files, timeoutMs);
    if ('error' in r) {
      notes.push(`overlay ${u.root || '.'} (${tree.side}) could not be rendered (${r.error}); the static build was used`);
      return undefined;
    }
    return r.docs;
  } catch (e) {
    notes.push(`overlay ${u.root || '.'} (${tree.side}) could not be rendered (${errorMessage(e)}); the static build was used`);
    return undefined;
  }
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

/** Runs jobs with at most `n` at once. */
async function runLimited(jobs: ReadonlyArray<() => Promise<void>>, n: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
}
