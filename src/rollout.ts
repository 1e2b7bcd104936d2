/**
 * What a pull request rolls out, stage by stage: the shared view of the canary family (RULEBOOK D.3,
 * DESIGN.md "Stages" and promotions). Computed once per (base, head) and shared by the canary rules.
 *
 * - A **change** is one object of one deployable unit whose content differs between base and head
 *   (`changedPairs` + `sameValue`), added, modified or deleted. Content is everything but `apiVersion`,
 *   `kind`, `metadata` and `status`, and scaling (`spec.replicas`, an HPA's `minReplicas` / `maxReplicas`,
 *   which restart no pod): a label-, annotation-, apiVersion- or scale-only edit still applies but rolls
 *   nothing, so it does not count for stages (pod-template labels and annotations are under `spec`: they
 *   count, they restart pods). An object with no content at all (a Namespace, a bare ServiceAccount)
 *   counts neither when it is added or deleted.
 * - Its **clusters** are the known clusters its unit reaches (head side; base side for a deletion). The
 *   implicit cluster `unmapped` is left out: its reach is unknown, so it is no evidence of a stage.
 * - A change is a **promotion** in one of its clusters when a known cluster of an earlier stage already
 *   runs, on the base, an object with the same `Kind/namespace/name` that holds exactly what the change
 *   brings: every path the change touches (outside `metadata`) has the head's value there (absent where the
 *   head removes it). So per-stage differences the change leaves alone (replicas, resources, an
 *   environment variable) do not hide a promotion, and commonLabels on the pod template only matter when
 *   the change touches them. For an added object, every content key must match. The earlier cluster may
 *   itself be changed by the same pull request (a release train: production takes what the canary ran
 *   while the canary moves on). A deletion is never a promotion.
 * - A change is **gated by progressive delivery** when the head of its unit holds an Argo Rollouts
 *   `Rollout` (argoproj.io) with non-empty `spec.strategy.canary.steps` that is the object itself or
 *   points at it through `spec.workloadRef`, or a Flagger `Canary` (flagger.app) whose `spec.targetRef`
 *   names it (same namespace): the controller stages the change inside each cluster and stops it on failed
 *   analysis, so the canary rules report it at most low. An Argo CD ApplicationSet with `RollingSync` and
 *   two or more ordered steps gates every object of the units its template's source path points at (the
 *   Applications sync step by step, across clusters).
 */
import { changedPairs, type ObjectPair } from './changes.js';
import { describeWorkload } from './agents/kit.js';
import { sourceFile } from './joins.js';
import { formatCount } from './load-model.js';
import type { Fleet } from './rule.js';
import type { ChangeSet, Cluster, KubeObject, Tree, YamlPath } from './types.js';
import { clusterText } from './reach.js';
import { listing } from './text.js';
import { cmp } from './util.js';
import { lineOf } from './yaml/lines.js';
import { asList, asMap, asString, getIn } from './yaml/walk.js';
import { ofKind, ofKinds } from './kinds.js';

/** Top-level keys that are not content: a change confined to them rolls nothing. */
const NOT_CONTENT = new Set(['apiVersion', 'kind', 'metadata', 'status']);

/** One changed object in one deployable unit. */
export interface RolloutChange {
  readonly pair: ObjectPair;
  /** The head object, or the base object when deleted. */
  readonly object: KubeObject;
  readonly status: 'added' | 'modified' | 'deleted';
  /** Known clusters the change lands in (fleet order). */
  readonly clusters: readonly string[];
  /** The clusters among them where the change is a promotion. */
  readonly promoted: ReadonlySet<string>;
  /** Earlier-stage clusters that already run what the change brings (fleet order). */
  readonly promotedFrom: readonly string[];
  /** `Rollout "shop/web" (4 canary steps)` when progressive delivery gates the change in its unit. */
  readonly gatedBy?: string;
}

/** The clusters of one stage a change reaches. */
export interface StageReach {
  readonly stage: string;
  readonly stageIndex: number;
  /** Smallest first (the order to roll in), then by name. */
  readonly clusters: readonly Cluster[];
  readonly nodes: number;
}

