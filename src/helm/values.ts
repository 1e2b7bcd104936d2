/**
 * A release's values as layers, lowest first: the adapter's built-in defaults, the chart's values.yaml,
 * an umbrella chart's values under the dependency's key, per-environment files, a GitOps object's inline
 * values. Merged as Helm coalesces them (https://helm.sh/docs/chart_template_guide/values_files: later
 * files win; mappings merge key by key, lists and scalars replace, a null removes the key), and each path
 * traced back to the layer that set it, for finding lines.
 */
import type { YamlPath } from '../types.js';
import { asMap, getIn } from '../yaml/walk.js';
import type { Values } from './chart.js';

/** Where a values layer is written. */
export interface LayerSource {
  readonly file: string;
  readonly docIndex: number;
  /** Path of the values mapping inside the document (or of the block scalar holding them, when embedded). */
  readonly docPath: YamlPath;
  /** Values written as YAML text inside a string (Argo CD `helm.values`, a ConfigMap's `values.yaml` key): the text, and the path of these values inside it. */
  readonly embedded?: { readonly text: string; readonly prefix: YamlPath };
  /**
   * Set when the layer's values are not all written at `docPath` (a Kustomize overlay patched them): the
   * values the file does hold there. A path is traced only as far as they go, and never into a block.
   */
  readonly within?: Readonly<Record<string, unknown>>;
}

/** One source of values. */
export interface ValuesLayer {
  /** The values mapping of this layer. */
  readonly doc: Readonly<Record<string, unknown>>;
  /** Where it is written. Absent for built-in defaults. */
  readonly at?: LayerSource;
}

/** Where a values path was set: the layer's source and the values path it set (the deepest prefix of the one asked). */
export interface ValuesOrigin {
  readonly at: LayerSource;
  readonly path: YamlPath;
  /** True when the layer sets the whole path asked for (not only a prefix of it). */
  readonly exact: boolean;
}

/** The same layer seen from a subchart: the values under `key`, if a mapping. */
export function nestedLayer(layer: ValuesLayer, key: string): ValuesLayer | undefined {
  const doc = asMap(layer.doc[key]);
  if (!doc) return undefined;
  if (!layer.at) return { doc };
  const within = layer.at.within ? { within: asMap(layer.at.within[key]) ?? {} } : {};
  const at = layer.at.embedded
    ? { ...layer.at, ...within, embedded: { text: layer.at.embedded.text, prefix: [...layer.at.embedded.prefix, key] } }
    : { ...layer.at, ...within, docPath: [...layer.at.docPath, key] };
  return { doc, at };
}

const MAX_DEPTH = 64;

/**
 * Helm's coalesce of `over` onto `under` (new objects; inputs untouched). With `keepNull`, a null stays in
 * the result instead of deleting the key: how helm merges several `-f` files before it lays them over the
 * chart's defaults, where the null then deletes the default.
 */
export function coalesce(under: unknown, over: unknown, depth = 0, keepNull = false): unknown {
  const a = asMap(under);
  const b = asMap(over);
  if (!a || !b || depth > MAX_DEPTH) return over === undefined ? under : over;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === null && !keepNull) delete out[k];
    else out[k] = k in a && v !== null ? coalesce(a[k], v, depth + 1, keepNull) : v;
  }
  return out;
}

/** The user's values layers merged as one `-f` file would hold them (nulls kept, to delete chart defaults). */
export function mergedUserValues(layers: readonly ValuesLayer[]): Record<string, unknown> {
  let doc: unknown = {};
  for (const l of layers) doc = coalesce(doc, l.doc, 0, true);
  return asMap(doc) ?? {};
}

/** The merged values of layers, with each path's origin. */
export class LayeredValues implements Values {
  readonly doc: Readonly<Record<string, unknown>>;
  constructor(readonly layers: readonly ValuesLayer[]) {
    let doc: unknown = {};
    for (const l of layers) doc = coalesce(doc, l.doc);
    this.doc = asMap(doc) ?? {};
  }

  get(path: YamlPath): unknown {
    return getIn(this.doc, path);
  }

  isSet(path: YamlPath): boolean {
    return this.layers.some((l) => l.at && getIn(l.doc, path) !== undefined);
  }

  /**
   * The layer (of the repository) that set the deepest prefix of `path`, last layer first. Undefined when
   * only the built-in defaults hold any of it.
   */
  origin(path: YamlPath): ValuesOrigin | undefined {
    for (let n = path.length; n > 0; n--) {
      const prefix = path.slice(0, n);
      for (let i = this.layers.length - 1; i >= 0; i--) {
        const l = this.layers[i];
        if (!l.at || getIn(l.doc, prefix) === undefined) continue;
        if (l.at.within) {
          // Only as far as the file holds the values: the rest came from a patch.
          let k = prefix.length;
          while (k > 0 && getIn(l.at.within, prefix.slice(0, k)) === undefined) k--;
          return { at: l.at, path: prefix.slice(0, k), exact: false };
        }
        return { at: l.at, path: prefix, exact: n === path.length };
      }
    }
    return undefined;
  }
}
