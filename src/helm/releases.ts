/**
 * Helm releases of a tree, seen through their values without helm (RULEBOOK D.2 "Helm", D.3 step 1): each
 * release of a chart the adapters know (src/helm/charts) becomes a deployable unit of rendered objects, so
 * every rule judges a values-only change like a manifest change, and findings point at the values lines.
 *
 * Where releases come from, and the clusters they reach:
 * - **Flux `HelmRelease`** (helm.toolkit.fluxcd.io): the chart `spec.chart.spec.chart` (a name, or a chart
 *   directory of this repository), values from `spec.chart.spec.valuesFiles`, `spec.valuesFrom` ConfigMaps
 *   of the same unit (key `valuesKey`, default `values.yaml`), then `spec.values`. Release name
 *   `spec.releaseName`, else `[<targetNamespace>-]<name>`; namespace `spec.targetNamespace`, else the
 *   object's. Clusters: the HelmRelease's own (its unit, path globs, else `unmapped`).
 * - **Argo CD `Application` / `ApplicationSet`** sources with `chart` (a chart repository) or a `path` holding
 *   a `Chart.yaml`: `helm.valueFiles` (relative to the source path; `$<ref>/…` from the repository root),
 *   then `helm.values`, then `helm.valuesObject`. Release name `helm.releaseName`, else the Application's
 *   name; namespace `destination.namespace`. Clusters: the destination (`fleet.clusters[].argocd`), else the
 *   Application's own.
 * - **Chart directories** (a `Chart.yaml`) that no GitOps object deploys: one release per environment values
 *   file beside the chart (`values-<env>.yaml`, `values.<env>.yaml`, `values/<env>.yaml`), reaching the
 *   clusters named `<env>` (else of stage `<env>`, else whose name has the token); with none, one release
 *   of the chart's `values.yaml` reaching the clusters of its path. The release name is the chart's name.
 *
 * A chart the adapters do not know may be an umbrella: each of its `dependencies` they know is a release
 * whose values nest under the dependency's `alias` or `name` (its `condition` honoured), over the
 * subchart's own values.yaml when vendored under `charts/<name>/`. Layers merge as Helm does (values.ts).
 */
import { posix } from 'node:path';
import type { Cluster, KubeObject, Tree, YamlPath } from '../types.js';
import { applicationSpecs, destinationClusters, render, type ArgoClusterMatch, type Unit, type UnitMap } from '../units.js';
import { cmp, withPrefix } from '../util.js';
import { lineOf } from '../yaml/lines.js';
import { objectRef } from '../yaml/parse.js';
import { parseEmbeddedYaml } from '../agents/config.js';
import { sameValue } from '../changes.js';
import { asList, asMap, asString, expandedSize, getIn } from '../yaml/walk.js';
import type { ChartAdapter, ReleaseInfo, RenderedDoc, ValuesSpot } from './chart.js';
import { ADAPTERS } from './charts/index.js';
import { LayeredValues, nestedLayer, type LayerSource, type ValuesLayer, type ValuesOrigin } from './values.js';
import { ofKinds, segmentsOf, withSegments } from '../kinds.js';

const UNMAPPED = 'unmapped';

/** A place in a file (for a release's fallback line). */
interface Place {
  readonly file: string;
  readonly docIndex: number;
  readonly path: YamlPath;
}

/** A chart release found in the tree, before the adapters. */
export interface Candidate {
  /** Unit id prefix: where the release is declared. */
  readonly id: string;
  /** Releases of one chart for several environments share a group (see KubeObject.rendered). */
  readonly group: string;
  readonly via: string;
  readonly chart: string;
  /** The chart's directory, when the repository holds the chart. */
  readonly chartDir?: string;
  readonly version?: string;
  readonly name: string;
  readonly namespace: string | null;
  /** The user's values layers, lowest first (the chart's own values.yaml is added for a local chart). */
  readonly layers: readonly ValuesLayer[];
  readonly clusters: readonly string[];
  /** Files the release reads besides its layers (the GitOps object, Chart.yaml). */
  readonly files: readonly string[];
  readonly declared: Place;
  /** True when the layers replace the chart's values.yaml (Flux `valuesFiles` naming it already). */
  readonly ownValuesListed?: boolean;
}

/** What `helm template` rendered for a release on one side (src/render/index.ts), and which values keys changed which fields. */
export interface HelmRendered {
  readonly docs: ReadonlyArray<{ readonly doc: Record<string, unknown>; readonly source: string }>;
  /** Per object `Kind/namespace/name`: the values paths whose change alters each rendered field path (head only). */
  readonly attribution?: ReadonlyMap<string, ReadonlyArray<{ readonly valuesPath: YamlPath; readonly fieldPaths: readonly YamlPath[] }>>;
}

/** Helm renderings by release (candidate id) and side. */
export type HelmRenders = ReadonlyMap<string, { readonly base?: HelmRendered; readonly head?: HelmRendered }>;