/** What a pull request rolls out. */
export interface RolloutView {
  /** Content changes that reach at least one known cluster, in source file order. */
  readonly changes: readonly RolloutChange[];
  /** Index of the last stage (production): the implicit cluster's, so configured or inferred `prod`. */
  readonly lastStage: number;
  /** Known clusters of the last stage (fleet order). */
  readonly prod: readonly Cluster[];
  /** Known clusters of earlier stages (fleet order). */
  readonly earlier: readonly Cluster[];
}

const cache = new WeakMap<Tree, WeakMap<Tree, { fleet: Fleet; view: RolloutView }>>();

/** The rollout view of a change (cached per base and head tree). */
export function rolloutOf(ctx: { base: Tree; head: Tree; fleet: Fleet }): RolloutView {
  let byHead = cache.get(ctx.base);
  if (!byHead) cache.set(ctx.base, (byHead = new WeakMap()));
  const hit = byHead.get(ctx.head);
  if (hit && hit.fleet === ctx.fleet) return hit.view;
  const view = compute(ctx.base, ctx.head, ctx.fleet);
  byHead.set(ctx.head, { fleet: ctx.fleet, view });
  return view;
}

function compute(base: Tree, head: Tree, fleet: Fleet): RolloutView {
  const known = fleet.clusters.filter((c) => !c.implicit);
  const lastStage = fleet.cluster('unmapped')?.stageIndex ?? Math.max(-1, ...known.map((c) => c.stageIndex));
  const byName = new Map(known.map((c) => [c.name, c] as const));
  const order = new Map(known.map((c, i) => [c.name, i] as const));
  const inFleetOrder = (names: Iterable<string>) => [...new Set(names)].filter((n) => byName.has(n)).sort((a, b) => order.get(a)! - order.get(b)!);

  const raw: Array<{ pair: ObjectPair; object: KubeObject; status: RolloutChange['status']; clusters: string[] }> = [];
  for (const pair of changedPairs(base, head)) {
    const status = !pair.base ? 'added' : !pair.head ? 'deleted' : 'modified';
    if (!changesContent(pair)) continue;
    const object = (pair.head ?? pair.base)!;
    const clusters = inFleetOrder(fleet.clustersOfObject(object, pair.head ? 'head' : 'base'));
    if (clusters.length === 0) continue;
    raw.push({ pair, object, status, clusters });
  }

  // Base objects of the changed refs, for promotions: one pass, a string lookup per object.
  const refs = new Set(raw.filter((r) => r.pair.head && r.clusters.some((c) => byName.get(c)!.stageIndex > 0)).map((r) => r.pair.ref));
  const baseByRef = new Map<string, Array<{ object: KubeObject; earliest: number; clusters: string[] }>>();
  if (refs.size > 0) {
    const kinds = new Set(raw.filter((r) => refs.has(r.pair.ref)).map((r) => r.object.kind));
    for (const b of ofKinds(base.objects, kinds)) {
      if (!refs.has(b.ref)) continue;
      const clusters = inFleetOrder(fleet.clustersOfObject(b, 'base'));
      if (clusters.length === 0) continue;
      const earliest = Math.min(...clusters.map((c) => byName.get(c)!.stageIndex));
      (baseByRef.get(b.ref) ?? baseByRef.set(b.ref, []).get(b.ref)!).push({ object: b, earliest, clusters });
    }
  }

  const gates = new Map<string, Map<string, string>>();
  const changes: RolloutChange[] = raw.map(({ pair, object, status, clusters }) => {
    const promoted = new Set<string>();
    const from = new Set<string>();
    if (pair.head) {
      const paths = pair.base ? touchedPaths(pair.base.doc, pair.head.doc) : undefined;
      for (const cand of baseByRef.get(pair.ref) ?? []) {
        if (cand.object === pair.base) continue;
        const latest = Math.max(...clusters.map((c) => byName.get(c)!.stageIndex));
        if (cand.earliest >= latest) continue;
        if (pair.base) {
          if (!paths || !paths.every((p) => sameAt(cand.object.doc, pair.head!.doc, p))) continue;
        } else {
          // Added here: what the earlier stage runs, but for its scale (replicas, HPA bounds).
          const diff = touchedPaths(cand.object.doc, pair.head.doc);
          if (!diff || diff.some((p) => !isScalePath(pair.head!.kind, p))) continue;
        }
        for (const c of clusters) {
          const stage = byName.get(c)!.stageIndex;
          const earlier = cand.clusters.filter((x) => byName.get(x)!.stageIndex < stage);
          if (earlier.length === 0) continue;
          promoted.add(c);
          earlier.forEach((x) => from.add(x));
        }
      }
    }
    const gatedBy = pair.head ? (gateOf(head, pair.head, gates) ?? syncGateOf(head, pair.head)) : undefined;
    return { pair, object, status, clusters, promoted, promotedFrom: inFleetOrder(from), ...(gatedBy ? { gatedBy } : {}) };
  });
  changes.sort((a, b) => cmp(sourceFile(a.object), sourceFile(b.object)) || (a.object.source ?? a.object).docIndex - (b.object.source ?? b.object).docIndex || cmp(a.object.unit, b.object.unit));

  return {
    changes,
    lastStage,
    prod: known.filter((c) => c.stageIndex === lastStage),
    earlier: known.filter((c) => c.stageIndex < lastStage),
  };
}

