/**
 * Alias-safe walks over js-yaml output. js-yaml returns YAML aliases as shared references, so a naive
 * recursive walk of a "billion laughs" document never ends: every walk here keeps a visited set and a
 * node budget.
 */

/** Most nodes one document may expand to (aliases counted as often as they are used). */
export const NODE_BUDGET = 1_000_000;

/**
 * Counts the nodes a value expands to when every alias is followed, stopping at `limit`.
 * Memoised by identity, so it is linear in the number of distinct nodes even for alias bombs.
 * Returns `limit + 1` for anything larger (and for cycles).
 */
export function expandedSize(value: unknown, limit = NODE_BUDGET): number {
  const memo = new Map<object, number>();
  const active = new Set<object>();
  const size = (v: unknown): number => {
    if (v === null || typeof v !== 'object') return 1;
    const known = memo.get(v);
    if (known !== undefined) return known;
    if (active.has(v)) return limit + 1; // a cycle expands forever
    active.add(v);
    let total = 1;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const child of children) {
      total += size(child);
      if (total > limit) break;
    }
    active.delete(v);
    const result = Math.min(total, limit + 1);
    memo.set(v, result);
    return result;
  };
  return size(value);
}

export type WalkVisitor = (value: unknown, path: ReadonlyArray<string | number>) => void | 'skip';

/**
 * Visits every node of a value once (shared references are visited at their first path only),
 * depth-first in document order, up to `budget` nodes. A visitor returning `'skip'` does not descend.
 */
export function walk(value: unknown, visit: WalkVisitor, budget = NODE_BUDGET): void {
  const seen = new Set<object>();
  let left = budget;
  const go = (v: unknown, path: Array<string | number>): void => {
    if (left-- <= 0) return;
    if (v !== null && typeof v === 'object') {
      if (seen.has(v)) return;
      seen.add(v);
    }
    if (visit(v, path) === 'skip') return;
    if (Array.isArray(v)) {
      v.forEach((child, i) => go(child, [...path, i]));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) go(child, [...path, k]);
    }
  };
  go(value, []);
}

/** Reads a value at a path; undefined when any step is missing or of the wrong type. */
export function getIn(value: unknown, path: ReadonlyArray<string | number>): unknown {
  let cur: unknown = value;
  for (const step of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (typeof step !== 'number') return undefined;
      cur = cur[step];
    } else {
      if (typeof step !== 'string' || !Object.prototype.hasOwnProperty.call(cur, step)) return undefined;
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return cur;
}

/** A plain mapping (not null, not an array), or undefined. */
export function asMap(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** An array, or an empty one for anything else. */
export function asList(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A string for strings, numbers and booleans (YAML scalars); undefined otherwise. */
export function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** The scalar items of a list field as strings (non-scalar items are left out); empty for a non-list. */
export function asStrings(value: unknown): string[] {
  const out: string[] = [];
  for (const v of asList(value)) {
    const s = asString(v);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** The scalar entries of a mapping as strings (other entries left out); empty for a non-mapping. */
export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asMap(value) ?? {})) {
    const s = asString(v);
    if (s !== undefined) out[k] = s;
  }
  return out;
}
