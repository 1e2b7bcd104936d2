/**
 * What a change did to objects, for change rules: each object paired with its counterpart on the other
 * side (same deployable unit, same `Kind/namespace/name`), and alias-safe structural equality of parsed
 * YAML, so a rule can tell an edit from a comment-only or whitespace-only change.
 */
import type { KubeObject, RawFinding, Severity, Tree, YamlPath } from './types.js';
import { segmentsOf } from './kinds.js';

/** An object of one unit on both sides: `base` absent when added, `head` absent when deleted. */
export interface ObjectPair {
  readonly unit: string;
  readonly ref: string;
  readonly base?: KubeObject;
  readonly head?: KubeObject;
}

const changedCache = new WeakMap<Tree, WeakMap<Tree, ObjectPair[]>>();

/**
 * The pairs whose two sides are not the very same object: an object of a file and unit that the change
 * left alone is shared by both trees, so it is skipped without a look at its content. What remains may
 * still be equal in content (an overlay rebuilt because another file of it changed): compare with
 * {@link sameValue}. Added and deleted objects are included. With `kinds`, only pairs of those kinds.
 */
export function changedPairs(base: Tree, head: Tree, kinds?: ReadonlySet<string>): ObjectPair[] {
  const all = allChangedPairs(base, head);
  return kinds ? all.filter((p) => kinds.has((p.head ?? p.base)!.kind)) : all;
}

const unsharedCache = new WeakMap<Tree, WeakMap<Tree, { base: KubeObject[]; head: KubeObject[] }>>();

/**
 * Every object of each side that the other side does not hold (the very same object): what a change may
 * have touched. Duplicates of one `Kind/namespace/name` in one unit are all here (changedPairs pairs the
 * last of them, as a cluster applying them in order keeps).
 */
export function unsharedObjects(base: Tree, head: Tree): { readonly base: readonly KubeObject[]; readonly head: readonly KubeObject[] } {
  let byHead = unsharedCache.get(base);
  if (!byHead) unsharedCache.set(base, (byHead = new WeakMap()));
  let found = byHead.get(head);
  if (!found) {
    found = unsharedByUnit(base.objects, head.objects) ?? unsharedPlain(base.objects, head.objects);
    byHead.set(head, found);
  }
  return found;
}

/** {@link unsharedObjects} by a look at every object of both sides. */
export function unsharedPlain(base: readonly KubeObject[], head: readonly KubeObject[]): { base: KubeObject[]; head: KubeObject[] } {
  const inBase = new Set(base);
  const inHead = new Set(head);
  return { base: base.filter((o) => !inHead.has(o)), head: head.filter((o) => !inBase.has(o)) };
}

/**
 * {@link unsharedObjects} unit by unit, when both sides are recorded as segments of one unit each
 * (src/kinds.ts withSegments): an object belongs to one unit, so it can only be shared with the other
 * side's segment of that unit, and a segment both sides hold as the very same array (a unit the change did
 * not touch) is shared whole. Undefined when a segment mixes units or two segments hold one unit.
 */
function unsharedByUnit(base: readonly KubeObject[], head: readonly KubeObject[]): { base: KubeObject[]; head: KubeObject[] } | undefined {
  const bs = segmentsOf(base);
  const hs = segmentsOf(head);
  if (!bs || !hs) return undefined;
  const byUnit = (segments: ReadonlyArray<readonly KubeObject[]>) => {
    const out = new Map<string, readonly KubeObject[]>();
    for (const s of segments) {
      if (!s.length) continue;
      const unit = s[0].unit;
      if (out.has(unit)) return undefined;
      for (let i = 1; i < s.length; i++) if (s[i].unit !== unit) return undefined;
      out.set(unit, s);
    }
    return out;
  };
  const bu = byUnit(bs);
  const hu = byUnit(hs);
  if (!bu || !hu) return undefined;
  const side = (mine: ReadonlyArray<readonly KubeObject[]>, theirs: ReadonlyMap<string, readonly KubeObject[]>) => {
    const out: KubeObject[] = [];
    for (const s of mine) {
      if (!s.length) continue;
      const other = theirs.get(s[0].unit);
      if (other === s) continue;
      if (!other) for (const o of s) out.push(o);
      else {
        const held = new Set(other);
        for (const o of s) if (!held.has(o)) out.push(o);
      }
    }
    return out;
  };
  return { base: side(bs, hu), head: side(hs, bu) };
}

function allChangedPairs(base: Tree, head: Tree): ObjectPair[] {
  let byHead = changedCache.get(base);
  if (!byHead) changedCache.set(base, (byHead = new WeakMap()));
  const cached = byHead.get(head);
  if (cached) return cached;
  const unshared = unsharedObjects(base, head);
  const id = (o: KubeObject) => `${o.unit}\u0000${o.ref}`;
  const olds = new Map<string, KubeObject>();
  const news = new Map<string, KubeObject>();
  for (const o of unshared.head) news.set(id(o), o);
  for (const o of unshared.base) olds.set(id(o), o);
  const out: ObjectPair[] = [];
  for (const [k, h] of news) out.push({ unit: h.unit, ref: h.ref, head: h, ...(olds.has(k) ? { base: olds.get(k)! } : {}) });
  for (const [k, b] of olds) if (!news.has(k)) out.push({ unit: b.unit, ref: b.ref, base: b });
  byHead.set(head, out);
  return out;
}

/** Nodes compared at most (an alias bomb compares as different rather than hanging). */
const EQUAL_BUDGET = 1_000_000;

/**
 * Structural equality of two parsed YAML values (mappings compared by key set, key order ignored;
 * sequences in order; numbers, strings, booleans and null by value; dates by time). Alias-safe: shared
 * references are compared once per pair, and past the node budget the values count as different.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  let budget = EQUAL_BUDGET;
  const seen = new Map<object, Set<object>>();
  const eq = (x: unknown, y: unknown): boolean => {
    if (x === y) return true;
    if (--budget < 0) return false;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) {
      return typeof x === 'number' && typeof y === 'number' && Number.isNaN(x) && Number.isNaN(y);
    }
    if (x instanceof Date || y instanceof Date) return x instanceof Date && y instanceof Date && x.getTime() === y.getTime();
    let pairs = seen.get(x);
    if (pairs?.has(y)) return true;
    if (!pairs) seen.set(x, (pairs = new Set()));
    pairs.add(y);
    if (Array.isArray(x) || Array.isArray(y)) {
      if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (!eq(x[i], y[i])) return false;
      return true;
    }
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    if (kx.length !== ky.length) return false;
    for (const k of kx) {
      if (!Object.prototype.hasOwnProperty.call(y, k)) return false;
      if (!eq((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k])) return false;
    }
    return true;
  };
  return eq(a, b);
}


/** What a rule concludes about one object, to be reported on it. */
export interface Verdict {
  readonly object: KubeObject;
  readonly path: YamlPath;
  readonly key: string;
  readonly severity: Severity;
  readonly message: string;
  readonly remediation: string;
  readonly data?: Record<string, unknown>;
}

/** Takes a rule's verdicts. */
export interface VerdictSink {
  add(v: Verdict): void;
}

/**
 * Reports each verdict on its object; the finding's clusters are those of the object's unit. Copies of one
 * source in several units that say the same are merged by the engine into one finding over their clusters.
 */
export function verdictSink(ctx: { report(f: RawFinding): void }): VerdictSink {
  return {
    add: (v) =>
      ctx.report({
        key: v.key,
        severity: v.severity,
        message: v.message,
        remediation: v.remediation,
        at: { object: v.object, path: v.path },
        ...(v.data ? { data: v.data } : {}),
      }),
  };
}
