/**
 * Joins inside one deployable unit that are not RBAC (see rbac.ts): a workload → the ConfigMaps it mounts
 * or reads, and the Secrets it mounts as volumes. Agent configs live in ConfigMaps (Promtail's chart writes
 * its config to a Secret), so watch-all rules read them through this join.
 */
import { podSpecPath } from './kube.js';
import type { KubeObject, YamlPath } from './types.js';
import { asList, asMap, asString, getIn } from './yaml/walk.js';
import { ofKinds } from './kinds.js';

export interface ConfigMapUse {
  /** The ConfigMap, or a Secret mounted as a volume. */
  readonly configMap: KubeObject;
  /** How the workload uses it. */
  readonly via: 'volume' | 'projected' | 'envFrom' | 'env';
  /** Where the workload names it (relative to the workload object). */
  readonly path: YamlPath;
  /** Keys it reads (`items[].key` of a volume, `key` of an env var); empty for all keys. */
  readonly keys: readonly string[];
}

const indexes = new WeakMap<readonly KubeObject[], Map<string, KubeObject[]>>();

/** A unit's ConfigMaps and Secrets by `Kind:namespace/name`, built once. */
function configMapIndex(unitObjects: readonly KubeObject[]): Map<string, KubeObject[]> {
  let index = indexes.get(unitObjects);
  if (!index) {
    index = new Map();
    for (const o of ofKinds(unitObjects, ['ConfigMap', 'Secret'])) {
      const id = `${o.kind}:${o.namespace ?? ''}/${o.name}`;
      (index.get(id) ?? index.set(id, []).get(id)!).push(o);
    }
    indexes.set(unitObjects, index);
  }
  return index;
}

/** The file an object was parsed from. */
export const sourceFile = (o: KubeObject): string => (o.source ?? o).file;

/** How many leading directories two files share (`a/b/c.yaml`, `a/b/d/e.yaml` → 2); the same file ranks above all. */
function sharedDepth(a: string, b: string): number {
  if (a === b) return Number.MAX_SAFE_INTEGER;
  const n = Math.min(a.length, b.length);
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = a.charCodeAt(i);
    if (c !== b.charCodeAt(i)) break;
    if (c === 47) depth++; // a '/' both share closes a directory both share
  }
  return depth;
}

/**
 * Of several candidates for one join (same-named objects), the ones closest to `file` in the repository:
 * in the same file, else sharing the most leading directories. A cluster holds one object per name, but the
 * unit `.` of a repository without clusters can hold unrelated renderings of the same chart side by side.
 */
export function closest<T>(file: string, candidates: readonly T[], fileOfCandidate: (c: T) => string): T[] {
  if (candidates.length <= 1) return [...candidates];
  let best = -1;
  let out: T[] = [];
  for (const c of candidates) {
    const d = sharedDepth(file, fileOfCandidate(c));
    if (d > best) {
      best = d;
      out = [c];
    } else if (d === best) out.push(c);
  }
  return out;
}

/**
 * The ConfigMaps a workload mounts or reads, found among `unitObjects` (same namespace). For an operator
 * CR with no pod spec (OpenTelemetryCollector keeps its config inline) the result is empty.
 */
const usesCache = new WeakMap<readonly KubeObject[], WeakMap<KubeObject, ConfigMapUse[]>>();

export function configMapsOf(workload: KubeObject, unitObjects: readonly KubeObject[]): ConfigMapUse[] {
  // Every watch-all rule asks for the same workload in the same unit: answered once per unit array.
  let perUnit = usesCache.get(unitObjects);
  if (!perUnit) usesCache.set(unitObjects, (perUnit = new WeakMap()));
  let uses = perUnit.get(workload);
  if (!uses) perUnit.set(workload, (uses = findConfigMaps(workload, unitObjects)));
  return uses;
}

