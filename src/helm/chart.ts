/**
 * Values-level knowledge of a Helm chart: a chart adapter renders, from a release's merged values, the
 * objects that decide its API-server load (the workload and its mode, the agent's config in a ConfigMap,
 * the ServiceAccount and RBAC), as the chart's templates would. The rules then judge these objects like
 * any manifest, and every finding on them points back at the values line that caused it (`spot`).
 *
 * An adapter renders only what the chart's templates do with the knobs that matter for the rules (RULEBOOK
 * A.3 for the OpenTelemetry Collector, the chart sources cited in each adapter); anything else keeps the
 * chart's default. Adapters never read files: the release's values are already merged (see values.ts).
 */
import type { YamlPath } from '../types.js';

/** A place in the values: a path (mapping keys, list indices) and, inside a block scalar there, a 0-based line. */
export interface ValuesSpot {
  readonly path: YamlPath;
  readonly innerLine?: number;
}

/** The merged values of one release: the chart's defaults beneath every values layer the repo holds. */
export interface Values {
  /** The merged values (Helm's coalesce: mappings merge, lists and scalars replace, null deletes). */
  readonly doc: Readonly<Record<string, unknown>>;
  /** The merged value at a path (undefined when absent). */
  get(path: YamlPath): unknown;
  /** True when a values layer of the repository (not the adapter's built-in defaults) sets the path. */
  isSet(path: YamlPath): boolean;
}

/** Who the release is: what the chart's `fullname` and labels are made from. */
export interface ReleaseInfo {
  /** The Helm release name. */
  readonly name: string;
  /** The namespace the release is installed in, when known. */
  readonly namespace: string | null;
  /** The chart's name (`Chart.yaml` name, or the dependency's name in an umbrella chart). */
  readonly chart: string;
  /** The chart's version, when known (`Chart.yaml` version, the dependency's or the GitOps object's). */
  readonly chartVersion?: string;
}

/** One object a chart renders. */
export interface RenderedDoc {
  /** A whole Kubernetes object: apiVersion, kind, metadata (name, namespace when namespaced), spec / data. */
  readonly doc: Record<string, unknown>;
  /**
   * Where a path of the object comes from in the values. `path` is relative to the object; for a config
   * held as text (a ConfigMap key), a YAML config's inner path continues the path past the key
   * (`['data', 'relay', 'processors', 'k8sattributes']`), and a text config (INI, River) gives the key's
   * path plus `innerLine`, the 0-based line inside the key's text. Undefined: the release's anchor.
   */
  spot(path: YamlPath, innerLine?: number): ValuesSpot | undefined;
}

export interface ChartAdapter {
  /** Chart names this adapter knows (`Chart.yaml` `name`). */
  readonly charts: readonly string[];
  /**
   * The chart's defaults for the knobs the adapter reads (from the chart's own values.yaml, at the version
   * cited), beneath every values layer. The chart's values.yaml, when the repository holds it, sits above.
   */
  readonly defaults: Readonly<Record<string, unknown>>;
  /**
   * Values paths whose line stands for the release when nothing more precise applies (`['mode']`,
   * `['controller', 'type']`): the first one some values layer sets is used.
   */
  readonly anchors: readonly YamlPath[];
  /** The objects the chart renders for these values (none when the chart would render nothing that matters). */
  render(release: ReleaseInfo, values: Values): RenderedDoc[];
}

/** The chart's `fullname` helper as most charts write it (`<release>` if it holds the chart name, else `<release>-<chart>`, 63 chars). */
export function fullname(release: ReleaseInfo, values: Values, chartName = release.chart): string {
  const override = values.get(['fullnameOverride']);
  if (typeof override === 'string' && override) return trunc63(override);
  const nameOverride = values.get(['nameOverride']);
  const name = typeof nameOverride === 'string' && nameOverride ? nameOverride : chartName;
  return trunc63(release.name.includes(name) ? release.name : `${release.name}-${name}`);
}

function trunc63(s: string): string {
  return s.slice(0, 63).replace(/-+$/, '');
}