/** True when the pair's content (outside apiVersion, kind, metadata, status) differs, or an object with content comes or goes. */
function changesContent(pair: ObjectPair): boolean {
  const b = pair.base?.doc;
  const h = pair.head?.doc;
  if (!b || !h) return Object.keys((b ?? h)!).some((k) => !NOT_CONTENT.has(k));
  if (b === h) return false;
  const paths = touchedPaths(b, h);
  if (paths === undefined) return true;
  // Scaling (spec.replicas; an HPA's bounds) starts or stops pods of the same template and restarts none:
  // not a change a stage has to prove.
  return paths.some((p) => !isScalePath(pair.head!.kind, p));
}

/** `spec.replicas` of a workload, `spec.minReplicas` / `spec.maxReplicas` of a HorizontalPodAutoscaler. */
function isScalePath(kind: string, path: YamlPath): boolean {
  if (path.length !== 2 || path[0] !== 'spec') return false;
  if (kind === 'HorizontalPodAutoscaler') return path[1] === 'minReplicas' || path[1] === 'maxReplicas';
  return path[1] === 'replicas';
}

/** Nodes visited at most when listing touched paths (an alias bomb is "not comparable"). */
const PATH_BUDGET = 200_000;
const MAX_DEPTH = 64;

/**
 * The content paths where two documents differ (deepest mapping keys and list items of equal-length
 * lists; a list whose length changes is one path). For an added object (`base` undefined): each content
 * key. Undefined past the budget.
 */
export function touchedPaths(base: Record<string, unknown> | undefined, head: Record<string, unknown>): YamlPath[] | undefined {
  const out: YamlPath[] = [];
  let budget = PATH_BUDGET;
  const go = (a: unknown, b: unknown, path: Array<string | number>): boolean => {
    if (a === b) return true;
    if (--budget < 0 || path.length > MAX_DEPTH) return false;
    const am = asMap(a);
    const bm = asMap(b);
    if (am && bm && !(a instanceof Date) && !(b instanceof Date)) {
      for (const k of new Set([...Object.keys(am), ...Object.keys(bm)])) {
        if (path.length === 0 && NOT_CONTENT.has(k)) continue;
        if (!go(getIn(am, [k]), getIn(bm, [k]), [...path, k])) return false;
      }
      return true;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      // Lists of named items (containers, env, ports, volumes …) are matched by name, as Kubernetes merges
      // them: an entry added to a list that keeps the others is one path, whatever their order.
      const an = namedItems(a);
      const bn = namedItems(b);
      if (an && bn) {
        for (const n of new Set([...an.keys(), ...bn.keys()])) if (!go(an.get(n), bn.get(n), [...path, nameSegment(n)])) return false;
        return true;
      }
      if (a.length === b.length) {
        for (let i = 0; i < a.length; i++) if (!go(a[i], b[i], [...path, i])) return false;
        return true;
      }
    }
    if (scalarEqual(a, b)) return true;
    out.push(path);
    return true;
  };
  return go(base ?? {}, head, []) ? out : undefined;
}