interface ChartInfo {
  readonly dir: string;
  readonly name: string;
  readonly version?: string;
  readonly file: string;
  readonly dependencies: ReadonlyArray<{ name: string; key: string; version?: string; condition?: string; index: number }>;
}

interface Context {
  readonly tree: Tree;
  /** The stage a name stands for, when it names one (`production` → `prod`). */
  readonly stageOf: (name: string) => string | undefined;
  readonly clusters: readonly Cluster[];
  readonly argo: ArgoClusterMatch;
  readonly globClusters: (path: string) => string[];
  readonly notes: string[];
  /** Paths the change touches (either side): a chart nothing analyses is noted only when its inputs changed. */
  readonly changed?: ReadonlySet<string>;
  /** Real `helm template` renderings, when a helm binary rendered the release. */
  readonly helm?: HelmRenders;
}

const byChart = new Map<string, ChartAdapter>();
for (const a of ADAPTERS) for (const c of a.charts) byChart.set(c, a);

/** The adapter of a chart name (a chart reference may carry a repository prefix: `open-telemetry/opentelemetry-collector`). */
export function adapterFor(chart: string): ChartAdapter | undefined {
  return byChart.get(chart) ?? byChart.get(chart.split('/').pop() ?? '');
}

/** The releases of a tree (before rendering): what src/render/index.ts asks helm to render. */
export function releaseCandidates(map: UnitMap, tree: Tree, fleet: Omit<Context, 'tree' | 'notes'>): { candidates: Candidate[]; charts: ReadonlyMap<string, ChartInfo>; notes: string[] } {
  const notes: string[] = [];
  const ctx: Context = { ...fleet, tree, notes };
  const charts = chartsOf(tree);
  const gitops = gitopsCandidates(map, ctx, charts);
  const deployed = new Set(gitops.flatMap((c) => (c.chartDir !== undefined ? [c.chartDir] : [])));
  return { candidates: [...gitops, ...chartDirCandidates(ctx, charts, deployed)], charts, notes };
}

/** The values layers of a candidate as helm reads them: the chart's own values.yaml is helm's (not listed), then the candidate's. */
export function candidateLayers(c: Candidate): readonly ValuesLayer[] {
  return c.layers;
}

/** True when the chart directory holds templates (a chart `helm template` can render). */
export function hasTemplates(tree: Tree, chartDir: string): boolean {
  const prefix = join(chartDir, 'templates/');
  return withPrefix(tree.paths, prefix).length > 0;
}

