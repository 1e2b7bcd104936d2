/**
 * Shared types of the engine: objects, trees, findings, rules and the report.
 * The JSON report types mirror the contract in DESIGN.md (schemaVersion 1).
 */

/** Finding severities, lowest first. RULEBOOK's INFO / WARN / BLOCK map to low / medium / high. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** A report's level: the highest live severity, or `none`. */
export type Level = Severity | 'none';
export const LEVELS: readonly Level[] = ['none', ...SEVERITIES];

/** Rank of a level for comparisons: none 0, low 1 … critical 4. */
export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}

export type Family = 'watch-all' | 'blast-radius' | 'canary' | 'revert-lock' | 'config';

/** A path into a parsed YAML document: mapping keys and sequence indices. */
export type YamlPath = ReadonlyArray<string | number>;

/** One Kubernetes object (a YAML document with `apiVersion` and `kind`, or one item of a `List`). */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** `metadata.namespace` as written (after Kustomize namespace rewriting, once units exist); null if absent. */
  readonly namespace: string | null;
  /** `Kind/namespace/name`, or `Kind/name` when the object has no namespace. */
  readonly ref: string;
  /** The parsed document (js-yaml). May contain shared references (aliases): walk it with `walk()`. */
  readonly doc: Record<string, unknown>;
  /** Repository-relative file path. */
  readonly file: string;
  /** Index of the YAML document inside the file (0-based). */
  readonly docIndex: number;
  /** Path of this object inside the document: `[]`, or `['items', i]` for a `List` item. */
  readonly docPath: YamlPath;
  /** The deployable unit the object belongs to (`.` when the whole repo is one unit). */
  readonly unit: string;
  /**
   * The object as parsed from its file, when this one was derived for a unit (Kustomize namespace,
   * name prefix, patches, images). Lines are always found through the source.
   */
  readonly source?: KubeObject;
  /**
   * Set on a ConfigMap a kustomization generates (`configMapGenerator`): where it is declared, and the input
   * file each `data` key comes from. `file` is the kustomization; findings inside a key point at its input.
   */
  readonly generated?: { readonly entry: YamlPath; readonly inputs: Readonly<Record<string, string>> };
  /**
   * Set on an object a chart adapter rendered from Helm values (src/helm): the release, and where a path
   * of the object (with, for a config held as text, the 0-based line inside it) comes from in the values
   * files. Findings on it point there; `file` / `docIndex` name the release's most specific values source.
   */
  readonly rendered?: {
    readonly release: string;
    /** The same object of every release of one chart (one per environment): they are judged together. */
    readonly group: string;
    /** The values file a path comes from, and a key naming the exact place (cheap: no line is computed). */
    origin(path: YamlPath, innerLine?: number): { readonly file: string; readonly place: string };
    locate(path: YamlPath, innerLine?: number): { readonly file: string; readonly line: number };
  };
}

/** A parsed YAML file of one side of the change. */
export interface ParsedFile {
  readonly path: string;
  /** Git blob id (content hash); equal ids mean equal content. */
  readonly blob: string;
  readonly text: string;
  /** Documents as js-yaml loaded them (null for empty documents). */
  readonly docs: readonly unknown[];
  readonly objects: readonly KubeObject[];
  /** Set when the file could not be read or parsed; `docs` then holds what parsed before the error. */
  readonly error?: { readonly line: number; readonly message: string };
  /** Set when the file is skipped on purpose (a Helm template, binary content): not an error. */
  readonly skipped?: string;
  /** Set for a kustomization file, or a file a kustomization uses as a patch or generator input (the path of that kustomization): its documents are not objects. */
  readonly input?: string;
}

/** One side (base or head) of the change: every YAML file of the tree, parsed. */
export interface Tree {
  readonly side: 'base' | 'head';
  /** The commit the tree was read from. */
  readonly commit: string;
  readonly files: ReadonlyMap<string, ParsedFile>;
  /** All objects of all files, in path then document order. */
  readonly objects: readonly KubeObject[];
  /** Raw text of any file of the tree (YAML or not), read on demand; null when absent or unreadable. */
  readFile(path: string): string | null;
  /** The exact bytes of a file (a packaged subchart `.tgz`), read on demand; null when absent, a symlink or unreadable. */
  readBytes?(path: string): Uint8Array | null;
  /** The exact bytes of many files at once (one git process); absent paths and symlinks are left out. */
  readMany?(paths: readonly string[]): Promise<Map<string, Uint8Array>>;
  /** Every path of the tree (all files, not only YAML), in `cmp` order (src/util.ts). */
  readonly paths: readonly string[];
  /**
   * How many Kubernetes objects (documents with `apiVersion` and `kind`, `List` items each) the tree's YAML
   * holds, kustomizations and patches included: the report's `stats.resources` (DESIGN.md).
   */
  readonly parsedObjects?: number;
}

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed';

