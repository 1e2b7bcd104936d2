/**
 * A tree's objects by kind, indexed once per objects array (issue 11). A fleet repository resolves to
 * hundreds of thousands of unit objects; a rule that reads three kinds walks those kinds' lists instead of
 * every object. Lists keep the tree's order (path, then document), so a rule sees the same objects in the
 * same order as a scan of the whole tree would give it.
 */
import type { KubeObject } from './types.js';

interface KindIndex {
  readonly byKind: Map<string, KubeObject[]>;
  readonly merged: Map<string, readonly KubeObject[]>;
}
const indexes = new WeakMap<readonly KubeObject[], KindIndex>();
const NONE: readonly KubeObject[] = [];

function indexOf(objects: readonly KubeObject[]): KindIndex {
  let index = indexes.get(objects);
  if (!index) {
    const byKind: KindIndex['byKind'] = new Map();
    const segments = parts.get(objects);
    if (segments) {
      // Joined from the index of each unit: a unit the change left alone is one array on both sides, indexed once.
      for (const s of segments) {
        for (const [kind, list] of indexOf(s).byKind) {
          const all = byKind.get(kind);
          if (all) for (let i = 0; i < list.length; i++) all.push(list[i]);
          else byKind.set(kind, list.slice());
        }
      }
      indexes.set(objects, (index = { byKind, merged: new Map() }));
      return index;
    }
    for (let i = 0; i < objects.length; i++) {
      const o = objects[i];
      const list = byKind.get(o.kind);
      if (list) list.push(o);
      else byKind.set(o.kind, [o]);
    }
    indexes.set(objects, (index = { byKind, merged: new Map() }));
  }
  return index;
}

/** The objects of one kind, in tree order. */
export function ofKind(objects: readonly KubeObject[], kind: string): readonly KubeObject[] {
  return indexOf(objects).byKind.get(kind) ?? NONE;
}

/** The objects of any of `kinds`, in tree order (cached per objects array and set of kinds). */
export function ofKinds(objects: readonly KubeObject[], kinds: Iterable<string>): readonly KubeObject[] {
  const index = indexOf(objects);
  const wanted = [...new Set(kinds)].filter((k) => index.byKind.has(k)).sort();
  if (wanted.length === 0) return NONE;
  if (wanted.length === 1) return index.byKind.get(wanted[0])!;
  const key = wanted.join('\u0000');
  let list = index.merged.get(key);
  if (!list) index.merged.set(key, (list = inOrder(objects, new Set(wanted), () => true)));
  return list;
}

/** Every kind present, with its objects (tree order within a kind). */
export function kindsOf(objects: readonly KubeObject[]): ReadonlyMap<string, readonly KubeObject[]> {
  return new Map(indexOf(objects).byKind);
}

const parts = new WeakMap<readonly KubeObject[], ReadonlyArray<readonly KubeObject[]>>();

/**
 * Records that `objects` is the concatenation of `segments` (the objects of each deployable unit, then the
 * rest): a unit built the same on both sides of a change is one array on both, which lets a comparison of
 * the sides skip it whole (src/changes.ts). Returns `objects`.
 */
export function withSegments(objects: readonly KubeObject[], segments: ReadonlyArray<readonly KubeObject[]>): readonly KubeObject[] {
  parts.set(objects, segments);
  return objects;
}

/** The segments recorded for `objects` (see {@link withSegments}), if any. */
export function segmentsOf(objects: readonly KubeObject[]): ReadonlyArray<readonly KubeObject[]> | undefined {
  return parts.get(objects);
}

const byUnit = new WeakMap<readonly KubeObject[], Map<string, Map<string, KubeObject[]>>>();
/** The objects of one kind in one unit, in tree order. */
export function ofKindInUnit(objects: readonly KubeObject[], kind: string, unit: string): readonly KubeObject[] {
  let perKind = byUnit.get(objects);
  if (!perKind) byUnit.set(objects, (perKind = new Map()));
  let units = perKind.get(kind);
  if (!units) {
    perKind.set(kind, (units = new Map()));
    for (const o of ofKind(objects, kind)) (units.get(o.unit) ?? units.set(o.unit, []).get(o.unit)!).push(o);
  }
  return units.get(unit) ?? NONE;
}

/**
 * The objects of `kinds` that `keep` accepts, in tree order; kinds in `whole` are taken without a look.
 * (A focused rule's view, src/focus.ts: the judged subjects, and the context objects of their units.)
 */
export function select(objects: readonly KubeObject[], kinds: Iterable<string>, keep: (o: KubeObject) => boolean, whole: ReadonlySet<string> = new Set()): KubeObject[] {
  const index = indexOf(objects);
  const present = [...new Set(kinds)].filter((k) => index.byKind.has(k));
  if (present.length === 1) {
    const list = index.byKind.get(present[0])!;
    return whole.has(present[0]) ? [...list] : list.filter(keep);
  }
  return present.length ? inOrder(objects, new Set(present), (o) => whole.has(o.kind) || keep(o)) : [];
}

/**
 * The objects of `kinds` that `keep` accepts, in one pass over the whole array (tree order for free: a
 * merge of the kinds' lists would need every object's position, kept for every object of every index).
 */
function inOrder(objects: readonly KubeObject[], kinds: ReadonlySet<string>, keep: (o: KubeObject) => boolean): KubeObject[] {
  const out: KubeObject[] = [];
  for (let i = 0; i < objects.length; i++) {
    const o = objects[i];
    if (kinds.has(o.kind) && keep(o)) out.push(o);
  }
  return out;
}
