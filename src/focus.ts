/**
 * Incremental judging (issue 11): a state rule that declares `focus` (src/rule.ts) is handed, on both
 * sides, only the objects a change can move its findings about. The report stays what judging everything
 * gives (a head finding is new only when no base finding covers it, so a subject whose inputs are the same
 * on both sides makes no new finding); judging everything remains available (`incremental: false`) and the
 * fuzzer compares the two on every input.
 *
 * An object is **changed** when its unit's copy differs between the sides: added, deleted, edited (its
 * parsed document is not structurally equal to the base's, or it moved to another file), built or rendered
 * anew (a rendered object is never compared by content: its lines come from values files), one of several
 * of the same `Kind/namespace/name` in its unit, or reaching other clusters (its unit's, or for an object
 * outside every unit its file's, which an Argo CD Application or Helm release reading the file can move).
 * For a rule with subject kinds S (and context kinds C, else every other kind):
 * - a unit in which a changed object of a context kind sits has all its subjects judged;
 * - otherwise only its changed subjects are;
 * - copies of a judged subject elsewhere (same source, or same `Kind/namespace/name`) are judged too, since
 *   rules judge copies together over all their clusters (and `meta.after` consumers look findings up by
 *   resource);
 * - a judged subject's unit keeps its context objects; a unit without a judged subject is left out.
 *
 * Rules linked by `meta.after` read each other's findings (`ctx.prior`), so they are planned together
 * ({@link focusGroups}): one set of judged subjects for the group (each member's spec applied to the change), so a consumer sees the
 * producer's findings on every subject it judges, and judges every subject whose producer findings may
 * have changed. A rule whose findings a state rule without `focus` reads is judged in full. (Change rules
 * read `prior` only about objects the change edits, adds, deletes or brings to other clusters: changed,
 * so always judged.)
 */
import { sameValue, unsharedObjects } from './changes.js';
import type { FocusSpec, Rule, StateRule } from './rule.js';
import type { KubeObject, Tree } from './types.js';
import type { UnitMap } from './units.js';
import { kindsOf, ofKinds, select } from './kinds.js';

export interface FocusPlanner {
  /** The two trees a rule with this focus is handed (cached per plan and spec). */
  view(focus: RuleFocus): { base: Tree; head: Tree };
}

function sameClusters(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
}

/** Same file, structurally equal document, neither rendered: the copies judge the same. */
function settled(b: KubeObject, h: KubeObject): boolean {
  if (b.rendered || h.rendered) return false;
  return b.file === h.file && b.kind === h.kind && b.apiVersion === h.apiVersion && sameValue(b.doc, h.doc);
}

/**
 * Plans the focused views of one change. `sides` (the units of each side, and the clusters each file
 * reaches through them) tells which objects reach other clusters on the head.
 */