function findConfigMaps(workload: KubeObject, unitObjects: readonly KubeObject[]): ConfigMapUse[] {
  const specPath = podSpecPath(workload.kind);
  const spec = specPath ? asMap(getIn(workload.doc, specPath)) : undefined;
  if (!specPath || !spec) return [];
  const byName = configMapIndex(unitObjects);
  const out: ConfigMapUse[] = [];
  const add = (name: unknown, via: ConfigMapUse['via'], path: YamlPath, keys: string[], kind = 'ConfigMap') => {
    const found = typeof name === 'string' ? byName.get(`${kind}:${workload.namespace ?? ''}/${name}`) : undefined;
    // The closest copy, the last of equals (as a cluster applying them in order would keep).
    const cm = found && closest(sourceFile(workload), found, sourceFile).at(-1);
    if (cm) out.push({ configMap: cm, via, path: [...specPath, ...path], keys });
  };
  const itemKeys = (items: unknown) => asList(items).map((i) => asString(asMap(i)?.key)).filter((k): k is string => !!k);
  asList(spec.volumes).forEach((v, i) => {
    const vol = asMap(v);
    const cm = asMap(vol?.configMap);
    if (cm) add(cm.name, 'volume', ['volumes', i, 'configMap', 'name'], itemKeys(cm.items));
    const secret = asMap(vol?.secret);
    if (secret) add(secret.secretName, 'volume', ['volumes', i, 'secret', 'secretName'], itemKeys(secret.items), 'Secret');
    asList(asMap(vol?.projected)?.sources).forEach((src, j) => {
      const pcm = asMap(asMap(src)?.configMap);
      if (pcm) add(pcm.name, 'projected', ['volumes', i, 'projected', 'sources', j, 'configMap', 'name'], itemKeys(pcm.items));
      const ps = asMap(asMap(src)?.secret);
      if (ps) add(ps.name, 'projected', ['volumes', i, 'projected', 'sources', j, 'secret', 'name'], itemKeys(ps.items), 'Secret');
    });
  });
  for (const list of ['initContainers', 'containers'] as const) {
    asList(spec[list]).forEach((c, ci) => {
      const container = asMap(c);
      asList(container?.envFrom).forEach((e, ei) => {
        const ref = asMap(asMap(e)?.configMapRef);
        if (ref) add(ref.name, 'envFrom', [list, ci, 'envFrom', ei, 'configMapRef', 'name'], []);
      });
      asList(container?.env).forEach((e, ei) => {
        const ref = asMap(asMap(asMap(e)?.valueFrom)?.configMapKeyRef);
        if (ref) add(ref.name, 'env', [list, ci, 'env', ei, 'valueFrom', 'configMapKeyRef', 'name'], asString(ref.key) ? [asString(ref.key)!] : []);
      });
    });
  }
  return out;
}

const namesCache = new WeakMap<KubeObject, ReadonlySet<string>>();

/**
 * The names of the ConfigMaps a workload's pod spec refers to (volumes, projected volumes, `envFrom`,
 * `configMapKeyRef`), whether or not they exist in the repository. Cached per workload.
 */
export function configMapNamesOf(workload: KubeObject): ReadonlySet<string> {
  let names = namesCache.get(workload);
  if (names) return names;
  const out = new Set<string>();
  const specPath = podSpecPath(workload.kind);
  const spec = specPath ? asMap(getIn(workload.doc, specPath)) : undefined;
  const add = (name: unknown) => {
    if (typeof name === 'string' && name !== '') out.add(name);
  };
  for (const v of asList(spec?.volumes)) {
    const vol = asMap(v);
    add(asMap(vol?.configMap)?.name);
    for (const src of asList(asMap(vol?.projected)?.sources)) add(asMap(asMap(src)?.configMap)?.name);
  }
  for (const field of ['initContainers', 'containers']) {
    for (const c of asList(spec?.[field])) {
      for (const e of asList(asMap(c)?.envFrom)) add(asMap(asMap(e)?.configMapRef)?.name);
      for (const e of asList(asMap(c)?.env)) add(asMap(asMap(asMap(e)?.valueFrom)?.configMapKeyRef)?.name);
    }
  }
  namesCache.set(workload, (names = out));
  return names;
}
