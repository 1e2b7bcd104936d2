/**
 * What protects a workload from losing every replica at once: its replicas (or its HorizontalPodAutoscaler's
 * minimum) and the PodDisruptionBudgets that select it. Shared by blast-radius/deletion (the last PDB of a
 * workload deleted) and canary/workload-strategy (a multi-replica workload without one).
 */
import { isEmptySelector, matchesSelector } from './selector.js';
import type { KubeObject } from './types.js';
import { asMap, asString, getIn } from './yaml/walk.js';

/** Same namespace, or one of them unwritten (applied into whatever namespace the other lands in). */
export function sameNamespace(a: KubeObject, b: KubeObject): boolean {
  return a.namespace === null || b.namespace === null || a.namespace === b.namespace;
}

/**
 * True when a PDB selects pods with `labels`: a missing or null selector selects nothing; an empty one every
 * pod of the namespace in policy/v1 and nothing in policy/v1beta1 (policy API reference).
 */
export function pdbSelects(pdb: KubeObject, labels: Readonly<Record<string, string>>): boolean {
  const selector = getIn(pdb.doc, ['spec', 'selector']);
  if (selector === undefined || selector === null) return false;
  if (pdb.apiVersion === 'policy/v1beta1' && isEmptySelector(selector)) return false;
  return matchesSelector(selector, labels);
}

/** Percent (`"25%"`) or integer value of an IntOrString field; undefined when absent or unreadable. */
export function intOrPercent(value: unknown): { n: number; percent: boolean } | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return { n: value, percent: false };
  const s = asString(value);
  const m = s === undefined ? null : /^(\d+)(%?)$/.exec(s.trim());
  return m ? { n: Number(m[1]), percent: m[2] === '%' } : undefined;
}

/** False when the PDB lets every replica go at once (minAvailable 0, maxUnavailable ≥ replicas or 100%). */
export function pdbProtects(pdb: KubeObject, replicas: number): boolean {
  const spec = asMap(getIn(pdb.doc, ['spec']));
  const min = intOrPercent(spec?.minAvailable);
  const max = intOrPercent(spec?.maxUnavailable);
  if (min) return min.n > 0;
  if (max) return max.percent ? max.n < 100 : max.n < replicas;
  return true; // neither set: the API defaults minAvailable to 1
}

const hpaIndexes = new WeakMap<readonly KubeObject[], Map<string, KubeObject[]>>();

/** The HorizontalPodAutoscalers among `objects` by the `Kind/name` they scale (indexed once per array). */
function hpasByTarget(objects: readonly KubeObject[]): Map<string, KubeObject[]> {
  let index = hpaIndexes.get(objects);
  if (!index) {
    index = new Map();
    for (const h of objects) {
      if (h.kind !== 'HorizontalPodAutoscaler') continue;
      const kind = asString(getIn(h.doc, ['spec', 'scaleTargetRef', 'kind']));
      const name = asString(getIn(h.doc, ['spec', 'scaleTargetRef', 'name']));
      if (kind === undefined || name === undefined) continue;
      const id = `${kind}/${name}`;
      (index.get(id) ?? index.set(id, []).get(id)!).push(h);
    }
    hpaIndexes.set(objects, index);
  }
  return index;
}

/** The PodDisruptionBudgets of `pdbs` that may select pods of namespace `ns` (same namespace, or either unwritten), indexed once per array. */
export function pdbsFor(pdbs: readonly KubeObject[], ns: string | null): readonly KubeObject[] {
  let index = pdbIndexes.get(pdbs);
  if (!index) {
    index = new Map();
    for (const p of pdbs) (index.get(p.namespace) ?? index.set(p.namespace, []).get(p.namespace)!).push(p);
    pdbIndexes.set(pdbs, index);
  }
  if (ns === null) return pdbs;
  return [...(index.get(ns) ?? []), ...(index.get(null) ?? [])];
}
const pdbIndexes = new WeakMap<readonly KubeObject[], Map<string | null, KubeObject[]>>();

/**
 * Replicas a workload runs at least: the minReplicas (default 1) of a HorizontalPodAutoscaler among
 * `objects` that targets it, else spec.replicas (unset = 1); undefined when unreadable.
 */
export function replicasOf(w: KubeObject, objects: readonly KubeObject[]): { n: number; hpa: boolean } | undefined {
  const hpa = hpasByTarget(objects).get(`${w.kind}/${w.name}`)?.find((h) => sameNamespace(h, w));
  if (hpa) {
    const min = getIn(hpa.doc, ['spec', 'minReplicas']);
    if (min === undefined || min === null) return { n: 1, hpa: true };
    return typeof min === 'number' && Number.isFinite(min) ? { n: min, hpa: true } : undefined;
  }
  const replicas = getIn(w.doc, ['spec', 'replicas']);
  if (replicas === undefined || replicas === null) return { n: 1, hpa: false };
  return typeof replicas === 'number' && Number.isFinite(replicas) ? { n: replicas, hpa: false } : undefined;
}
