/**
 * Where the sites of a reverted commit stand in a pull request: for each site, the documents of the head
 * that hold its target in the files the pull request changed, paired with their base counterparts, and
 * whether the pull request puts the reverted value back there.
 */
import type { RevertRecord } from './history.js';
import { isClusterScoped } from './kube.js';
import { ABSENT, siblingSteps, treeTargets, valueAt, type Site, type Step, type Target } from './revert.js';
import type { ChangeSet, KubeObject, Tree } from './types.js';
import { ofKinds } from './kinds.js';

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
 * True when an object's id names it across directories: it states its namespace, or its kind has none. An
 * object without `metadata.namespace` gets one from where it is deployed (a Kustomize `namespace:`), so the
 * same `Kind/name` in two directories may be two objects: it is known within its directory only.
 */
export function globalId(t: Pick<Target, 'ref' | 'kind' | 'namespace'>): boolean {
  return t.ref !== null && (t.namespace !== null || isClusterScoped(t.kind ?? ''));
}

const dirOf = (p: string) => p.slice(0, p.lastIndexOf('/') + 1);

/** True when two documents with the same id are the same place: anywhere for a global id, else in one directory (a file split in two), and for a document that is not an object only in one file. */
function samePlace(a: Pick<Target, 'ref' | 'kind' | 'namespace' | 'file'>, aFile: string, b: Pick<Target, 'ref' | 'kind' | 'namespace' | 'file'>, bFile: string): boolean {
  if (aFile === bFile) return true;
  if (a.ref === null || b.ref === null) return false;
  return (globalId(a) && globalId(b)) || dirOf(aFile) === dirOf(bFile);
}

/**
 * Files whose documents can be config that reaches a cluster: never under a dot-directory or a dotfile
 * (`.github/workflows`, `.blast-radius.yml`, `.pre-commit-config.yaml`); for a document that is not a
 * Kubernetes object, only Helm values files (`values.yaml`, `values-prod.yaml`, `prometheus-values.yaml`,
 * `values/<cluster>.yaml`), kustomizations, and the inputs of a kustomization's generators (a CI config or a
 * docs config is not).
 */
export function isConfigTarget(t: Pick<Target, 'file' | 'kind'>, generatorInputs: ReadonlySet<string>): boolean {
  if (t.file.split('/').some((seg) => seg.startsWith('.'))) return false;
  if (t.kind !== null) return true;
  const name = t.file.slice(t.file.lastIndexOf('/') + 1);
  return /values[^/]*\.ya?ml$/i.test(name) || /(^|\/)values\//.test(t.file) || /^kustomization\.ya?ml$/i.test(name) || generatorInputs.has(t.file);
}

/** The files a side's kustomizations read into generated ConfigMaps / Secrets. */
function generatorInputsOf(trees: readonly Tree[]): Set<string> {
  const out = new Set<string>();
  for (const tree of trees) for (const o of ofKinds(tree.objects, ['ConfigMap', 'Secret'])) for (const input of Object.values(o.generated?.inputs ?? o.source?.generated?.inputs ?? {})) out.add(input);
  return out;
}

/** The parsed object a target is (the same document and List item of its file), for a finding's location. */
export function objectOf(tree: Tree, t: Target): KubeObject | undefined {
  return tree.files.get(t.file)?.objects.find((x) => x.docIndex === t.docIndex && x.ref === t.ref && x.docPath.join('/') === t.docPath.join('/'));
}

export function changedTargets(base: Tree, head: Tree, changes: ChangeSet): ChangedTargets {
  const H = treeTargets(head);
  const B = treeTargets(base);
  const inputs = generatorInputsOf([head, base]);
  const headFiles = changes.files.filter((f) => f.status !== 'deleted').map((f) => f.path);
  const baseFiles = changes.files.filter((f) => f.status !== 'added').map((f) => f.oldPath ?? f.path);
  const toBase = new Map(changes.files.filter((f) => f.status !== 'added').map((f) => [f.path, f.oldPath ?? f.path] as const));
  const toHead = new Map(changes.files.filter((f) => f.status !== 'deleted').map((f) => [f.oldPath ?? f.path, f.path] as const));
  const index = (tree: ReturnType<typeof treeTargets>, files: readonly string[]) => {
    const m = new Map<string, Target[]>();
    for (const file of files) for (const t of tree.inFile(file)) if (isConfigTarget(t, inputs)) (m.get(t.id) ?? m.set(t.id, []).get(t.id)!).push(t);
    return m;
  };
  let heads: Map<string, Target[]> | undefined;
  let bases: Map<string, Target[]> | undefined;

  /** The base document a head one replaces: same file (or its old name) and id, else the only one at the same place. */
  const baseOf = (h: Target): Target | undefined => {
    const file = toBase.get(h.file) ?? h.file;
    const same = B.inFile(file).find((t) => t.id === h.id);
    if (same) return same;
    if (h.ref === null) return undefined;
    const any = B.byId(h.id).filter((b) => samePlace(b, b.file, h, file));
    return any.length === 1 ? any[0] : undefined;
  };
  const survives = (b: Target): boolean => {
    const file = toHead.get(b.file) ?? b.file;
    return H.inFile(file).some((t) => t.id === b.id) || (b.ref !== null && H.byId(b.id).some((h) => samePlace(h, toBase.get(h.file) ?? h.file, b, b.file)));
  };

  return {
    outcomes(record) {
      heads ??= index(H, headFiles);
      bases ??= index(B, baseFiles);
      const out: SiteOutcome[] = [];
      for (const site of record.sites) {
        for (const h of heads.get(site.target) ?? []) {
          if (!samePlace(site, site.file, h, toBase.get(h.file) ?? h.file)) continue;
          const b = baseOf(h);
          const hv = valueAt(h.doc, site.path);
          if (hv === valueAt(b?.doc, site.path)) continue;
          if (hv === site.value && site.value === ABSENT && !pureRemoval(b?.doc, h.doc, site.path)) continue;
          out.push({ site, head: h, ...(b ? { base: b } : {}), outcome: hv === site.value ? 'reapplied' : 'different' });
        }
        // The pull request deletes the object: only a site that is the object's own deletion is put back.
        if (site.path.length === 0 && site.value === ABSENT) {
          for (const b of bases.get(site.target) ?? []) {
            if (samePlace(site, site.file, b, b.file) && !survives(b)) out.push({ site, base: b, outcome: 'reapplied' });
          }
        }
      }
      return out;
    },
  };
}

/**
 * For a removed list item or line (a set-like site holding ABSENT): true when the pull request only
 * removes there — the head's items / lines are a subset of the base's. Replacing `--log-level=info` with
 * `--log-level=warn` removes the old item too, but it sets a new value: not the original's removal again.
 */
function pureRemoval(base: unknown, head: unknown, path: readonly Step[]): boolean {
  const before = siblingSteps(base, path);
  const after = siblingSteps(head, path);
  if (!before || !after) return true;
  for (const m of after) if (!before.has(m)) return false;
  return true;
}