export interface ChangedFile {
  readonly path: string;
  readonly status: ChangeStatus;
  /** For renames: the path on the base. */
  readonly oldPath?: string;
}

export interface ChangeSet {
  /** The base commit the analysis compares against (merge-base of base and head). */
  readonly base: string;
  readonly head: string;
  readonly files: readonly ChangedFile[];
}

/** A cluster of the fleet. */
export interface Cluster {
  readonly name: string;
  readonly nodes: number;
  readonly nodesAssumed: boolean;
  readonly stage: string;
  /** Position of the stage in promotion order (0 = earliest). */
  readonly stageIndex: number;
  /** Path globs (repository-relative) whose files this cluster receives. */
  readonly paths: readonly string[];
  readonly kubernetesVersion?: string;
  /** True for the implicit cluster `unmapped`. */
  readonly implicit?: boolean;
}

/** Where an object's finding lands, when a rule reports on an object. */
export interface ObjectLocation {
  readonly object: KubeObject;
  /** Path inside the object (relative to the object, not the document). Deepest existing prefix is used. */
  readonly path?: YamlPath;
  /** For a block scalar holding an embedded config: the 0-based line offset inside the block. */
  readonly innerLine?: number;
}

/** What a rule reports. The engine adds rule id, family, clusters, line and suppression. */
export interface RawFinding {
  /** Stable discriminator among findings of one rule on one object (container name, config path). Never holds line numbers or computed figures. */
  readonly key: string;
  readonly message: string;
  /** Defaults to the rule's `meta.remediation`. */
  readonly remediation?: string;
  /** Defaults to the rule's `meta.severity`. */
  readonly severity?: Severity;
  /** Where the finding points: an object and a path in it; absent for findings about the change as a whole. */
  readonly at?: ObjectLocation;
  /**
   * The object the finding is about, when it is not the one it points at (an agent's ConfigMap holds the
   * line; the DaemonSet is the resource at risk): gives `resource` and the clusters.
   */
  readonly about?: KubeObject;
  /** For findings not on an object: the file and 1-based line. */
  readonly file?: string;
  readonly line?: number;
  /** Overrides the clusters the engine derives from the object's file. */
  readonly clusters?: readonly string[];
  /** Free-form values for tests and reports (numbers of the load model, etc.). */
  readonly data?: Readonly<Record<string, unknown>>;
  /**
   * Set when the finding enforces a lock of the config: only the label `blast-radius-override:<id>` lifts
   * it (the ignore annotation, which the pull request itself could add, does not).
   */
  readonly lock?: { readonly id: string; readonly reason: string };
}

/** A finding as the report carries it (DESIGN.md contract), plus internal fields. */
export interface Finding {
  ruleId: string;
  family: Family;
  severity: Severity;
  message: string;
  remediation: string;
  file: string | null;
  line: number | null;
  resource: string | null;
  clusters: string[];
  suppressed: boolean;
  suppressedBy: string | null;
  /** Internal: the rule's discriminator (not in the JSON report). */
  key: string;
  /** Internal: extra values from the rule (not in the JSON report). */
  data?: Readonly<Record<string, unknown>>;
}

export interface ReportError {
  file: string;
  line: number;
  message: string;
}

export interface ReportCluster {
  name: string;
  nodes: number;
  nodesAssumed: boolean;
  stage: string;
  affected: boolean;
  /**
   * Seconds to wait after a change reaches this cluster before promoting it further: the longest time the
   * cluster's CoreDNS may answer from its cache (`cache` TTL plus `serve_stale`), when the repo's Corefile
   * for it is known. Absent otherwise.
   */
  bakeSeconds?: number;
}

/** Static description of a rule, used by the engine, the docs and SARIF. */
export interface RuleMeta {
  /** `<family>/<name>`, kebab-case. */
  readonly id: string;
  readonly family: Family;
  /** `state` rules judge a tree (run on base and head); `change` rules judge the change itself. */
  readonly type: 'state' | 'change';
  readonly severity: Severity;
  /** One sentence: "Flag …" / "Require …". */
  readonly description: string;
  /** Repository-relative path of the rule's doc page. */
  readonly docs: string;
  /** One imperative sentence ending with a period. */
  readonly remediation: string;
  /** Families or rule ids whose live head findings this rule needs (they run first). */
  readonly after?: readonly string[];
}

export interface Report {
  schemaVersion: 1;
  score: number;
  level: Level;
  findings: Finding[];
  clusters: ReportCluster[];
  errors: ReportError[];
  notes: string[];
  stats: { changedFiles: number; resources: number; unparsedFiles: number; durationMs: number };
}

/** What reports need beyond the JSON report: rule metadata (for SARIF) and the change's commits. */
export interface ReportContext {
  readonly rules: readonly RuleMeta[];
  readonly base?: string;
  readonly head?: string;
  /** The exit code the check returns for this report, and the fail-on level used. */
  readonly failOn: Level;
  readonly exitCode: number;
}