export function focusPlanner(base: Tree, head: Tree, sides: { readonly base: UnitMap; readonly head: UnitMap }): FocusPlanner {
  // Changed objects, both sides (computed once for every rule).
  let changed: KubeObject[] | undefined;
  const changedObjects = (): KubeObject[] => {
    if (changed) return changed;
    const listed = new Set([...sides.base.units, ...sides.head.units].map((u) => u.id));
    const baseUnits = new Map(sides.base.units.map((u) => [u.id, u] as const));
    const moved = new Set<string>();
    for (const u of sides.head.units) {
      const b = baseUnits.get(u.id);
      if (b && b.clusters.join() !== u.clusters.join()) moved.add(u.id);
    }
    // An object outside every listed unit (unit `.`) reaches the clusters of its file: its path globs (the
    // same on both sides) and the units and releases that read the file (`fileClusters`), which an Argo CD
    // Application or a Helm release reading that file can change.
    const movedFiles = new Set<string>();
    for (const [a, b] of [[sides.base.fileClusters, sides.head.fileClusters], [sides.head.fileClusters, sides.base.fileClusters]] as const) {
      for (const [path, clusters] of a) if (!sameClusters(clusters, b.get(path) ?? [])) movedFiles.add(path);
    }
    const reachMoved = (o: KubeObject): boolean => (listed.has(o.unit) ? moved.has(o.unit) : movedFiles.has(o.file));
    const out: KubeObject[] = [];
    // Objects the sides do not share, by unit and name: one on each side that judge the same is settled;
    // anything else (added, deleted, edited, duplicated) is changed.
    const unshared = unsharedObjects(base, head);
    const id = (o: KubeObject) => `${o.unit}\u0000${o.ref}`;
    const olds = new Map<string, KubeObject[]>();
    const news = new Map<string, KubeObject[]>();
    for (const o of unshared.base) (olds.get(id(o)) ?? olds.set(id(o), []).get(id(o))!).push(o);
    for (const o of unshared.head) (news.get(id(o)) ?? news.set(id(o), []).get(id(o))!).push(o);
    for (const [k, hs] of news) {
      const bs = olds.get(k);
      if (bs?.length === 1 && hs.length === 1 && settled(bs[0], hs[0]) && !reachMoved(hs[0]) && !reachMoved(bs[0])) continue;
      out.push(...hs, ...(bs ?? []));
    }
    for (const [k, bs] of olds) if (!news.has(k)) out.push(...bs);
    // The same object on both sides, reaching other clusters.
    if (moved.size || movedFiles.size) {
      const unsharedHead = new Set(unshared.head);
      for (const o of head.objects) if (reachMoved(o) && !unsharedHead.has(o)) out.push(o);
    }
    return (changed = out);
  };

  const specId = (spec: FocusSpec) => `${[...spec.subjects].sort().join()}|${spec.context ? [...spec.context].sort().join() : '*'}`;
  const groupId = (group: readonly FocusSpec[]) => group.map(specId).sort().join('&');
  const plans = new Map<string, Set<KubeObject>>();
  const views = new Map<string, { base: Tree; head: Tree }>();
  return {
    view({ group, own }) {
      const id = `${groupId(group)}#${specId(own)}`;
      let v = views.get(id);
      if (!v) {
        let judged = plans.get(groupId(group));
        if (!judged) plans.set(groupId(group), (judged = judge(group)));
        views.set(id, (v = restrictTo(judged, own)));
      }
      return v;
    },
  };

  /** The subjects a group judges: for each member, what the changed objects make it judge. */
  function judge(members: readonly FocusSpec[]): Set<KubeObject> {
    const subjects = new Set(members.flatMap((m) => m.subjects));
    const refs = new Set<string>();
    const sources = new Set<KubeObject>();
    const wholeUnits = new Set<string>();
    const readers = members.map((m) => ({ subjects: new Set(m.subjects), context: m.context ? new Set(m.context) : undefined }));
    for (const o of changedObjects()) {
      for (const m of readers) {
        if (m.subjects.has(o.kind)) {
          refs.add(o.ref);
          sources.add(o.source ?? o);
        } else if (!m.context || m.context.has(o.kind)) wholeUnits.add(o.unit);
      }
    }
    // Copies by name or by source are of the same kind: a kind with no changed subject and no whole unit
    // has nothing to judge.
    const scanned = wholeUnits.size ? subjects : new Set(changedObjects().map((o) => o.kind).filter((k) => subjects.has(k)));
    const candidates = [...ofKinds(head.objects, scanned), ...ofKinds(base.objects, scanned)];
    // Judged subjects, grown until copies (by source or by ref) of every judged subject are in.
    const judged = new Set<KubeObject>();
    for (let grew = true; grew; ) {
      grew = false;
      for (const o of candidates) {
        if (judged.has(o)) continue;
        const source = o.source ?? o;
        if (!wholeUnits.has(o.unit) && !refs.has(o.ref) && !sources.has(source)) continue;
        judged.add(o);
        if (!refs.has(o.ref)) (refs.add(o.ref), (grew = true));
        if (!sources.has(source)) (sources.add(source), (grew = true));
      }
    }
    return judged;
  }

  /** The trees a rule with spec `spec` sees when `judged` are the subjects judged. */
  function restrictTo(judged: ReadonlySet<KubeObject>, spec: FocusSpec): { base: Tree; head: Tree } {
    const subjects = new Set(spec.subjects);
    const context = spec.context ? new Set(spec.context) : undefined;
    const isContext = (kind: string) => !subjects.has(kind) && (!context || context.has(kind));
    const units = new Set<string>();
    for (const o of judged) units.add(o.unit);
    const restrict = (t: Tree): Tree => {
      if (units.size === 0) return { ...t, objects: [] };
      // The kept objects in the tree's order (rules see them as they would see the whole tree). Context
      // kinds are taken whole when every unit is in (a change to a base all clusters share): context objects
      // of a unit without a judged subject are never read, so taking them is only slower, never different.
      const everyUnit = units.size >= sides[t.side].units.length;
      const kinds = context ? [...subjects, ...context] : [...kindsOf(t.objects).keys()].filter((k) => subjects.has(k) || isContext(k));
      const whole = new Set(everyUnit ? kinds.filter((k) => !subjects.has(k)) : []);
      return { ...t, objects: select(t.objects, kinds, (o) => (subjects.has(o.kind) ? judged.has(o) : units.has(o.unit)), whole) };
    };
    return { base: restrict(base), head: restrict(head) };
  }
}

/** What the engine hands a focused rule: the plan of its group, and its own spec. */
export interface RuleFocus {
  /** The specs of the rule's group (itself, and the rules linked to it by `meta.after`). */
  readonly group: readonly FocusSpec[];
  readonly own: FocusSpec;
}

/** The focus each state rule is judged with (absent: in full), see the module comment. */
export function focusGroups(rules: readonly Rule[]): Map<Rule, RuleFocus> {
  const state = rules.filter((r): r is StateRule => r.meta.type === 'state');
  const names = (r: Rule) => [r.meta.id, r.meta.family];
  const reads = (c: Rule, p: Rule) => c !== p && (c.meta.after ?? []).some((a) => names(p).includes(a));
  const consumers = new Map(state.map((p) => [p, state.filter((c) => reads(c, p))] as const));
  const producers = new Map(state.map((c) => [c, state.filter((p) => reads(c, p))] as const));
  const focusable = new Set(state.filter((r) => r.focus && producers.get(r)!.every((p) => p.focus)));
  for (let changed = true; changed; ) {
    changed = false;
    for (const r of focusable) {
      if (consumers.get(r)!.every((c) => focusable.has(c))) continue;
      focusable.delete(r);
      changed = true;
    }
  }
  // Groups: rules with a spec linked by `meta.after`, planned from the union of their specs.
  const out = new Map<Rule, RuleFocus>();
  const seen = new Set<StateRule>();
  for (const start of state) {
    if (!start.focus || seen.has(start)) continue;
    const group: StateRule[] = [];
    const queue = [start];
    while (queue.length) {
      const r = queue.pop()!;
      if (seen.has(r) || !r.focus) continue;
      seen.add(r);
      group.push(r);
      queue.push(...consumers.get(r)!, ...producers.get(r)!);
    }
    const specs = group.map((r) => r.focus!);
    for (const r of group) if (focusable.has(r)) out.set(r, { group: specs, own: r.focus! });
  }
  return out;
}
