/**
 * Exact Kustomize builds (issue 10): `kubectl kustomize <overlay>` on a private copy of the overlay's
 * files, so each cluster's objects come out exactly as the real tool makes them (patches, images,
 * namespaces, generators, name references), instead of src/kustomize.ts's static model.
 *
 * The build runs with kustomize's safe defaults, and never with the flags that would widen them:
 * no `--enable-helm` (the Helm chart inflator runs `helm` with network access), no
 * `--enable-alpha-plugins` / `--enable-exec` (exec KRM functions and legacy plugins run programs named by
 * the repository; kubectl's kustomize does not even offer `--enable-exec`, and without alpha plugins an
 * exec function in `transformers:` fails the build with "external plugins disabled"), and the default
 * load restrictor `LoadRestrictionsRootOnly` (a kustomization reads files only under its own directory;
 * bases are other kustomization directories). Overlays written for Flux, whose kustomize-controller builds
 * with `LoadRestrictionsNone`, may fail here: the caller then keeps the static build.
 *
 * Remote references are refused before anything runs. Kustomize fetches any path it loads that is an
 * http(s) URL (kustomize api/loader/fileloader.go `IsRemoteFile`) and clones git repositories for remote
 * bases with the `git` on PATH. tools.ts's environment already makes such fetches fail (proxy on a closed
 * port, no git on PATH), except for one case: Go never sends requests for `localhost` or a loopback
 * address through a proxy, so a `http://127.0.0.1:…` resource would be fetched from this machine. Hence
 * `remoteKustomizeRefs` here, which the caller also uses to say in a note why an overlay was not rendered.
 */
import { join, posix } from 'node:path';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import jsyaml from 'js-yaml';
import { isKustomizationPath } from '../kustomize.js';
import { LOAD_OPTIONS } from '../yaml/parse.js';
import { asList, asMap, asString } from '../yaml/walk.js';
import { materialize, runTool, type RenderTool, type Workspace } from './tools.js';

/** A URL of any scheme (http, https, ssh, file, git, oci …). */
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
/** go-getter / kustomize repo spec forms without a scheme. */
const GIT_LIKE = /^(git::|gh:|git@|[a-z0-9.-]+\.[a-z]{2,}(:\d+)?\/[^/]+\/)/i;

/** The strings of a kustomization that kustomize loads as paths (files or directories). */
function loadedPaths(doc: Record<string, unknown>): Array<{ field: string; value: string }> {
  const out: Array<{ field: string; value: string }> = [];
  const add = (field: string, v: unknown) => {
    const s = asString(v);
    // A value with a newline is inline YAML (allowed in transformers / generators / patches), not a path.
    if (s !== undefined && s.length > 0 && !s.includes('\n')) out.push({ field, value: s.trim() });
  };
  for (const key of ['resources', 'bases', 'components', 'crds', 'configurations', 'generators', 'transformers', 'validators', 'patchesStrategicMerge']) {
    for (const e of asList(doc[key])) add(key, e);
  }
  for (const key of ['patches', 'patchesJson6902', 'replacements']) {
    for (const e of asList(doc[key])) {
      add(key, e);
      add(key, asMap(e)?.path);
    }
  }
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    for (const g of asList(doc[key])) {
      const m = asMap(g);
      for (const f of [...asList(m?.files), ...asList(m?.envs), m?.env]) {
        const s = asString(f);
        // `files` entries may be `key=path`.
        if (s !== undefined) add(key, s.slice(s.indexOf('=') + 1));
      }
    }
  }
  add('openapi', asMap(doc.openapi)?.path);
  // The Helm chart inflator downloads charts from `repo` (and needs --enable-helm, which is never given).
  for (const c of asList(doc.helmCharts)) add('helmCharts', asMap(c)?.repo);
  return out;
}

/** True when `files` holds `path` itself or anything under it (a local file or directory). */
function existsLocally(files: ReadonlyMap<string, string>, path: string): boolean {
  if (files.has(path)) return true;
  const prefix = path === '' ? '' : `${path}/`;
  for (const f of files.keys()) if (f.startsWith(prefix)) return true;
  return false;
}

/**
 * The local paths a kustomization loads, resolved to repository paths (the kustomization at `path`);
 * `outside` lists those that climb out of the repository (`../../..` past its root): kustomize's load
 * restrictor limits files, not the directories of further kustomizations, so a build would read them.
 */
export function localKustomizeRefs(path: string, doc: Record<string, unknown>): { inside: string[]; outside: string[] } {
  const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
  const inside: string[] = [];
  const outside: string[] = [];
  for (const { value } of loadedPaths(doc)) {
    if (URL_LIKE.test(value)) continue;
    const clean = value.split('?')[0] ?? value;
    if (posix.isAbsolute(clean)) {
      outside.push(value);
      continue;
    }
    const resolved = posix.normalize(posix.join(dir || '.', clean)).replace(/\/+$/, '');
    if (resolved === '..' || resolved.startsWith('../')) outside.push(value);
    else inside.push(resolved === '.' ? '' : resolved);
  }
  return { inside, outside };
}

