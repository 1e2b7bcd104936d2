/**
 * The fleet map: clusters, their node counts and rollout stages, and which clusters each file reaches.
 * Clusters come from `fleet.clusters` in the config, else from the repository layout
 * (`clusters/<name>/`, `environments/<name>/`, `envs/<name>/`, `overlays/<name>/`). A file reaches the
 * clusters whose path globs match it; a file that reaches none reaches the implicit cluster `unmapped`.
 */
import picomatch from 'picomatch';
import type { Config } from './config.js';
import type { Fleet } from './rule.js';
import { inputsDiffering } from './kustomize.js';
import { matchesSelector } from './selector.js';
import type { ChangeSet, Cluster, KubeObject, Tree } from './types.js';
import { addReleases } from './helm/releases.js';
import { resolveUnits, type ArgoClusterMatch, type KustomizeRenders, type UnitMap, type UnitReuse } from './units.js';
import type { HelmRenders } from './helm/releases.js';
import { cmp } from './util.js';

/** The implicit cluster of files no known cluster receives: production, 5,000 nodes assumed. */
export const UNMAPPED = 'unmapped';

/** Assumed node counts (RULEBOOK B.1): a pre-production cluster, and the Kubernetes scalability limit. */
export const ASSUMED_NODES = { preProduction: 100, production: 5000 } as const;

/** Inferred stages, earliest first, with the name tokens that select each (DESIGN.md "Stages"). */
export const INFERRED_STAGES: ReadonlyArray<{ stage: string; tokens: readonly string[] }> = [
  { stage: 'dev', tokens: ['dev', 'development', 'sandbox'] },
  { stage: 'test', tokens: ['test', 'testing', 'qa'] },
  { stage: 'staging', tokens: ['stage', 'staging', 'stg', 'preprod', 'uat'] },
  { stage: 'canary', tokens: ['canary', 'pilot', 'early', 'ring0'] },
  { stage: 'prod', tokens: ['prod', 'production', 'prd', 'live'] },
];

const LAYOUT_DIRS = ['clusters', 'environments', 'envs', 'overlays'];

/** The inferred stage of a cluster or stage name: token by token, the earliest stage any token names; prod when none. */
export function inferStage(name: string): { stage: string; index: number } {
  const stage = namedStage(name);
  const index = INFERRED_STAGES.findIndex((s) => s.stage === stage);
  return index >= 0 ? { stage: INFERRED_STAGES[index].stage, index } : { stage: 'prod', index: INFERRED_STAGES.length - 1 };
}

/** The inferred stage a name stands for when one of its tokens names one (`values-production` → `prod`), else undefined. */
export function namedStage(name: string): string | undefined {
  const tokens = name.toLowerCase().split(/[-_.]/);
  return INFERRED_STAGES.find((s) => s.tokens.some((t) => tokens.includes(t)))?.stage;
}

/**
 * Clusters inferred from the layout of the given trees: `clusters/<name>/…` and the like, at any depth
 * (`apps/web/overlays/prod/` and `apps/api/overlays/prod/` are both cluster `prod`).
 */
