/**
 * Exact Helm rendering (issue 10): `helm template` on a chart that lives in the repository, offline, and
 * the attribution of rendered changes back to the values keys that caused them.
 *
 * Why it is safe to run the real tool on a pull request's chart:
 * - Offline. `helm template` never fetches a dependency unless asked to (`--dependency-update`, never
 *   passed here); a dependency that is not vendored makes it fail with "found in Chart.yaml, but missing
 *   in charts/ directory" (helm's action.CheckDependencies, by chart name). So before rendering,
 *   `missingDependencies` lists every dependency of the chart (and of its vendored subcharts, which helm
 *   itself does not check: a missing grandchild is silently left out, verified with helm v4.1.4) that is
 *   neither vendored under `charts/` (a directory or a `.tgz`, matched by the subchart's own Chart.yaml
 *   `name`, as helm's loader does; entries starting with `_` or `.` are skipped like helm's
 *   `strings.IndexAny(n, "_.") == 0`) nor a `file://` path inside the repository. The caller falls back
 *   to the values-level analysis for those. `file://` dependencies are what `helm dependency build` would
 *   copy into `charts/` (https://helm.sh/docs/helm/helm_dependency: "repository can be defined as the path
 *   to the directory of the dependency charts stored locally ... file://"); helm template does not resolve
 *   them by itself, so this module places the target chart's files under `charts/<name>/` of the copy.
 * - No plugins, no post-renderer, no network, no kubeconfig: `runTool` (tools.ts) gives helm a clean
 *   environment (HELM_CACHE_HOME / HELM_CONFIG_HOME / HELM_DATA_HOME in the workspace, HELM_PLUGINS an
 *   empty directory, proxies pointing at a closed port). The arguments are built here from validated
 *   parts only: the release name must be a DNS-1123 name of at most 53 characters (helm's own rule), the
 *   namespace a DNS-1123 label, the Kubernetes version `v1.2[.3]`; all flags come before `--`, so nothing
 *   from the repository is ever read as a flag (`--post-renderer`, `--set-file`, ...).
 * - No symlink followed out of the repository: the chart is rendered from a copy that `materialize`
 *   writes from the git tree's regular files (tools.ts).
 *
 * Flags (`helm template --help`, v4.1.4): `--namespace`, `-f` in order (later files win, as
 * https://helm.sh/docs/chart_template_guide/values_files says), `--kube-version` for
 * `.Capabilities.KubeVersion`, `--skip-tests` because test hooks run only under `helm test`, never as part
 * of the release. CRDs under `crds/` are left out (no `--include-crds`): the static analysis reads those
 * plain YAML files already. Each document of the output comes after a `# Source: <chart>/templates/x.yaml`
 * line (helm's `fmt.Fprintf(out, "---\n# Source: %s\n%s\n", ...)`); that is the `source` of each doc.
 *
 * Values files are written as JSON (valid YAML to helm): no YAML type guessing can turn `"on"` or `"012"`
 * into something else on the way.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import jsyaml from 'js-yaml';
import { cmp, errorMessage } from '../util.js';
import { LOAD_OPTIONS, objectRef } from '../yaml/parse.js';
import { asList, asMap, asString, expandedSize, getIn, NODE_BUDGET } from '../yaml/walk.js';
import { materialize, runTool, type RenderTool, type Workspace } from './tools.js';

export interface HelmChartInput {
  /** Repository path of the chart directory ('' or '.' for the repository root). */
  readonly chartDir: string;
  /**
   * Every file under chartDir, repo path → content (vendored `.tgz` subcharts as bytes, or as a latin1
   * string holding the bytes). May also hold the files of `file://` dependencies outside chartDir: those
   * are rendered as if `helm dependency build` had vendored them.
   */
  readonly files: ReadonlyMap<string, string | Uint8Array>;
  readonly release: { readonly name: string; readonly namespace: string | null };
  /** Values in order (Helm -f order): repository values files, or inline values (GitOps) written as synthetic files. */
  readonly values: ReadonlyArray<{ readonly name: string; readonly doc: Readonly<Record<string, unknown>> }>;
  readonly kubeVersion?: string;
}

export type ValuesPath = (string | number)[];