/** The kustomizations among `files`, parsed (one that does not parse fails kustomize too: nothing is loaded). */
function* kustomizations(files: ReadonlyMap<string, string>): Generator<[string, Record<string, unknown>]> {
  for (const [path, text] of files) {
    if (!isKustomizationPath(path)) continue;
    let doc: Record<string, unknown> | undefined;
    try {
      doc = asMap(jsyaml.load(text, LOAD_OPTIONS));
    } catch {
      continue;
    }
    if (doc) yield [path, doc];
  }
}

/** Paths of the kustomizations in `files` that leave the repository (absolute, or `..` past its root). */
export function escapingKustomizeRefs(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [path, doc] of kustomizations(files)) for (const v of localKustomizeRefs(path, doc).outside) if (!out.includes(v)) out.push(v);
  return out;
}

/** Remote resources / components / bases (URLs, git refs) of the kustomizations in `files`: rendering those would reach the network. */
export function remoteKustomizeRefs(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [path, doc] of kustomizations(files)) {
    const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
    for (const { value } of loadedPaths(doc)) {
      let remote = URL_LIKE.test(value);
      if (!remote && GIT_LIKE.test(value)) {
        // `github.com/org/repo/dir?ref=v1` is a remote base, but so could a local dir named like a host
        // be: a path that exists in the copy is local (kustomize also tries the local path first).
        const local = posix.normalize(posix.join(dir || '.', value.split('?')[0] ?? value)).replace(/\/+$/, '');
        remote = !existsLocally(files, local === '.' ? '' : local);
      }
      if (remote && !out.includes(value)) out.push(value);
    }
  }
  return out;
}

let builds = 0;

/** `kubectl kustomize <root>` on materialized files (no --enable-helm, no --enable-alpha-plugins, no --enable-exec, default load restrictor), parsed with js-yaml (src/yaml/parse.ts LOAD_OPTIONS). */
export async function kustomizeBuild(
  kubectl: RenderTool,
  ws: Workspace,
  root: string,
  files: ReadonlyMap<string, string>,
  timeoutMs: number,
  /** The repository files already written under this directory (by materialize) for several builds of one side: neither written nor removed here. */
  materialized?: string,
): Promise<{ docs: Record<string, unknown>[] } | { error: string }> {
  const overlay = root === '.' ? '' : root.replace(/\/+$/, '');
  if (overlay.startsWith('/') || overlay.split('/').includes('..') || overlay.includes('\0')) return { error: `overlay path ${JSON.stringify(root)} refused` };
  if (!['kustomization.yaml', 'kustomization.yml', 'Kustomization'].some((n) => files.has(overlay ? `${overlay}/${n}` : n))) {
    return { error: `no kustomization file in ${overlay || '.'}` };
  }
  const remote = remoteKustomizeRefs(files);
  if (remote.length) return { error: `refers to remote resources (${remote.join(', ')}), which would need the network` };
  const escaping = escapingKustomizeRefs(files);
  if (escaping.length) return { error: `refers to paths outside the repository (${escaping.join(', ')})` };

  // A fresh dir per build unless the caller wrote one side's files once for all its builds: base and head
  // never see each other's files.
  const sub = `kustomize-${++builds}-${randomBytes(4).toString('hex')}`;
  let repoRoot: string;
  if (materialized) repoRoot = materialized;
  else {
    try {
      repoRoot = materialize(ws, [...files].map(([path, text]) => ({ path, text })), sub);
    } catch (e) {
      rmSync(join(ws.dir, sub), { recursive: true, force: true });
      return { error: e instanceof Error ? e.message : String(e) };
    }
  }
  try {
    const target = overlay ? join(repoRoot, overlay) : repoRoot;
    const run = await runTool(kubectl, ['kustomize', target], { cwd: repoRoot, workspace: ws, timeoutMs });
    if (!run.ok) {
      const detail = run.stderr.trim().replace(/\s+/g, ' ').slice(0, 2000) || `exit ${String(run.code)}`;
      // Paths in the message are the temp copy's: show them as repository paths.
      return { error: `kubectl kustomize failed: ${detail.split(`${repoRoot}/`).join('').split(repoRoot).join('.')}` };
    }
    let loaded: unknown[];
    try {
      loaded = jsyaml.loadAll(run.stdout, undefined, LOAD_OPTIONS);
    } catch (e) {
      return { error: `kubectl kustomize output did not parse: ${e instanceof Error ? e.message : String(e)}` };
    }
    const docs: Record<string, unknown>[] = [];
    for (const d of loaded) {
      const m = asMap(d);
      if (m) docs.push(m);
    }
    return { docs };
  } finally {
    if (!materialized) rmSync(repoRoot, { recursive: true, force: true });
  }
}