/** Adds the Helm releases of a tree to its unit map: their units, objects and values files. */
export function addReleases(map: UnitMap, tree: Tree, fleet: Omit<Context, 'tree' | 'notes'>): UnitMap {
  const { candidates, charts, notes } = releaseCandidates(map, tree, fleet);
  const ctx: Context = { ...fleet, tree, notes };
  const units: Unit[] = [];
  for (const c of candidates) units.push(...releaseUnits(c, ctx, charts));
  if (!units.length && !notes.length) return { ...map, releases: candidates };
  // Only the files of releases gain clusters: the rest of the map is shared as it is.
  const added = new Map<string, Set<string>>();
  for (const u of units) for (const f of u.files) for (const c of u.clusters) (added.get(f) ?? added.set(f, new Set(map.fileClusters.get(f))).get(f)!).add(c);
  const fileClusters = new Map(map.fileClusters);
  for (const [f, cs] of added) fileClusters.set(f, [...cs].sort(cmp));
  return {
    releases: candidates,
    units: [...map.units, ...units],
    objects: withSegments([...map.objects, ...units.flatMap((u) => u.objects)], [...(segmentsOf(map.objects) ?? [map.objects]), ...units.map((u) => u.objects)]),
    fileClusters,
    notes: [...new Set([...map.notes, ...notes])],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Charts of the repository

function chartsOf(tree: Tree): Map<string, ChartInfo> {
  const out = new Map<string, ChartInfo>();
  for (const [path, f] of tree.files) {
    if (posix.basename(path) !== 'Chart.yaml') continue;
    const doc = asMap(f.docs[0]);
    const name = asString(doc?.name);
    if (!doc || !name) continue;
    const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
    const dependencies = asList(doc.dependencies).flatMap((d, index) => {
      const m = asMap(d);
      const depName = asString(m?.name);
      if (!m || !depName) return [];
      return [{ name: depName, key: asString(m.alias) ?? depName, version: asString(m.version), condition: asString(m.condition), index }];
    });
    out.set(dir, { dir, name, version: asString(doc.version), file: path, dependencies });
  }
  return out;
}

/** True for a chart vendored inside another (`<parent>/charts/<name>/`): it is part of its parent's release. */
function isSubchart(dir: string, charts: ReadonlyMap<string, ChartInfo>): boolean {
  const parts = dir.split('/');
  return parts.length >= 2 && parts[parts.length - 2] === 'charts' && charts.has(parts.slice(0, -2).join('/'));
}

const join = (dir: string, p: string) => (dir ? `${dir}/${p}` : p);

/** A values file of the tree as a layer (undefined when absent, unparsable or not a mapping). */
function fileLayer(tree: Tree, path: string): ValuesLayer | undefined {
  const f = tree.files.get(path);
  const doc = asMap(f?.docs[0]);
  if (!f || !doc || f.error) return undefined;
  return { doc, at: { file: path, docIndex: 0, docPath: [] } };
}

/** Values written as YAML text in a string field (Argo CD `helm.values`, a ConfigMap key). */
function textLayer(text: string, at: Omit<LayerSource, 'embedded'>): ValuesLayer | undefined {
  const m = asMap(parseEmbeddedYaml(text));
  return m ? { doc: m, at: { ...at, embedded: { text, prefix: [] } } } : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// GitOps objects

function gitopsCandidates(map: UnitMap, ctx: Context, charts: ReadonlyMap<string, ChartInfo>): Candidate[] {
  const unitClusters = new Map(map.units.map((u) => [u.id, u.clusters] as const));
  const clustersOf = (o: KubeObject): readonly string[] => {
    const fromUnit = unitClusters.get(o.unit);
    if (fromUnit) return fromUnit;
    const glob = ctx.globClusters(o.file);
    return glob.length ? glob : [UNMAPPED];
  };
  const out: Candidate[] = [];
  // The objects of a HelmRelease's unit (its valuesFrom ConfigMaps, chartRef sources), indexed on first need.
  let unitObjects: Map<string, KubeObject[]> | undefined;
  const objectsOfUnit = (unit: string) => {
    if (!unitObjects) {
      unitObjects = new Map();
      for (const o of map.objects) (unitObjects.get(o.unit) ?? unitObjects.set(o.unit, []).get(o.unit)!).push(o);
    }
    return unitObjects.get(unit) ?? [];
  };
  for (const o of ofKinds(map.objects, ['HelmRelease', 'Application', 'ApplicationSet'])) {
    if (o.kind === 'HelmRelease' && o.apiVersion.startsWith('helm.toolkit.fluxcd.io/')) {
      const c = helmReleaseCandidate(o, clustersOf(o), objectsOfUnit(o.unit), ctx, charts);
      if (c) out.push(c);
    } else if ((o.kind === 'Application' || o.kind === 'ApplicationSet') && o.apiVersion.startsWith('argoproj.io/')) {
      out.push(...applicationCandidates(o, clustersOf(o), ctx, charts));
    }
  }
  // One object reached by several units is one release per unit (an overlay may patch its values); the
  // kit judges copies of one group together, so the same finding on the same line reaches their union.
  const byId = new Map<string, Candidate>();
  for (const c of out) {
    const known = byId.get(c.id);
    if (known) byId.set(c.id, { ...known, clusters: [...new Set([...known.clusters, ...c.clusters])].sort(cmp) });
    else byId.set(c.id, c);
  }
  return [...byId.values()];
}

function placeOf(o: KubeObject, path: YamlPath): Place {
  return { file: (o.source ?? o).file, docIndex: (o.source ?? o).docIndex, path: [...(o.source ?? o).docPath, ...path] };
}

function helmReleaseCandidate(o: KubeObject, clusters: readonly string[], unitObjects: readonly KubeObject[], ctx: Context, charts: ReadonlyMap<string, ChartInfo>): Candidate | undefined {
  const spec = asMap(o.doc.spec);
  if (!spec) return undefined;
  const where = `HelmRelease ${o.namespace ? `${o.namespace}/` : ''}${o.name} (${(o.source ?? o).file})`;
  const chartSpec = asMap(getIn(spec, ['chart', 'spec']));
  let chart = asString(chartSpec?.chart);
  if (!chart) {
    // `spec.chartRef` (OCIRepository / HelmChart): the chart's name is the last segment of an OCIRepository URL.
    const ref = asMap(spec.chartRef);
    const repo = ref && unitObjects.find((x) => x.kind === asString(ref.kind) && x.name === asString(ref.name));
    const url = asString(getIn(repo?.doc, ['spec', 'url']));
    chart = url?.replace(/\/+$/, '').split('/').pop();
  }
  if (!chart) return undefined;
  const targetNamespace = asString(spec.targetNamespace);
  const name = asString(spec.releaseName) ?? (targetNamespace ? `${targetNamespace}-${o.name}` : o.name);
  const namespace = targetNamespace ?? o.namespace;
  const layers: ValuesLayer[] = [];
  const files: string[] = [(o.source ?? o).file];
  // A chart path (`./charts/agent`) of a GitRepository source: the repository's own chart.
  const chartDir = /^\.{0,2}\//.test(chart) || chart.includes('/') ? localChartDir(chart, charts) : undefined;
  let ownValuesListed = false;
  if (chartDir !== undefined) {
    // `valuesFiles` replace the chart's values.yaml (Flux: "values.yaml is not included by default"); they
    // are paths in the source (the repository root), else read relative to the chart.
    const valuesFiles = asList(chartSpec?.valuesFiles).map(asString).filter((s): s is string => !!s);
    if (valuesFiles.length) ownValuesListed = true;
    for (const v of valuesFiles) {
      const fromRoot = posix.normalize(v.replace(/^\/+/, '')).replace(/^\.\//, '');
      const l = fileLayer(ctx.tree, fromRoot) ?? fileLayer(ctx.tree, posix.normalize(join(chartDir, v)).replace(/^\.\//, ''));
      if (l) {
        layers.push(l);
        files.push(l.at!.file);
      } else ctx.notes.push(`${where}: values file "${v}" is not in this repository; not read`);
    }
  }
  for (const v of asList(spec.valuesFrom)) {
    const ref = asMap(v);
    const kind = asString(ref?.kind);
    const refName = asString(ref?.name);
    if (!ref || !refName) continue;
    if (kind !== 'ConfigMap') {
      ctx.notes.push(`${where}: valuesFrom ${kind ?? '?'} "${refName}" is not read here`);
      continue;
    }
    if (asString(ref.targetPath)) {
      ctx.notes.push(`${where}: valuesFrom "${refName}" with targetPath is not read here`);
      continue;
    }
    const key = asString(ref.valuesKey) ?? 'values.yaml';
    // (Generated ConfigMaps keep their names here: src/kustomize.ts leaves the content hash off.)
    const cm = unitObjects.find((x) => x.kind === 'ConfigMap' && x.name === refName && (x.namespace ?? o.namespace) === o.namespace);
    const text = asString(getIn(cm?.doc, ['data', key]));
    if (!cm || text === undefined) {
      if (ref.optional !== true) ctx.notes.push(`${where}: valuesFrom ConfigMap "${refName}" key "${key}" is not in this repository`);
      continue;
    }
    const src = cm.source ?? cm;
    const input = src.generated?.inputs[key];
    const l = input ? fileLayer(ctx.tree, input) : textLayer(text, { file: src.file, docIndex: src.docIndex, docPath: [...src.docPath, 'data', key] });
    if (l) {
      layers.push(l);
      files.push(l.at!.file);
    } else if (text.trim()) ctx.notes.push(`${where}: valuesFrom ConfigMap "${refName}" key "${key}" is not a YAML mapping (or expands too far through aliases); not analysed`);
  }
  const inline = asMap(spec.values);
  if (inline) layers.push({ doc: inline, at: inlineAt(o, ['spec', 'values']) });
  return {
    id: `helm:${(o.source ?? o).file}#${o.ref}@${o.unit}`,
    group: `helm:${(o.source ?? o).file}#${o.ref}`,
    via: `Flux ${where}`,
    chart: chartDir !== undefined ? (charts.get(chartDir)?.name ?? chart) : chart,
    ...(chartDir !== undefined ? { chartDir } : {}),
    ...(asString(chartSpec?.version) ? { version: asString(chartSpec?.version) } : {}),
    name,
    namespace,
    layers,
    clusters,
    files,
    declared: placeOf(o, ['spec', 'chart']),
    ownValuesListed,
  };
}

/**
 * Where values written inline in a GitOps object are: its file, or, when a Kustomize overlay patched them
 * (the derived object's values differ from the file's), the file's values as far as they go (`within`).
 */
function inlineAt(o: KubeObject, path: YamlPath): LayerSource {
  const at = placeAt(o, path);
  if (!o.source || sameValue(getIn(o.doc, path), getIn(o.source.doc, path))) return at;
  return { ...at, within: asMap(getIn(o.source.doc, path)) ?? {} };
}

function placeAt(o: KubeObject, path: YamlPath): LayerSource {
  const p = placeOf(o, path);
  return { file: p.file, docIndex: p.docIndex, docPath: p.path };
}

function localChartDir(chart: string, charts: ReadonlyMap<string, ChartInfo>): string | undefined {
  const normal = posix.normalize(chart || '.').replace(/\/+$/, '');
  const dir = normal === '.' ? '' : normal.replace(/^\.\//, '');
  return charts.has(dir) ? dir : undefined;
}

function applicationCandidates(o: KubeObject, from: readonly string[], ctx: Context, charts: ReadonlyMap<string, ChartInfo>): Candidate[] {
  const out: Candidate[] = [];
  for (const app of applicationSpecs(o, ctx.tree, ctx.argo, ctx.notes)) {
    const clusters = destinationClusters(app.spec, app.params, ctx.argo) ?? [...from];
    const single = asMap(app.spec.source);
    const sources: Array<{ s: Record<string, unknown>; at: YamlPath }> = [
      ...(single ? [{ s: single, at: [...app.specPath, 'source'] }] : []),
      ...asList(app.spec.sources).flatMap((x, j) => (asMap(x) ? [{ s: asMap(x)!, at: [...app.specPath, 'sources', j] }] : [])),
    ];
    sources.forEach(({ s, at: sourcePath }, i) => {
      const chartName = render(asString(s.chart), app.params);
      const rawPath = asString(s.path);
      const path = rawPath === undefined ? undefined : render(rawPath, app.params);
      const chartDir = path === undefined ? undefined : localChartDir(path, charts);
      if (!chartName && chartDir === undefined) return;
      const helm = asMap(s.helm);
      const layers: ValuesLayer[] = [];
      const files: string[] = [(o.source ?? o).file];
      for (const v of asList(helm?.valueFiles)) {
        const raw = render(asString(v), app.params);
        if (!raw) continue;
        // `$values/envs/prod.yaml`: a file of a `ref` source (this repository, from its root). A plain
        // path of a chart-repository source is a file inside the chart package: not here.
        if (!raw.startsWith('$') && chartDir === undefined) {
          ctx.notes.push(`${app.where}: values file "${raw}" is inside the chart package; not read`);
          continue;
        }
        const p = raw.startsWith('$') ? raw.replace(/^\$[^/]+\//, '') : posix.normalize(join(chartDir ?? '', raw));
        const l = fileLayer(ctx.tree, p.replace(/^\.\//, ''));
        if (l) {
          layers.push(l);
          files.push(l.at!.file);
        } else if (helm?.ignoreMissingValueFiles !== true && (chartDir !== undefined || raw.startsWith('$'))) {
          ctx.notes.push(`${app.where}: values file "${raw}" is not in this repository; not read`);
        }
      }
      const text = asString(helm?.values);
      if (text !== undefined) {
        const l = textLayer(text, placeAt(o, [...sourcePath, 'helm', 'values']));
        if (l) layers.push(l);
        else if (text.trim()) ctx.notes.push(`${app.where}: helm.values is not a YAML mapping (or expands too far through aliases); not analysed`);
      }
      const obj = asMap(helm?.valuesObject);
      if (obj) layers.push({ doc: obj, at: inlineAt(o, [...sourcePath, 'helm', 'valuesObject']) });
      const appName = o.kind === 'Application' ? o.name : (render(asString(getIn(o.doc, ['spec', 'template', 'metadata', 'name'])), app.params) ?? o.name);
      const name = render(asString(helm?.releaseName), app.params) ?? appName;
      out.push({
        id: `helm:${(o.source ?? o).file}#${o.ref}#${name}#${i}#${JSON.stringify(app.params)}@${o.unit}`,
        group: `helm:${(o.source ?? o).file}#${o.ref}#${i}`,
        via: `Argo CD ${app.where}`,
        chart: chartDir !== undefined ? (charts.get(chartDir)?.name ?? chartName ?? '') : chartName!,
        ...(chartDir !== undefined ? { chartDir } : {}),
        ...(asString(s.targetRevision) && chartName ? { version: asString(s.targetRevision) } : {}),
        name,
        namespace: render(asString(getIn(app.spec, ['destination', 'namespace'])), app.params) ?? null,
        layers,
        clusters,
        files,
        declared: placeOf(o, [...sourcePath, chartName ? 'chart' : 'path']),
      });
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Chart directories no GitOps object deploys

const ENV_FILE = /^(?:values[-._]([^/]+)|values\/([^/]+))\.ya?ml$/;

/** Chart directories a GitOps object deploys (`deployed`) are its releases; the others are read here. */
function chartDirCandidates(ctx: Context, charts: ReadonlyMap<string, ChartInfo>, deployed: ReadonlySet<string>): Candidate[] {
  const out: Candidate[] = [];
  for (const chart of charts.values()) {
    if (deployed.has(chart.dir) || isSubchart(chart.dir, charts)) continue;
    if (!adapterFor(chart.name) && !chart.dependencies.some((d) => adapterFor(d.name)) && !hasTemplates(ctx.tree, chart.dir)) continue;
    const prefix = chart.dir ? `${chart.dir}/` : '';
    const envs: Array<{ env: string; file: string }> = [];
    for (const path of withPrefix(ctx.tree.paths, prefix)) {
      if (!ctx.tree.files.has(path)) continue;
      const m = ENV_FILE.exec(path.slice(prefix.length));
      if (m) envs.push({ env: m[1] ?? m[2], file: path });
    }
    envs.sort((a, b) => cmp(a.file, b.file));
    const base = {
      group: `helm:${chart.dir || '.'}`,
      via: `Helm chart ${chart.dir || '.'}`,
      chart: chart.name,
      chartDir: chart.dir,
      ...(chart.version ? { version: chart.version } : {}),
      name: chart.name,
      namespace: null,
      files: [chart.file],
    };
    if (!envs.length) {
      const values = join(chart.dir, 'values.yaml');
      const glob = [...new Set([...ctx.globClusters(values), ...ctx.globClusters(chart.file)])].sort(cmp);
      out.push({ ...base, id: `helm:${chart.dir || '.'}`, layers: [], clusters: glob.length ? glob : [UNMAPPED], declared: { file: chart.file, docIndex: 0, path: ['name'] } });
      continue;
    }
    for (const { env, file } of envs) {
      const layer = fileLayer(ctx.tree, file);
      out.push({
        ...base,
        id: `helm:${chart.dir || '.'}@${env}`,
        via: `Helm chart ${chart.dir || '.'} with ${file}`,
        layers: layer ? [layer] : [],
        clusters: envClusters(env, file, ctx),
        files: [chart.file, file],
        declared: { file, docIndex: 0, path: [] },
      });
    }
  }
  return out;
}

/** The clusters an environment values file is for: named `<env>`, else of stage `<env>`, else whose name has the token `<env>`. */
function envClusters(env: string, file: string, ctx: Context): string[] {
  const known = ctx.clusters.filter((c) => !c.implicit);
  const e = env.toLowerCase();
  const named = known.filter((c) => c.name.toLowerCase() === e);
  if (named.length) return named.map((c) => c.name);
  const stage = ctx.stageOf(e);
  const staged = known.filter((c) => c.stage === e || (stage !== undefined && c.stage === stage));
  if (staged.length) return staged.map((c) => c.name);
  const byToken = known.filter((c) => c.name.toLowerCase().split(/[-_.]/).includes(e));
  if (byToken.length) return byToken.map((c) => c.name);
  const glob = ctx.globClusters(file);
  return glob.length ? glob : [UNMAPPED];
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

/** The releases of a candidate (itself, or the known subcharts of an umbrella chart) as units. */
function releaseUnits(c: Candidate, ctx: Context, charts: ReadonlyMap<string, ChartInfo>): Unit[] {
  const local = c.chartDir !== undefined ? charts.get(c.chartDir) : undefined;
  const own = local && !c.ownValuesListed ? fileLayer(ctx.tree, join(local.dir, 'values.yaml')) : undefined;
  const layers = [...(own ? [own] : []), ...c.layers];
  const files = [...c.files, ...(own ? [own.at!.file] : [])];
  const rendered = ctx.helm?.get(c.id)?.[ctx.tree.side];
  if (rendered && local) return [helmUnit(c, rendered, layers, files, ctx)];
  const direct = adapterFor(c.chart);
  if (direct) return [unitOf(c, direct, { name: c.name, namespace: c.namespace, chart: local?.name ?? c.chart.split('/').pop()!, ...(c.version ? { chartVersion: c.version } : {}) }, layers, files, c.id, ctx)];
  const touched = !ctx.changed || [...files, ...c.layers.flatMap((l) => (l.at ? [l.at.file] : []))].some((f) => ctx.changed!.has(f)) || (local !== undefined && [...ctx.changed].some((p) => p.startsWith(`${local.dir}/`)));
  if (!local || !local.dependencies.some((d) => adapterFor(d.name))) {
    if (touched) ctx.notes.push(`${c.via}: chart "${c.chart}" is not rendered (no helm binary rendered it, and it has no built-in knowledge here); its values are not analysed`);
    return [];
  }
  const out: Unit[] = [];
  const merged = new LayeredValues(layers);
  for (const dep of local.dependencies) {
    const adapter = adapterFor(dep.name);
    if (!adapter) continue;
    // `condition: agent.enabled`: the first path that is set decides (Helm), absent means enabled.
    const conditions = (dep.condition ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const decided = conditions.map((p) => merged.get(p.split('.'))).find((v) => typeof v === 'boolean');
    if (decided === false) continue;
    const vendored = fileLayer(ctx.tree, join(local.dir, `charts/${dep.name}/values.yaml`));
    const subLayers = [...(vendored ? [vendored] : []), ...layers.map((l) => nestedLayer(l, dep.key)).filter((l): l is ValuesLayer => !!l)];
    const info: ReleaseInfo = { name: c.name, namespace: c.namespace, chart: dep.key, ...(dep.version ? { chartVersion: dep.version } : {}) };
    const unit = unitOf({ ...c, group: `${c.group}/${dep.key}`, declared: { file: local.file, docIndex: 0, path: ['dependencies', dep.index] } }, adapter, info, subLayers, [...files, ...(vendored ? [vendored.at!.file] : [])], `${c.id}/${dep.key}`, ctx);
    out.push(unit);
  }
  return out;
}

/** Most nodes a release's values layer may expand to: the largest real values files (loki, kube-prometheus-stack) hold about 2,000; beyond 50,000 is an alias bomb. */
const VALUES_BUDGET = 50_000;

/** Rendered objects are reused between the two sides of a change when the values are the very same. */
const renderCache = new Map<string, { docs: readonly unknown[]; info: string; clusters: string; objects: KubeObject[] }>();

function unitOf(c: Candidate, adapter: ChartAdapter, info: ReleaseInfo, userLayers: readonly ValuesLayer[], files: readonly string[], id: string, ctx: Context): Unit {
  const layers: ValuesLayer[] = [{ doc: adapter.defaults }, ...userLayers];
  // Lines are read from the files the objects point into: the cache holds only while those are the same
  // content (a Chart.yaml edited above a dependency moves its line).
  const blobs = [c.declared.file, ...files].map((f) => ctx.tree.files.get(f)?.blob ?? '');
  const infoKey = JSON.stringify([info, c.declared, files, blobs]);
  const clusters = [...c.clusters].sort(cmp);
  const known = renderCache.get(id);
  let objects: KubeObject[];
  if (known && known.info === infoKey && known.docs.length === layers.length && known.docs.every((d, i) => d === layers[i].doc && d !== undefined)) {
    objects = known.objects;
  } else {
    const values = new LayeredValues(layers);
    let docs: RenderedDoc[] = [];
    try {
      const heavy = userLayers.find((l) => expandedSize(l.doc, VALUES_BUDGET) > VALUES_BUDGET);
      if (heavy) ctx.notes.push(`${c.via}: values in ${heavy.at?.file ?? 'the chart'} expand to more than ${VALUES_BUDGET} nodes (aliases); the release is not analysed`);
      else docs = adapter.render(info, values);
    } catch (e) {
      ctx.notes.push(`internal error: the ${info.chart} chart knowledge failed on ${c.via} (${e instanceof Error ? e.message : String(e)}); its release is not analysed`);
    }
    // The object stands in the most specific values source.
    const last = [...userLayers].reverse().find((l) => l.at)?.at;
    const home = last ? { file: last.file, docIndex: last.docIndex } : { file: c.declared.file, docIndex: c.declared.docIndex };
    objects = docs.flatMap((d) => objectOf(d, id, c.group, home, values, adapter, c.declared, ctx.tree));
    if (renderCache.size > 512) renderCache.clear();
    renderCache.set(id, { docs: layers.map((l) => l.doc), info: infoKey, clusters: clusters.join(), objects });
  }
  const layerFiles = userLayers.flatMap((l) => (l.at ? [l.at.file] : []));
  return { id, root: c.chartDir ?? '', clusters, objects, files: new Set([...files, ...layerFiles]), via: c.via };
}

/** A release `helm template` rendered: its objects, with findings traced through the attribution to the values, else to the template. */
function helmUnit(c: Candidate, rendered: HelmRendered, layers: readonly ValuesLayer[], files: readonly string[], ctx: Context): Unit {
  const values = new LayeredValues(layers);
  const last = [...layers].reverse().find((l) => l.at)?.at;
  const home = last ? { file: last.file, docIndex: last.docIndex } : { file: c.declared.file, docIndex: c.declared.docIndex };
  const chartDir = c.chartDir ?? '';
  // Every traced change of the release, in a stable order (values path, then object).
  // The grants a workload's ServiceAccount is bound to come first (a finding about what the agent may read),
  // then its config, then the rest.
  const rank = (ref: string) => (/^(ClusterRole|Role|ClusterRoleBinding|RoleBinding|ServiceAccount)\//.test(ref) ? 0 : /^(ConfigMap|Secret)\//.test(ref) ? 1 : 2);
  const others = [...(rendered.attribution ?? new Map<string, NonNullable<HelmRendered['attribution']> extends ReadonlyMap<string, infer V> ? V : never>())]
    .flatMap(([r, list]) => list.map((ch) => ({ ref: r, valuesPath: ch.valuesPath })))
    .sort((a, b) => rank(a.ref) - rank(b.ref) || cmp(JSON.stringify(a.valuesPath), JSON.stringify(b.valuesPath)) || cmp(a.ref, b.ref));
  const objects = rendered.docs.flatMap(({ doc, source }) => {
    const ref = refOf(doc);
    const changes = ref ? rendered.attribution?.get(ref) : undefined;
    // `# Source: <chart>/templates/x.yaml` → the template file of this repository.
    const template = join(chartDir, source.split('/').slice(1).join('/'));
    const spot = (path: YamlPath): ValuesSpot | undefined => {
      let best: { valuesPath: YamlPath; depth: number } | undefined;
      for (const ch of changes ?? []) {
        for (const f of ch.fieldPaths) {
          const n = Math.min(f.length, path.length);
          let k = 0;
          while (k < n && f[k] === path[k]) k++;
          // The changed field is the finding's field, inside it, or holds it.
          if (k === n && (!best || k > best.depth)) best = { valuesPath: ch.valuesPath, depth: k };
        }
      }
      if (best) return { path: best.valuesPath };
      // A finding on a field the change left alone is about what changed around it: a key that changed
      // another object of the release (the ClusterRole a DaemonSet's ServiceAccount is bound to), else one
      // that changed another field of this object.
      const elsewhere = others.find((o) => o.ref !== ref);
      const here = changes?.[0];
      const pick = elsewhere?.valuesPath ?? here?.valuesPath;
      return pick ? { path: pick } : undefined;
    };
    const fallback = (path: YamlPath): ValuesPlace => ({ file: template, docIndex: 0, path: [], line: templateLine(ctx.tree, template, path) });
    return objectOfDoc(doc, c.id, c.group, home, values, spot, fallback, ctx.tree);
  });
  const layerFiles = layers.flatMap((l) => (l.at ? [l.at.file] : []));
  return { id: c.id, root: chartDir, clusters: [...c.clusters].sort(cmp), objects, files: new Set([...files, ...layerFiles, ...ctx.tree.paths.filter((p) => p.startsWith(`${chartDir}/templates/`))]), via: `${c.via} (helm template)` };
}

function refOf(doc: Record<string, unknown>): string | undefined {
  const kind = asString(doc.kind);
  const name = asString(getIn(doc, ['metadata', 'name']));
  if (!kind || !name) return undefined;
  return objectRef(kind, asString(getIn(doc, ['metadata', 'namespace'])) || null, name);
}

/** The line of a template that writes a field: the first line with the field's last key, else 1. */
function templateLine(tree: Tree, template: string, path: YamlPath): number {
  const text = tree.readFile(template);
  if (!text) return 1;
  const keys = path.filter((k): k is string => typeof k === 'string');
  for (let i = keys.length - 1; i >= 0; i--) {
    const re = new RegExp(`^\\s*-?\\s*${keys[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`, 'm');
    const m = re.exec(text);
    if (m) return text.slice(0, m.index).split('\n').length;
  }
  return 1;
}

function objectOf(d: RenderedDoc, unit: string, group: string, home: { file: string; docIndex: number }, values: LayeredValues, adapter: ChartAdapter, declared: Place, tree: Tree): KubeObject[] {
  const fallback = (): ValuesPlace => adapter.anchors.map((a) => values.origin(a)).map((o) => (o ? placeOfOrigin(o) : undefined)).find((p) => p !== undefined) ?? declared;
  return objectOfDoc(d.doc, unit, group, home, values, (path, innerLine) => d.spot(path, innerLine), fallback, tree);
}

function objectOfDoc(doc: Record<string, unknown>, unit: string, group: string, home: { file: string; docIndex: number }, values: LayeredValues, spotOf: (path: YamlPath, innerLine?: number) => ValuesSpot | undefined, fallback: (path: YamlPath) => ValuesPlace, tree: Tree): KubeObject[] {
  const apiVersion = asString(doc.apiVersion);
  const kind = asString(doc.kind);
  const name = asString(getIn(doc, ['metadata', 'name']));
  if (!apiVersion || !kind || !name) return [];
  const ns = asString(getIn(doc, ['metadata', 'namespace']));
  const namespace = ns ? ns : null;
  const places = new Map<string, Place & { innerLine?: number; embedded?: { text: string; path: YamlPath; innerLine?: number } }>();
  const lines = new Map<string, { file: string; line: number }>();
  const placeOfSpot = (path: YamlPath, innerLine?: number) => {
    const k = `${JSON.stringify(path)}#${innerLine ?? ''}`;
    let hit = places.get(k);
    if (!hit) places.set(k, (hit = valuesPlace(spotOf(path, innerLine), values) ?? fallback(path)));
    return { k, hit };
  };
  const origin = (path: YamlPath, innerLine?: number) => {
    const { hit } = placeOfSpot(path, innerLine);
    return { file: hit.file, place: JSON.stringify(hit) };
  };
  const locate = (path: YamlPath, innerLine?: number) => {
    const { k, hit } = placeOfSpot(path, innerLine);
    let line = lines.get(k);
    if (!line) lines.set(k, (line = { file: hit.file, line: lineAt(hit, tree) }));
    return line;
  };
  return [{ apiVersion, kind, name, namespace, ref: objectRef(kind, namespace, name), doc, file: home.file, docIndex: home.docIndex, docPath: [], unit, rendered: { release: unit, group, origin, locate } }];
}

type ValuesPlace = Place & { innerLine?: number; embedded?: { text: string; path: YamlPath; innerLine?: number }; line?: number };

/** Where a values spot stands: the layer that set it (undefined when only built-in defaults hold it). */
function valuesPlace(spot: ValuesSpot | undefined, values: LayeredValues): ValuesPlace | undefined {
  const origin = spot ? values.origin(spot.path) : undefined;
  if (!origin) return undefined;
  return placeOfOrigin(origin, origin.exact ? spot?.innerLine : undefined);
}

function placeOfOrigin(found: ValuesOrigin, innerLine?: number): ValuesPlace {
  const at = found.at;
  if (at.embedded) return { file: at.file, docIndex: at.docIndex, path: at.docPath, embedded: { text: at.embedded.text, path: [...at.embedded.prefix, ...found.path], ...(innerLine !== undefined ? { innerLine } : {}) } };
  return { file: at.file, docIndex: at.docIndex, path: [...at.docPath, ...found.path], ...(innerLine !== undefined ? { innerLine } : {}) };
}

/** The 1-based line of a values place. */
function lineAt(p: ValuesPlace, tree: Tree): number {
  if (p.line !== undefined) return p.line;
  if (p.embedded) {
    const inner = lineOf(p.embedded.text, 0, p.embedded.path, p.embedded.innerLine) - 1;
    return lineIn(tree, p.file, p.docIndex, p.path, inner);
  }
  return lineIn(tree, p.file, p.docIndex, p.path, p.innerLine);
}

function lineIn(tree: Tree, file: string, docIndex: number, path: YamlPath, innerLine?: number): number {
  const f = tree.files.get(file);
  if (!f) return 1;
  try {
    return lineOf(f.text, docIndex, path, innerLine, undefined, f.docs.length);
  } catch {
    return 1;
  }
}