export interface Attribution {
  /** Per rendered object `Kind/namespace/name` (`Kind/name` when the template sets no namespace): the values paths whose change alters which of its fields. */
  byObject: Map<string, Array<{ valuesPath: ValuesPath; fieldPaths: ValuesPath[] }>>;
  /** Changed values paths that were not tried (past `maxKeys`) or whose trial render failed. */
  unattributed: ValuesPath[];
}

// ---------------------------------------------------------------------------------------------------------
// Chart layout and dependencies

/** Deepest chain of subcharts followed (vendored in vendored in ...); helm charts rarely go past 3. */
const MAX_CHART_DEPTH = 8;
/** Largest vendored archive read (decompressed), as helm's own loader limits a chart to 100 MiB. */
const MAX_ARCHIVE_BYTES = 100 * 1024 * 1024;
/** helm's release name rule (pkg/chartutil ValidateReleaseName): DNS-1123 subdomain, at most 53 characters. */
const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KUBE_VERSION = /^v?\d{1,3}\.\d{1,3}(\.\d{1,5})?([-+][0-9A-Za-z.-]{1,64})?$/;

type Content = string | Uint8Array;
type FileMap = ReadonlyMap<string, Content>;

interface Dependency {
  readonly name: string;
  readonly version: string;
  readonly repository: string;
}

/** One file of the copy to render: its content and where it goes, relative to the copy's chart root. */
interface Placement {
  readonly to: string;
  readonly text: Content;
}

interface Layout {
  readonly placements: Placement[];
  readonly missing: string[];
}

