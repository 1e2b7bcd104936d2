/**
 * Where the sites of a reverted commit stand in a pull request: for each site, the documents of the head
 * that hold its target in the files the pull request changed, paired with their base counterparts, and
 * whether the pull request puts the reverted value back there.
 */
import type { RevertRecord } from './history.js';
import { ABSENT, treeTargets, valueAt, type Site, type Target } from './revert.js';
import type { ChangeSet, Tree } from './types.js';

/** What the pull request does at one site of a revert, on one copy of its target. */
export interface SiteOutcome {
  readonly site: Site;
  /** The target on the head (absent when the pull request deletes it) and on the base (absent when new). */
  readonly head?: Target;
  readonly base?: Target;
  /** `reapplied`: the head has the value the revert removed; `different`: the pull request sets another one. */
  readonly outcome: 'reapplied' | 'different';
}

/** Indexes of the documents a change touched, by id, on both sides. */
export interface ChangedTargets {
  outcomes(record: RevertRecord): SiteOutcome[];
}

export function changedTargets(base: Tree, head: Tree, changes: ChangeSet): ChangedTargets {
  const H = treeTargets(head);
  const B = treeTargets(base);
  const headFiles = changes.files.filter((f) => f.status !== 'deleted').map((f) => f.path);
  const baseFiles = changes.files.filter((f) => f.status !== 'added').map((f) => f.oldPath ?? f.path);
  const toBase = new Map(changes.files.filter((f) => f.status !== 'added').map((f) => [f.path, f.oldPath ?? f.path] as const));
  const toHead = new Map(changes.files.filter((f) => f.status !== 'deleted').map((f) => [f.oldPath ?? f.path, f.path] as const));
  const index = (tree: ReturnType<typeof treeTargets>, files: readonly string[]) => {
    const m = new Map<string, Target[]>();
    for (const file of files) for (const t of tree.inFile(file)) (m.get(t.id) ?? m.set(t.id, []).get(t.id)!).push(t);
    return m;
  };
  let heads: Map<string, Target[]> | undefined;
  let bases: Map<string, Target[]> | undefined;

  /** The base document a head one replaces: same file (or its old name) and id, else the only one with that id. */
  const baseOf = (h: Target): Target | undefined => {
    const same = B.inFile(toBase.get(h.file) ?? h.file).find((t) => t.id === h.id);
    if (same) return same;
    if (!h.ref) return undefined;
    const any = B.byId(h.id);
    return any.length === 1 ? any[0] : undefined;
  };
  const survives = (b: Target): boolean => H.inFile(toHead.get(b.file) ?? b.file).some((t) => t.id === b.id) || (b.ref !== null && H.byId(b.id).length > 0);

  return {
    outcomes(record) {
      heads ??= index(H, headFiles);
      bases ??= index(B, baseFiles);
      const out: SiteOutcome[] = [];
      for (const site of record.sites) {
        // A document that is not a Kubernetes object (a values file) is the same place only in the same file.
        const onHead = (heads.get(site.target) ?? []).filter((h) => h.ref !== null || h.file === site.file);
        for (const h of onHead) {
          const b = baseOf(h);
          const hv = valueAt(h.doc, site.path);
          if (hv === valueAt(b?.doc, site.path)) continue;
          out.push({ site, head: h, ...(b ? { base: b } : {}), outcome: hv === site.value ? 'reapplied' : 'different' });
        }
        // The pull request deletes the object: only a site that is the object's own deletion is put back.
        if (site.path.length === 0 && site.value === ABSENT) {
          for (const b of bases.get(site.target) ?? []) if (!survives(b)) out.push({ site, base: b, outcome: 'reapplied' });
        }
      }
      return out;
    },
  };
}