function scalarEqual(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
}

/** True when `path` holds the same value in both documents (both absent counts as the same). */
/** A list's items by their string `name` when every item is a mapping with a unique one; else undefined. */
function namedItems(list: readonly unknown[]): Map<string, unknown> | undefined {
  if (list.length === 0) return undefined;
  const out = new Map<string, unknown>();
  for (const item of list) {
    const name = asString(asMap(item)?.name);
    if (name === undefined || out.has(name)) return undefined;
    out.set(name, item);
  }
  return out;
}

/** The path segment of a named list item: `[name=FOO]`. */
const nameSegment = (name: string) => `[name=${name}]`;

/** `getIn` that also follows `[name=FOO]` segments into lists of named items. */
function getAt(value: unknown, path: YamlPath): unknown {
  let cur: unknown = value;
  for (const step of path) {
    if (typeof step === 'string' && step.startsWith('[name=') && step.endsWith(']') && Array.isArray(cur)) {
      const name = step.slice(6, -1);
      cur = cur.find((item) => asString(asMap(item)?.name) === name);
    } else {
      cur = getIn(cur, [step]);
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}

function sameAt(a: Record<string, unknown>, b: Record<string, unknown>, path: YamlPath): boolean {
  const x = getAt(a, path);
  const y = getAt(b, path);
  if (x === undefined || y === undefined) return x === y;
  const p = touchedPaths({ v: x }, { v: y });
  return p !== undefined && p.length === 0;
}

/** The progressive-delivery object that gates `o` in its unit on the head, described, or undefined. */
function gateOf(head: Tree, o: KubeObject, cache: Map<string, Map<string, string>>): string | undefined {
  let gates = cache.get(o.unit);
  if (!gates) {
    cache.set(o.unit, (gates = new Map()));
    for (const g of ofKinds(head.objects, ['Rollout', 'Canary'])) {
      if (g.unit !== o.unit) continue;
      const group = g.apiVersion.split('/')[0];
      const spec = asMap(g.doc.spec);
      if (g.kind === 'Rollout' && group === 'argoproj.io') {
        const steps = asList(getIn(spec, ['strategy', 'canary', 'steps'])).length;
        if (steps === 0) continue;
        const what = `Argo Rollouts ${describeWorkload(g)} (${steps} canary step${steps === 1 ? '' : 's'})`;
        gates.set(gateKey('Rollout', g.namespace, g.name), what);
        const ref = asMap(spec?.workloadRef);
        const kind = asString(ref?.kind);
        const name = asString(ref?.name);
        if (kind && name) gates.set(gateKey(kind, g.namespace, name), what);
      } else if (g.kind === 'Canary' && group === 'flagger.app') {
        const ref = asMap(spec?.targetRef);
        const kind = asString(ref?.kind);
        const name = asString(ref?.name);
        if (kind && name) gates.set(gateKey(kind, g.namespace, name), `Flagger Canary ${quoteName(g)}`);
      }
    }
  }
  return gates.get(gateKey(o.kind, o.namespace, o.name));
}

const gateKey = (kind: string, ns: string | null, name: string) => `${kind}\u0000${ns ?? ''}\u0000${name}`;

/** A RollingSync ApplicationSet: the unit roots its template can point at, and how to name it. */
interface SyncGate {
  readonly path: RegExp;
  readonly what: string;
}
const syncGates = new WeakMap<readonly KubeObject[], SyncGate[]>();

/**
 * Argo CD ApplicationSets (any unit of the head) with `spec.strategy.type: RollingSync` and two or more
 * ordered steps that select something (each with `matchExpressions`): the Applications they generate sync
 * step by step, so the objects of the units their template's source path points at are gated. A templated
 * path (`apps/{{name}}`, `{{.path.path}}`) matches any unit root of that shape.
 */
function rollingSyncGates(head: Tree): SyncGate[] {
  let gates = syncGates.get(head.objects);
  if (gates) return gates;
  gates = [];
  for (const a of ofKind(head.objects, 'ApplicationSet')) {
    if (!a.apiVersion.startsWith('argoproj.io/')) continue;
    const spec = asMap(a.doc.spec);
    if (asString(getIn(spec, ['strategy', 'type'])) !== 'RollingSync') continue;
    const steps = asList(getIn(spec, ['strategy', 'rollingSync', 'steps'])).filter((st) => asList(asMap(st)?.matchExpressions).length > 0);
    if (steps.length < 2) continue;
    const source = asMap(getIn(spec, ['template', 'spec']));
    const paths = [asString(getIn(source, ['source', 'path'])), ...asList(source?.sources).map((x) => asString(asMap(x)?.path))];
    for (const raw of paths) {
      if (!raw) continue;
      const norm = raw.replace(/^\.\/+/, '').replace(/\/+$/, '');
      const pattern = norm
        .split(/(\{\{[^}]*\}\})/)
        .map((part) => (part.startsWith('{{') ? '.+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('');
      gates.push({ path: new RegExp(`^${pattern}$`), what: `Argo CD ApplicationSet ${quoteName(a)} (RollingSync, ${steps.length} steps)` });
    }
  }
  syncGates.set(head.objects, gates);
  return gates;
}

/** The RollingSync ApplicationSet whose Applications deploy `o`'s unit, described, or undefined. */
function syncGateOf(head: Tree, o: KubeObject): string | undefined {
  const gates = rollingSyncGates(head);
  return gates.length === 0 ? undefined : gates.find((g) => g.path.test(o.unit))?.what;
}
const quoteName = (o: KubeObject) => JSON.stringify(o.namespace ? `${o.namespace}/${o.name}` : o.name);

/**
 * The changes grouped by object (`Kind/namespace/name`, every unit and file together), with the stages
 * the object's live clusters span: the stages rules judge each object, so an unrelated production hotfix in
 * the same pull request as a canary change is not "both stages at once".
 */
export function stagesByObject(fleet: Fleet, changes: readonly RolloutChange[]): Map<string, { changes: RolloutChange[]; stages: number }> {
  const out = new Map<string, { changes: RolloutChange[]; stages: number }>();
  for (const c of changes) {
    const e = out.get(c.object.ref) ?? out.set(c.object.ref, { changes: [], stages: 0 }).get(c.object.ref)!;
    e.changes.push(c);
  }
  for (const e of out.values()) e.stages = stagesOf(fleet, e.changes.flatMap(liveClusters)).length;
  return out;
}

/** The progressive-delivery objects gating some of the changes, listed (`Argo Rollouts Rollout "shop/web" … and …`). */
export function gatesText(changes: readonly RolloutChange[]): string {
  return listing([...new Set(changes.flatMap((c) => (c.gatedBy ? [c.gatedBy] : [])))].sort(cmp));
}

/** The clusters of a change that count: those where it is not a promotion. */
export function liveClusters(c: RolloutChange): string[] {
  return c.clusters.filter((n) => !c.promoted.has(n));
}

/** The given clusters grouped by stage, earliest stage first, smallest cluster first inside a stage. */
export function stagesOf(fleet: Fleet, names: Iterable<string>): StageReach[] {
  const wanted = new Set(names);
  const byStage = new Map<number, Cluster[]>();
  for (const c of fleet.clusters) {
    if (c.implicit || !wanted.has(c.name)) continue;
    (byStage.get(c.stageIndex) ?? byStage.set(c.stageIndex, []).get(c.stageIndex)!).push(c);
  }
  return [...byStage.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([stageIndex, clusters]) => {
      const sorted = [...clusters].sort((a, b) => a.nodes - b.nodes || cmp(a.name, b.name));
      return { stage: sorted[0].stage, stageIndex, clusters: sorted, nodes: sorted.reduce((n, c) => n + c.nodes, 0) };
    });
}

/** `1 node`, `8,060 nodes (partly assumed)` for clusters. */
export function nodesOf(clusters: readonly Cluster[]): string {
  const n = clusters.reduce((s, c) => s + c.nodes, 0);
  const assumed = clusters.length && clusters.every((c) => c.nodesAssumed) ? ' (assumed)' : clusters.some((c) => c.nodesAssumed) ? ' (partly assumed)' : '';
  return `${formatCount(n)} node${n === 1 ? '' : 's'}${assumed}`;
}

/** `stage "canary": canary-1 (60); stage "prod": prod-eu (3,200), prod-us (4,800)`. */
export function stagesText(stages: readonly StageReach[]): string {
  return stages.map((s) => `stage ${JSON.stringify(s.stage)}: ${s.clusters.map(clusterText).join(', ')}`).join('; ');
}

/**
 * The changed objects behind a finding, once per `Kind/namespace/name` (copies across units are one):
 * `Deployment "shop/web"`, `ConfigMap "shop/flags" (added)` up to `max`, then `and N more`.
 */
export function objectsText(changes: readonly RolloutChange[], max = 4): string {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const c of changes) {
    const id = c.object.ref;
    if (seen.has(id)) continue;
    seen.add(id);
    names.push(`${describeWorkload(c.object)}${c.status === 'modified' ? '' : ` (${c.status})`}`);
  }
  if (names.length <= max) return listing(names);
  return listing([...names.slice(0, max), `${names.length - max} more`]);
}

/**
 * Where a finding about the change as a whole points: the first of its changed objects whose file the
 * pull request edits (at the object's `metadata.name`), else the first edited file that reaches one of its
 * clusters (an overlay's kustomization: line 1), else the first object's file.
 */
export function anchorOf(changes: readonly RolloutChange[], clusters: readonly string[], trees: { base: Tree; head: Tree; fleet: Fleet; changes: ChangeSet }): { file: string; line: number } {
  // Prefer an object the head has, in a file the pull request edits and keeps (a deleted file has no line a
  // pull request view can show); else a deleted object, at its line on the base (DESIGN.md).
  const kept = new Set(trees.changes.files.filter((f) => f.status !== 'deleted').map((f) => f.path));
  const edited = new Set(trees.changes.files.map((f) => f.path));
  const fileOf = (c: RolloutChange) => (c.object.source ?? c.object).file;
  const present = changes.filter((c) => c.pair.head && kept.has(fileOf(c)));
  const candidates = present.length > 0 ? present : changes.filter((c) => !c.pair.head && edited.has(fileOf(c)));
  for (const c of candidates) {
    const o = c.object.source ?? c.object;
    if (o.generated) return { file: o.file, line: 1 };
    const tree = c.pair.head ? trees.head : trees.base;
    const file = tree.files.get(o.file);
    if (!file) return { file: o.file, line: 1 };
    const identify = (doc: unknown) => {
      const d = asMap(doc);
      return asString(d?.kind) === o.kind && asString(asMap(d?.metadata)?.name) === o.name;
    };
    let line = 1;
    try {
      line = lineOf(file.text, o.docIndex, [...o.docPath, 'metadata', 'name'], undefined, o.docPath.length ? undefined : identify, file.docs.length);
    } catch {
      line = 1;
    }
    return { file: o.file, line };
  }
  const wanted = new Set(clusters);
  for (const f of trees.changes.files) {
    if (f.status === 'deleted') continue;
    if (trees.fleet.clustersOfFile(f.path, 'head').some((c) => wanted.has(c))) return { file: f.path, line: 1 };
  }
  const first = changes[0]?.object;
  return { file: first ? sourceFile(first) : (trees.changes.files[0]?.path ?? '.'), line: 1 };
}