/** `a/b/` → `a/b`, `./a` → `a`, `.` → ''. */
function normDir(dir: string): string {
  const n = posix.normalize(dir.replace(/\\/g, '/')).replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

function under(dir: string, path: string): string | undefined {
  if (dir === '') return path;
  return path.startsWith(dir + '/') ? path.slice(dir.length + 1) : undefined;
}

function textOf(c: Content): string {
  return typeof c === 'string' ? c : Buffer.from(c).toString('utf8');
}

/** The bytes of a binary file: given as bytes, or as a latin1 string (one char per byte). */
function bytesOf(c: Content): Uint8Array | undefined {
  if (typeof c !== 'string') return c;
  // A string that holds a char above 0xFF was decoded (UTF-8 with replacement chars): the bytes are lost.
  for (let i = 0; i < c.length; i++) if (c.charCodeAt(i) > 0xff) return undefined;
  return Buffer.from(c, 'latin1');
}

function loadYaml(text: string): unknown {
  try {
    return jsyaml.load(text, LOAD_OPTIONS);
  } catch {
    return undefined;
  }
}

/** Chart.yaml `dependencies` (apiVersion v2), plus requirements.yaml's (apiVersion v1 charts). */
function dependenciesOf(chartYaml: unknown, requirements: unknown): Dependency[] {
  const out: Dependency[] = [];
  for (const src of [asMap(chartYaml)?.dependencies, asMap(requirements)?.dependencies]) {
    for (const d of asList(src)) {
      const m = asMap(d);
      const name = asString(m?.name);
      if (!m || !name) continue;
      out.push({ name, version: asString(m.version) ?? '', repository: asString(m.repository) ?? '' });
    }
  }
  return out;
}

function describe(where: string, d: Dependency, why: string): string {
  const version = d.version ? `@${d.version}` : '';
  return `${where}: dependency ${d.name}${version} (${d.repository || 'no repository'}) ${why}`;
}

/**
 * Reads a gzipped tar (a packaged chart) into path → bytes. Regular files only; GNU long names (`L`) and
 * PAX `path` records are honoured. Undefined for anything that is not a readable archive.
 */
function readTgz(bytes: Uint8Array): Map<string, Uint8Array> | undefined {
  let tar: Buffer;
  try {
    tar = gunzipSync(bytes, { maxOutputLength: MAX_ARCHIVE_BYTES });
  } catch {
    return undefined;
  }
  const out = new Map<string, Uint8Array>();
  const str = (b: Buffer, start: number, len: number): string => {
    const s = b.subarray(start, start + len);
    const nul = s.indexOf(0);
    return (nul >= 0 ? s.subarray(0, nul) : s).toString('utf8');
  };
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= tar.length) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const sizeField = str(header, 124, 12).trim();
    const size = /^[0-7]+$/.test(sizeField) ? parseInt(sizeField, 8) : NaN;
    if (!Number.isFinite(size) || size < 0) return undefined;
    const type = String.fromCharCode(header[156] || 0x30);
    const magic = str(header, 257, 6);
    const prefix = magic.startsWith('ustar') ? str(header, 345, 155) : '';
    const body = tar.subarray(off + 512, off + 512 + size);
    if (body.length < size) return undefined;
    let name = longName ?? (prefix ? `${prefix}/${str(header, 0, 100)}` : str(header, 0, 100));
    longName = undefined;
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0+$/, '');
    } else if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (m) longName = m[1];
    } else if (type === '0' || type === '\0' || type === '7') {
      name = name.replace(/^\.\//, '');
      out.set(name, new Uint8Array(body));
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

interface ChartCtx {
  /** Files of this chart's world: the repository, or one archive's entries. */
  readonly files: FileMap;
  /** True when `file://` may be resolved in `files` (the repository; not inside an archive). */
  readonly repo: boolean;
  /** Label of the world for messages (the archive's repo path), '' for the repository. */
  readonly label: string;
  /** Sorted paths of `files`, for prefix scans. */
  readonly paths: readonly string[];
}

function ctxOf(files: FileMap, repo: boolean, label: string): ChartCtx {
  return { files, repo, label, paths: [...files.keys()].sort(cmp) };
}

function filesUnder(ctx: ChartCtx, dir: string): string[] {
  return ctx.paths.filter((p) => under(dir, p) !== undefined);
}

/**
 * Checks the chart at `dir` of `ctx` (already placed at `dest` of the copy when `place` is false), places
 * its files when `place`, and recursively its subcharts and `file://` dependencies.
 */
function layoutChart(
  ctx: ChartCtx,
  dir: string,
  dest: string,
  place: boolean,
  depth: number,
  stack: readonly string[],
  out: Layout,
): void {
  const where = ctx.label ? `${ctx.label}:${dir}` : dir || '.';
  if (depth > MAX_CHART_DEPTH) {
    out.missing.push(`${where}: subcharts nested deeper than ${MAX_CHART_DEPTH} levels`);
    return;
  }
  const chartYamlText = ctx.files.get(dir ? `${dir}/Chart.yaml` : 'Chart.yaml');
  if (chartYamlText === undefined) {
    out.missing.push(`${where}: no Chart.yaml`);
    return;
  }
  if (place) {
    for (const p of filesUnder(ctx, dir)) {
      const raw = ctx.files.get(p) as Content;
      // A vendored archive given as a latin1 string is written as its bytes, so the copy is byte-exact.
      const text = typeof raw === 'string' && p.endsWith('.tgz') ? (bytesOf(raw) ?? raw) : raw;
      out.placements.push({ to: dest ? `${dest}/${under(dir, p)}` : (under(dir, p) as string), text });
    }
  }
  const requirements = ctx.files.get(dir ? `${dir}/requirements.yaml` : 'requirements.yaml');
  const deps = dependenciesOf(loadYaml(textOf(chartYamlText)), requirements === undefined ? undefined : loadYaml(textOf(requirements)));

  // Vendored subcharts, named by their own Chart.yaml, as helm's loader matches them.
  const vendored = new Set<string>();
  const chartsDir = dir ? `${dir}/charts` : 'charts';
  const entries = new Set<string>();
  for (const p of filesUnder(ctx, chartsDir)) entries.add((under(chartsDir, p) as string).split('/')[0]);
  const taken = new Set(entries);
  for (const entry of [...entries].sort(cmp)) {
    if (entry.startsWith('_') || entry.startsWith('.')) continue;
    const entryPath = `${chartsDir}/${entry}`;
    const entryDest = dest ? `${dest}/charts/${entry}` : `charts/${entry}`;
    if (entry.endsWith('.tgz')) {
      const raw = ctx.files.get(entryPath);
      const bytes = raw === undefined ? undefined : bytesOf(raw);
      const archive = bytes && readTgz(bytes);
      if (!archive) {
        out.missing.push(`${entryPath}: vendored chart archive is not readable${typeof raw === 'string' ? ' (given as text; its bytes are needed)' : ''}`);
        continue;
      }
      const top = [...archive.keys()].map((k) => k.split('/')[0]).sort(cmp)[0];
      const inner = ctxOf(archive, false, ctx.label ? `${ctx.label}:${entryPath}` : entryPath);
      const name = top === undefined ? undefined : asString(asMap(loadYaml(textOf(archive.get(`${top}/Chart.yaml`) ?? '')))?.name);
      if (!top || !name) {
        out.missing.push(`${entryPath}: vendored archive holds no Chart.yaml`);
        continue;
      }
      vendored.add(name);
      layoutChart(inner, top, entryDest, false, depth + 1, stack, out);
    } else {
      const sub = asMap(loadYaml(textOf(ctx.files.get(`${entryPath}/Chart.yaml`) ?? '')));
      const name = asString(sub?.name);
      if (!name) continue; // helm fails on it itself, with its own message
      vendored.add(name);
      layoutChart(ctx, entryPath, entryDest, false, depth + 1, stack, out);
    }
  }

  for (const d of deps) {
    if (vendored.has(d.name)) continue;
    if (!d.repository.startsWith('file://')) {
      out.missing.push(describe(where, d, 'is not vendored under charts/: rendering it would need the network'));
      continue;
    }
    const rel = d.repository.slice('file://'.length);
    const target = posix.normalize(posix.join(dir || '.', rel));
    if (!ctx.repo || rel.startsWith('/') || target === '..' || target.startsWith('../')) {
      out.missing.push(describe(where, d, ctx.repo ? 'points outside the repository' : 'is a file:// dependency inside an archive'));
      continue;
    }
    const targetDir = normDir(target);
    if (stack.includes(targetDir)) {
      out.missing.push(describe(where, d, 'forms a cycle of file:// dependencies'));
      continue;
    }
    if (!ctx.files.has(targetDir ? `${targetDir}/Chart.yaml` : 'Chart.yaml')) {
      out.missing.push(describe(where, d, `has no Chart.yaml at ${targetDir || '.'} among the files given`));
      continue;
    }
    // Where `helm dependency build` would put it; a fresh name when charts/ already holds one.
    let slot = d.name;
    for (let n = 2; taken.has(slot); n++) slot = `${d.name}-${n}`;
    taken.add(slot);
    layoutChart(ctx, targetDir, dest ? `${dest}/charts/${slot}` : `charts/${slot}`, true, depth + 1, [...stack, targetDir], out);
  }
}

function layout(input: HelmChartInput): Layout {
  const out: Layout = { placements: [], missing: [] };
  const dir = normDir(input.chartDir);
  layoutChart(ctxOf(input.files, true, ''), dir, '', true, 0, [dir], out);
  return out;
}

/** Dependencies of Chart.yaml (and of vendored subcharts) that are not vendored under charts/ (dir or .tgz) and not `file://` inside the repo: rendering needs the network, so the caller falls back. */
export function missingDependencies(input: HelmChartInput): string[] {
  try {
    return [...new Set(layout(input).missing)];
  } catch (e) {
    return [`${input.chartDir}: dependencies could not be read: ${errorMessage(e)}`];
  }
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

type RenderedDocs = Array<{ doc: Record<string, unknown>; source: string }>;

let seq = 0;
/** A fresh sub directory name of the workspace. */
function freshSub(ws: Workspace, stem: string): string {
  for (;;) {
    const sub = `${stem}-${process.pid}-${++seq}`;
    if (!existsSync(join(ws.dir, sub))) return sub;
  }
}

function checkRelease(input: HelmChartInput): string | undefined {
  const { name, namespace } = input.release;
  if (name.length > 53 || !RELEASE_NAME.test(name)) return `invalid release name ${JSON.stringify(name)}`;
  if (namespace !== null && (namespace.length > 63 || !NAMESPACE.test(namespace))) return `invalid namespace ${JSON.stringify(namespace)}`;
  if (input.kubeVersion !== undefined && !KUBE_VERSION.test(input.kubeVersion)) return `invalid Kubernetes version ${JSON.stringify(input.kubeVersion)}`;
  return undefined;
}

/** Splits `helm template` output into documents, each with the template it came from. */
export function parseTemplateOutput(stdout: string): { docs: RenderedDocs } | { error: string } {
  const docs: RenderedDocs = [];
  for (const chunk of stdout.split(/^---[ \t]*$/m)) {
    if (!chunk.trim()) continue;
    const source = /^# Source: (.*)$/m.exec(chunk)?.[1].trim() ?? '';
    let loaded: unknown[];
    try {
      loaded = jsyaml.loadAll(chunk, undefined, LOAD_OPTIONS);
    } catch (e) {
      return { error: `rendered YAML of ${source || 'the chart'} does not parse: ${errorMessage(e).split('\n')[0]}` };
    }
    for (const d of loaded) {
      const doc = asMap(d);
      if (!doc) continue;
      if (expandedSize(doc) > NODE_BUDGET) return { error: `rendered document of ${source || 'the chart'} is too large` };
      docs.push({ doc, source });
    }
  }
  return { docs };
}

interface Prepared {
  readonly ws: Workspace;
  readonly root: string;
  readonly chartPath: string;
  readonly chartDir: string;
}

/** Lays the chart out in a fresh copy; an error when a dependency is missing or a file is unusable. */
function prepare(ws: Workspace, input: HelmChartInput): Prepared | { error: string } {
  const bad = checkRelease(input);
  if (bad) return { error: bad };
  let lay: Layout;
  try {
    lay = layout(input);
  } catch (e) {
    return { error: `chart ${input.chartDir} could not be laid out: ${errorMessage(e)}` };
  }
  if (lay.missing.length > 0) return { error: `not rendered offline: ${[...new Set(lay.missing)].join('; ')}` };
  try {
    const sub = freshSub(ws, 'helm');
    const root = materialize(ws, lay.placements.map((p) => ({ path: `chart/${p.to}`, text: p.text })), sub);
    return { ws, root, chartPath: join(root, 'chart'), chartDir: normDir(input.chartDir) || '.' };
  } catch (e) {
    return { error: `chart ${input.chartDir} could not be copied: ${errorMessage(e)}` };
  }
}

function dispose(p: Prepared): void {
  try {
    rmSync(p.root, { recursive: true, force: true });
  } catch {
    // The workspace's cleanup removes it at the end anyway.
  }
}

/** Renders the prepared chart with these values files (in -f order). */
async function render(
  helm: RenderTool,
  p: Prepared,
  input: HelmChartInput,
  values: ReadonlyArray<{ readonly name: string; readonly doc: Readonly<Record<string, unknown>> }>,
  timeoutMs: number,
): Promise<{ docs: RenderedDocs } | { error: string }> {
  let valuesRoot: string;
  const names: string[] = [];
  try {
    const sub = freshSub(p.ws, 'values');
    valuesRoot = materialize(
      p.ws,
      values.map((v, i) => {
        names.push(`values-${i}.json`);
        return { path: `values-${i}.json`, text: JSON.stringify(v.doc) };
      }),
      sub,
    );
  } catch (e) {
    return { error: `values could not be written: ${errorMessage(e)}` };
  }
  const args = ['template', '--skip-tests'];
  if (input.release.namespace !== null) args.push(`--namespace=${input.release.namespace}`);
  if (input.kubeVersion !== undefined) args.push(`--kube-version=${input.kubeVersion}`);
  for (const n of names) args.push('--values', join(valuesRoot, n));
  args.push('--', input.release.name, p.chartPath);
  try {
    const run = await runTool(helm, args, { cwd: p.root, workspace: p.ws, timeoutMs });
    if (!run.ok) {
      // Temp paths mean nothing to the reader: name the chart's repository path and the values' names.
      let msg = run.stderr.trim() || run.stdout.trim().slice(-2000);
      msg = msg.split(p.chartPath).join(p.chartDir);
      values.forEach((v, i) => (msg = msg.split(join(valuesRoot, names[i])).join(v.name)));
      const why = run.timedOut ? `timed out after ${timeoutMs} ms` : `failed (exit ${run.code ?? 'signal'})`;
      return { error: `helm template of ${p.chartDir} ${why}${msg ? `: ${msg.slice(0, 4000)}` : ''}` };
    }
    return parseTemplateOutput(run.stdout);
  } catch (e) {
    return { error: `helm template of ${p.chartDir} could not run: ${errorMessage(e)}` };
  } finally {
    try {
      rmSync(valuesRoot, { recursive: true, force: true });
    } catch {
      // Left to the workspace's cleanup.
    }
  }
}

/** `helm template <release> <chart> --namespace ns -f v1 -f v2 … [--kube-version]` (never --dependency-update, never --post-renderer, no plugins), output parsed into docs with the template path each came from (`# Source: <chart>/templates/x.yaml`). */
export async function helmTemplate(
  helm: RenderTool,
  ws: Workspace,
  input: HelmChartInput,
  timeoutMs: number,
): Promise<{ docs: Array<{ doc: Record<string, unknown>; source: string }> } | { error: string }> {
  const p = prepare(ws, input);
  if ('error' in p) return p;
  try {
    return await render(helm, p, input, input.values, timeoutMs);
  } finally {
    dispose(p);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Attribution

const MAX_DIFF_DEPTH = 64;

function isEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (depth > MAX_DIFF_DEPTH || a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => isEqual(x, b[i], depth + 1));
  const ma = a as Record<string, unknown>;
  const mb = b as Record<string, unknown>;
  const ka = Object.keys(ma);
  if (ka.length !== Object.keys(mb).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(mb, k) && isEqual(ma[k], mb[k], depth + 1));
}

/**
 * The leaf paths where `a` and `b` differ, in sorted key order: mappings are compared key by key, lists of
 * the same length item by item; anything else (a list that grew, a type change, a key added or removed)
 * is one leaf. Stops at `limit` paths.
 */
export function differingPaths(a: unknown, b: unknown, limit = 10_000): ValuesPath[] {
  const out: ValuesPath[] = [];
  const go = (x: unknown, y: unknown, path: ValuesPath, depth: number): void => {
    if (out.length >= limit || isEqual(x, y)) return;
    const mx = asMap(x);
    const my = asMap(y);
    if (mx && my && depth < MAX_DIFF_DEPTH) {
      const keys = [...new Set([...Object.keys(mx), ...Object.keys(my)])].sort(cmp);
      for (const k of keys) go(Object.prototype.hasOwnProperty.call(mx, k) ? mx[k] : undefined, Object.prototype.hasOwnProperty.call(my, k) ? my[k] : undefined, [...path, k], depth + 1);
      return;
    }
    if (Array.isArray(x) && Array.isArray(y) && x.length === y.length && depth < MAX_DIFF_DEPTH) {
      x.forEach((item, i) => go(item, y[i], [...path, i], depth + 1));
      return;
    }
    out.push(path);
  };
  go(a, b, [], 0);
  return out;
}

/** `doc` with the value at `path` replaced by `value` (removed when undefined); copies only along the path. */
function withValue(doc: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [step, ...rest] = path;
  if (Array.isArray(doc) && typeof step === 'number') {
    const copy = [...doc];
    copy[step] = withValue(doc[step], rest, value);
    return copy;
  }
  const map = asMap(doc) ?? {};
  const copy: Record<string, unknown> = { ...map };
  const key = String(step);
  const next = withValue(Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined, rest, value);
  if (next === undefined) delete copy[key];
  else copy[key] = next;
  return copy;
}

/** Rendered docs grouped by object ref; a ref rendered twice keeps both, in output order. */
function byRef(docs: RenderedDocs): Map<string, Record<string, unknown>[]> {
  const out = new Map<string, Record<string, unknown>[]>();
  for (const { doc } of docs) {
    const meta = asMap(doc.metadata);
    const ns = asString(meta?.namespace);
    const ref = objectRef(asString(doc.kind) ?? '', ns ? ns : null, asString(meta?.name) ?? '');
    const list = out.get(ref);
    if (list) list.push(doc);
    else out.set(ref, [doc]);
  }
  return out;
}

/** Field paths that differ per object between two renderings; a whole object added or removed is `[]`. */
function objectDiffs(a: Map<string, Record<string, unknown>[]>, b: Map<string, Record<string, unknown>[]>): Map<string, ValuesPath[]> {
  const out = new Map<string, ValuesPath[]>();
  for (const ref of [...new Set([...a.keys(), ...b.keys()])].sort(cmp)) {
    const xs = a.get(ref) ?? [];
    const ys = b.get(ref) ?? [];
    const paths: ValuesPath[] = [];
    for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
      if (i >= xs.length || i >= ys.length) paths.push([]);
      else paths.push(...differingPaths(xs[i], ys[i]));
    }
    const seen = new Set<string>();
    const unique = paths.filter((p) => {
      const k = JSON.stringify(p);
      return seen.has(k) ? false : (seen.add(k), true);
    });
    if (unique.length > 0) out.set(ref, unique);
  }
  return out;
}

function startsWith(path: ValuesPath, prefix: ValuesPath): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => s === path[i]);
}

/** Runs `tasks` at most `limit` at a time; results in task order. */
async function pool<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/**
 * Which values keys make which rendered fields differ: for each leaf path that differs between the merged
 * base and head values (at most `maxKeys`, the rest reported as not attributed), render head with that one
 * path set back to its base value (or removed), and diff the rendered objects against head's rendering.
 * Returns, per object `Kind/namespace/name`, the values paths whose change alters each rendered field path.
 *
 * `base` and `head` are the merged values (they replace `input.values`; the chart's values.yaml stays
 * beneath them as helm puts it). Head is rendered twice: fields that differ between two renderings of the
 * same values (`randAlphaNum`, `now`, generated certificates) are noise and never attributed. So the renders
 * are 2 + min(changed paths, maxKeys), two at a time, and the result does not depend on their timing: paths
 * are tried in sorted order and each object's list follows that order. A key whose effect shows only with
 * another changed key (`if and .a .b`) is still found: reverting either one alone changes the rendering.
 */
export async function attributeChanges(
  helm: RenderTool,
  ws: Workspace,
  input: HelmChartInput,
  base: Readonly<Record<string, unknown>>,
  head: Readonly<Record<string, unknown>>,
  opts: { timeoutMs: number; maxKeys: number },
): Promise<{ byObject: Map<string, Array<{ valuesPath: (string | number)[]; fieldPaths: (string | number)[][] }>>; unattributed: (string | number)[][] } | { error: string }> {
  let changed: ValuesPath[];
  try {
    changed = differingPaths(base, head);
  } catch (e) {
    return { error: `values could not be compared: ${errorMessage(e)}` };
  }
  const max = Math.max(0, Math.floor(Number.isFinite(opts.maxKeys) ? opts.maxKeys : 0));
  const tried = changed.slice(0, max);
  const unattributed: ValuesPath[] = changed.slice(max);
  const byObject = new Map<string, Array<{ valuesPath: ValuesPath; fieldPaths: ValuesPath[] }>>();
  if (tried.length === 0) return { byObject, unattributed };

  const p = prepare(ws, input);
  if ('error' in p) return p;
  try {
    const one = (doc: unknown) => () => render(helm, p, input, [{ name: 'values', doc: asMap(doc) ?? {} }], opts.timeoutMs);
    const [h1, h2] = await pool([one(head), one(head)], 2);
    if ('error' in h1) return h1;
    if ('error' in h2) return h2;
    const results = await pool(tried.map((path) => one(withValue(head, path, getIn(base, path)))), 2);
    const headRefs = byRef(h1.docs);
    const noise = objectDiffs(headRefs, byRef(h2.docs));
    tried.forEach((valuesPath, i) => {
      const r = results[i];
      if ('error' in r) {
        unattributed.push(valuesPath);
        return;
      }
      for (const [ref, fields] of objectDiffs(headRefs, byRef(r.docs))) {
        const noisy = noise.get(ref) ?? [];
        const kept = fields.filter((f) => !noisy.some((n) => startsWith(f, n)));
        if (kept.length === 0) continue;
        const list = byObject.get(ref);
        const entry = { valuesPath: [...valuesPath], fieldPaths: kept };
        if (list) list.push(entry);
        else byObject.set(ref, [entry]);
      }
    });
    return { byObject, unattributed };
  } catch (e) {
    return { error: `attribution failed: ${errorMessage(e)}` };
  } finally {
    dispose(p);
  }
}