export function layoutClusters(trees: readonly Tree[]): Array<{ name: string; dirs: string[] }> {
  const found = new Map<string, Set<string>>();
  for (const tree of trees) {
    for (const p of tree.paths) {
      const parts = p.split('/');
      // A cluster directory holds files below it: `<layout dir>/<name>/<file>`.
      const i = parts.findIndex((part, j) => j + 2 < parts.length && LAYOUT_DIRS.includes(part));
      if (i < 0) continue;
      const dir = parts.slice(0, i + 2).join('/');
      let dirs = found.get(parts[i + 1]);
      if (!dirs) found.set(parts[i + 1], (dirs = new Set()));
      dirs.add(dir);
    }
  }
  return [...found].map(([name, dirs]) => ({ name, dirs: [...dirs].sort() })).sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Resolves every cluster's stage, stage index and node count. */
export function resolveClusters(config: Config, trees: readonly Tree[]): Cluster[] {
  const stages = config.rollout.stages;
  const lastIndex = stages ? stages.length - 1 : INFERRED_STAGES.length - 1;
  const make = (name: string, paths: string[], stageName: string | undefined, nodes: number | undefined, kubernetesVersion?: string): Cluster => {
    let stage: string;
    let stageIndex: number;
    if (stages) {
      // With rollout.stages, an unset stage is inferred from the name and must be one of the stages;
      // config validation already rejected an explicit stage outside them.
      const wanted = stageName ?? stages.find((s) => inferStage(name).stage === inferStage(s).stage) ?? stages[lastIndex];
      stage = wanted;
      stageIndex = stages.indexOf(wanted);
    } else {
      const inferred = inferStage(stageName ?? name);
      stage = stageName ?? inferred.stage;
      stageIndex = inferred.index;
    }
    const prod = stageIndex === lastIndex;
    return {
      name,
      nodes: nodes ?? (prod ? ASSUMED_NODES.production : ASSUMED_NODES.preProduction),
      nodesAssumed: nodes === undefined,
      stage,
      stageIndex,
      paths,
      ...(kubernetesVersion ? { kubernetesVersion } : {}),
    };
  };
  const clusters = config.fleet.clusters.length
    ? config.fleet.clusters.map((c) => make(c.name, c.paths ?? [], c.stage, c.nodes, c.kubernetesVersion))
    : layoutClusters(trees).map((c) => make(c.name, c.dirs.map((d) => `${d}/**`), undefined, undefined));
  return clusters.sort((a, b) => a.stageIndex - b.stageIndex || cmp(a.name, b.name));
}

/** The implicit cluster for files no known cluster receives. */
export function unmappedCluster(config: Config): Cluster {
  const stages = config.rollout.stages;
  return {
    name: UNMAPPED,
    nodes: ASSUMED_NODES.production,
    nodesAssumed: true,
    stage: stages ? stages[stages.length - 1] : 'prod',
    stageIndex: stages ? stages.length - 1 : INFERRED_STAGES.length - 1,
    paths: [],
    implicit: true,
  };
}

/** Matches Argo CD destinations and cluster generators against the configured clusters. */
function argoMatcher(config: Config, clusters: readonly Cluster[]): ArgoClusterMatch {
  const configured = new Map(config.fleet.clusters.map((c) => [c.name, c] as const));
  const entries = clusters.map((c) => {
    const argo = configured.get(c.name)?.argocd;
    return { cluster: c.name, name: argo?.name ?? c.name, server: argo?.server, labels: argo?.labels ?? {} };
  });
  return {
    byDestination(name, server) {
      const hit = entries.filter((e) => (name !== undefined && e.name === name) || (server !== undefined && e.server === server));
      return hit.length ? hit.map((e) => e.cluster) : undefined;
    },
    bySelector(selector) {
      return entries
        .filter((e) => matchesSelector(selector ?? {}, e.labels))
        .map((e) => ({
          cluster: e.cluster,
          params: { name: e.name, nameNormalized: e.name, server: e.server ?? '', ...Object.fromEntries(Object.entries(e.labels).map(([k, v]) => [`metadata.labels.${k}`, v])) },
        }));
    },
  };
}

/** A tree whose objects are the objects of its deployable units (what the rules see). */
export interface ResolvedTrees {
  fleet: Fleet;
  base: Tree;
  head: Tree;
  /** Notes from following units (remote bases, unrendered charts). */
  notes: string[];
  /** The deployable units and Helm releases of each side (what the renderer picks from). */
  sides: { readonly base: UnitMap; readonly head: UnitMap };
  /** Builds to hand to a second buildFleet of the same change (after rendering): unchanged units are not rebuilt. */
  reuse: UnitReuse;
}

/** Real renderings to use instead of the static builds (src/render/index.ts). */
export interface FleetRenders {
  readonly kustomize?: KustomizeRenders;
  readonly helm?: HelmRenders;
}

/**
 * Builds the fleet map for a change: clusters, the deployable units of each side, and which clusters each
 * file and object reaches. Returns the trees with their objects resolved into units.
 */
export function buildFleet(config: Config, base: Tree, head: Tree, changes?: ChangeSet, opts: { renders?: FleetRenders; reuse?: UnitReuse } = {}): ResolvedTrees {
  const clusters = resolveClusters(config, [base, head]);
  const matchers = clusters.map((c) => ({ name: c.name, match: picomatch(c.paths as string[], { dot: true }) }));
  const globClusters = (path: string) => matchers.filter((m) => m.match(path)).map((m) => m.name);
  const byName = new Map(clusters.map((c) => [c.name, c] as const));
  const unmapped = unmappedCluster(config);
  const argo = argoMatcher(config, clusters);
  // Without the change set every path counts as changed, so nothing is reused.
  const changed = new Set(changes ? changes.files.flatMap((f) => (f.oldPath ? [f.path, f.oldPath] : [f.path])) : ['']);
  const reuse: UnitReuse = opts.reuse ?? { builds: new Map(), changed, inputsDiffer: inputsDiffering(base.files, head.files), subBuilds: new Map() };
  // Helm releases (src/helm/releases.ts) join each side's units once its GitOps objects are followed.
  const withReleases = (tree: Tree) =>
    addReleases(resolveUnits(tree, clusters, argo, globClusters, reuse, opts.renders?.kustomize), tree, { clusters, argo, globClusters, stageOf: namedStage, changed, ...(opts.renders?.helm ? { helm: opts.renders.helm } : {}) });
  const head_ = withReleases(head);
  const sides = { base: withReleases(base), head: head_ };
  const memo = { base: new Map<string, readonly string[]>(), head: new Map<string, readonly string[]>() };
  const unitClusters = {
    base: new Map(sides.base.units.map((u) => [u.id, u.clusters] as const)),
    head: new Map(sides.head.units.map((u) => [u.id, u.clusters] as const)),
  };
  const clustersOfFile = (path: string, side: 'base' | 'head' = 'head'): readonly string[] => {
    let r = memo[side].get(path);
    if (!r) {
      const names = new Set([...globClusters(path), ...(sides[side].fileClusters.get(path) ?? [])]);
      r = names.size ? [...names].sort(cmp) : [UNMAPPED];
      memo[side].set(path, r);
    }
    return r;
  };
  const fleet: Fleet = {
    clusters,
    totalNodes: clusters.reduce((n, c) => n + c.nodes, 0),
    cluster: (name) => byName.get(name) ?? (name === UNMAPPED ? unmapped : undefined),
    clustersOfFile,
    clustersOfObject: (o: KubeObject, side: 'base' | 'head' = 'head') => {
      const fromUnit = unitClusters[side].get(o.unit);
      if (!fromUnit) return clustersOfFile(o.file, side);
      // A unit followed from an unmapped GitOps object can also be matched by a path glob.
      return fromUnit;
    },
    isDeployed: (path: string, side: 'base' | 'head' = 'head') => sides[side].fileClusters.has(path) || ((side === 'base' ? base : head).files.get(path)?.objects.length ?? 0) > 0,
  };
  return {
    fleet,
    base: { ...base, objects: sides.base.objects },
    head: { ...head, objects: sides.head.objects },
    notes: [...new Set([...sides.base.notes, ...sides.head.notes])],
    sides,
    reuse,
  };
}
