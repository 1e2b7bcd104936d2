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
import { asMap } from '../yaml/walk.js';

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

/** `trunc 63 | trimSuffix "-"`, as the charts' name helpers end (a Kubernetes name or label value is 63 characters at most). */
export function trunc63(s: string): string {
  return s.slice(0, 63).replace(/-+$/, '');
}

/** The `helm.sh/chart` label as the `<chart>.chart` helper writes it: `printf "%s-%s" name version | replace "+" "_" | trunc 63 | trimSuffix "-"`. */
export function chartLabel(chart: string, version: string): string {
  return trunc63(`${chart}-${version}`.replace(/\+/g, '_'));
}

/** An object's `metadata`: its name, its namespace unless null (cluster-scoped objects pass null), its labels. */
export function objectMeta(name: string, namespace: string | null, labels: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return { name, ...(namespace !== null ? { namespace } : {}), labels };
}

/**
 * The ServiceAccount a chart's `serviceaccount.yaml` renders: `metadata` plus `annotations` when they are a
 * non-empty mapping (the templates' `with .Values.serviceAccount.annotations`), and
 * `automountServiceAccountToken` when the chart writes one (undefined: the field is left out).
 */
export function serviceAccount(metadata: Record<string, unknown>, annotations?: unknown, automount?: unknown): Record<string, unknown> {
  const ann = asMap(annotations);
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { ...metadata, ...(ann && Object.keys(ann).length ? { annotations: ann } : {}) },
    ...(automount !== undefined ? { automountServiceAccountToken: automount } : {}),
  };
}

/**
 * The ClusterRoleBinding a chart's `clusterrolebinding.yaml` renders: `roleName` bound to the ServiceAccount
 * `serviceAccount`, the subject in `namespace` unless it is null (the charts write `.Release.Namespace` or
 * their namespace override there; a release whose namespace is unknown gets none).
 */
export function clusterRoleBinding(metadata: Record<string, unknown>, roleName: string, serviceAccount: string, namespace: string | null): Record<string, unknown> {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount, ...(namespace !== null ? { namespace } : {}) }],
  };
}

/**
 * `spot` for a values path the user wrote: the path (and `innerLine`, when given) if a values layer of the
 * repository sets it, else undefined, so that the release's anchor stands for the finding.
 */
export function spotIfSet(values: Values): (path: YamlPath, innerLine?: number) => ValuesSpot | undefined {
  return (path, innerLine) => (values.isSet(path) ? { path, ...(innerLine !== undefined ? { innerLine } : {}) } : undefined);
}
