/**
 * Where the sites of a reverted commit stand in a pull request: for each site, the documents of the head
 * that hold its target in the files the pull request changed, paired with their base counterparts, and
 * whether the pull request puts the reverted value back there.
 */
import type { RevertRecord } from './history.js';
import { isClusterScoped } from './kube.js';
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

/**
 * True when an object's id names it across files: it states its namespace, or its kind has none. An object
 * without `metadata.namespace` gets one from where it is deployed (a Kustomize `namespace:`), so the same
 * `Kind/name` in two directories may be two objects: it is known by its file only.
 */
export function globalId(t: Pick<Target, 'ref' | 'kind' | 'namespace'>): boolean {
  return t.ref !== null && (t.namespace !== null || isClusterScoped(t.kind ?? ''));
}

/**
 * Files whose documents can be config that reaches a cluster: not under a dot-directory or a dotfile
 * (`.github/workflows`, `.blast-radius.yml`, `.pre-commit-config.yaml`), and for a document that is not a
 * Kubernetes object, only Helm values files and kustomizations (a CI config or a docs config is not).
 */
export function isConfigTarget(t: Pick<Target, 'file' | 'ref' | 'kind'>): boolean {
  if (t.file.split('/').some((seg) => seg.startsWith('.'))) return false;
  if (t.kind !== null) return true;
  return /(^|\/)values[^/]*\.ya?ml$/i.test(t.file) || /(^|\/)values\//.test(t.file) || /(^|\/)kustomization\.ya?ml$/i.test(t.file);
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
    for (const file of files) for (const t of tree.inFile(file)) if (isConfigTarget(t)) (m.get(t.id) ?? m.set(t.id, []).get(t.id)!).push(t);
    return m;
  };
  let heads: Map<string, Target[]> | undefined;
  let bases: Map<string, Target[]> | undefined;

  /** The base document a head one replaces: same file (or its old name) and id, else the only one with that id. */
  const baseOf = (h: Target): Target | undefined => {
    const same = B.inFile(toBase.get(h.file) ?? h.file).find((t) => t.id === h.id);
    if (same) return same;
    if (!globalId(h)) return undefined;
    const any = B.byId(h.id).filter(globalId);
    return any.length === 1 ? any[0] : undefined;
  };
  const survives = (b: Target): boolean => H.inFile(toHead.get(b.file) ?? b.file).some((t) => t.id === b.id) || (globalId(b) && H.byId(b.id).some(globalId));

  return {
    outcomes(record) {
      heads ??= index(H, headFiles);
      bases ??= index(B, baseFiles);
      const out: SiteOutcome[] = [];
      for (const site of record.sites) {
        // A document whose id does not name it across files (a values file, an object without a namespace) is
        // the same place only in the same file.
        const onHead = (heads.get(site.target) ?? []).filter((h) => h.file === site.file || toBase.get(h.file) === site.file || (globalId(site) && globalId(h)));
        for (const h of onHead) {
          const b = baseOf(h);
          const hv = valueAt(h.doc, site.path);
          if (hv === valueAt(b?.doc, site.path)) continue;
          out.push({ site, head: h, ...(b ? { base: b } : {}), outcome: hv === site.value ? 'reapplied' : 'different' });
        }
        // The pull request deletes the object: only a site that is the object's own deletion is put back.
        if (site.path.length === 0 && site.value === ABSENT) {
          for (const b of bases.get(site.target) ?? []) {
            if ((b.file === site.file || (globalId(site) && globalId(b))) && !survives(b)) out.push({ site, base: b, outcome: 'reapplied' });
          }
        }
      }
      return out;
    },
  };
}
