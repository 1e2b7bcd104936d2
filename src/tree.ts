/**
 * Building the base and head trees: every YAML file parsed once per (path, content), so unchanged
 * files are parsed once and shared by both sides.
 */
import { listTreeAsync, streamBlobs, type TreeEntry } from './git.js';
import type { ChangeSet, KubeObject, ParsedFile, Tree } from './types.js';
import { isHelmTemplate, isYamlPath, MAX_FILE_BYTES, parseYamlFile } from './yaml/parse.js';
import { execFileSync } from 'node:child_process';
import { isUtf8 } from 'node:buffer';
import { isKustomizationPath, treeInputs } from './kustomize.js';
import { timed } from './timings.js';
import { cmp } from './util.js';

/** A file to put in a tree: its path, content, and (optionally) a content id. */
export interface FileInput {
  path: string;
  text: string;
  blob?: string;
  mode?: string;
}

type ParseCache = Map<string, ParsedFile>;

function parseOnce(cache: ParseCache, path: string, blob: string, text: string, hasFile: (p: string) => boolean): ParsedFile {
  const id = `${path}\u0000${blob}`;
  let f = cache.get(id);
  if (!f) {
    if (isHelmTemplate(path, text, hasFile)) {
      f = { path, blob, text, docs: [], objects: [], skipped: 'Helm chart template (rendered in a later stage)' };
    } else {
      f = timed('parse', () => parseYamlFile(path, blob, text));
    }
    cache.set(id, f);
  }
  return f;
}

function assemble(
  side: 'base' | 'head',
  commit: string,
  paths: string[],
  files: Map<string, ParsedFile>,
  readFile: (p: string) => string | null,
  readBytes?: (p: string) => Uint8Array | null,
  readMany?: (paths: readonly string[]) => Promise<Map<string, Uint8Array>>,
): Tree {
  // Patches and generator inputs of a kustomization are inputs, not objects (a partial DaemonSet in a
  // patch is not a DaemonSet). Marked per side: the parse cache is shared by both.
  const inputs = treeInputs({ files });
  const sorted = [...files.keys()].sort(cmp);
  const ordered = new Map<string, ParsedFile>();
  const objects: KubeObject[] = [];
  let parsedObjects = 0;
  for (const p of sorted) {
    let f = files.get(p)!;
    parsedObjects += f.objects.length;
    // A kustomization file configures a build; it is not applied to a cluster.
    const by = inputs.get(p) ?? (isKustomizationPath(p) && f.objects.length ? p : undefined);
    if (by) f = { ...f, objects: [], input: by };
    ordered.set(p, f);
    objects.push(...f.objects);
  }
  return { side, commit, files: ordered, objects, paths: paths.sort(cmp), parsedObjects, readFile, ...(readBytes ? { readBytes } : {}), ...(readMany ? { readMany } : {}) };
}

/**
 * Builds a tree from in-memory files (tests, fuzzing, and any caller that already has contents).
 * Pass the same `cache` to two calls to share parsed files between base and head.
 */
export function treeFromFiles(side: 'base' | 'head', files: readonly FileInput[], cache: ParseCache = new Map(), commit = side): Tree {
  const all = new Map(files.map((f) => [f.path, f] as const));
  const hasFile = (p: string) => all.has(p);
  const parsed = new Map<string, ParsedFile>();
  for (const f of files) {
    if (!isYamlPath(f.path) || f.mode === '120000') continue;
    parsed.set(f.path, parseOnce(cache, f.path, f.blob ?? `text:${f.text.length}:${hash(f.text)}`, f.text, hasFile));
  }
  const text = (p: string) => (all.get(p)?.mode === '120000' ? null : (all.get(p)?.text ?? null));
  const bytes = (p: string) => {
    const t = text(p);
    return t === null ? null : Buffer.from(t, 'utf8');
  };
  const many = async (paths: readonly string[]) => new Map(paths.flatMap((p) => (bytes(p) ? [[p, bytes(p)!] as const] : [])));
  return assemble(side, commit, [...all.keys()], parsed, text, bytes, many);
}

/** A cheap content hash for in-memory files (FNV-1a); git blob ids are used for real repositories. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16);
}

/**
 * Reads the base and head trees of a change from git, parsing each distinct YAML file once. Blobs stream
 * out of one `git cat-file --batch` and are parsed as they arrive, so git's reading overlaps with parsing.
 */
export async function readTrees(repo: string, changes: ChangeSet): Promise<{ base: Tree; head: Tree }> {
  const [headEntries, baseEntries] = await Promise.all([listTreeAsync(repo, changes.head), listTreeAsync(repo, changes.base)]);
  const wanted = (e: TreeEntry) => isYamlPath(e.path) && e.mode !== '120000' && e.size <= MAX_FILE_BYTES;
  const headPaths = new Map(headEntries.map((e) => [e.path, e] as const));
  const basePaths = new Map(baseEntries.map((e) => [e.path, e] as const));
  // Which paths (and sides) each blob is read for: the head's tree decides whether a path is a Helm
  // template; a path only on the base is judged with the base's.
  const byBlob = new Map<string, Array<{ path: string; has: (p: string) => boolean }>>();
  const hasHead = (p: string) => headPaths.has(p);
  const hasBase = (p: string) => basePaths.has(p);
  for (const [entries, has] of [[headEntries, hasHead], [baseEntries, hasBase]] as const) {
    for (const e of entries) {
      if (!wanted(e)) continue;
      const list = byBlob.get(e.blob) ?? byBlob.set(e.blob, []).get(e.blob)!;
      if (!list.some((x) => x.path === e.path)) list.push({ path: e.path, has });
    }
  }
  const cache: ParseCache = new Map();
  const texts = new Map<string, string>();
  await streamBlobs(repo, [...byBlob.keys()], (blob, content) => {
    const text = content.toString('utf8');
    // Bytes that are not UTF-8 would be read as U+FFFD and analysed as if written so: kubectl rejects them.
    // (Binary content, with NUL bytes, is parseYamlFile's to report; a Helm template is not YAML yet.)
    const invalid = !isUtf8(content) && !content.subarray(0, 8192).includes(0);
    texts.set(blob, text);
    for (const { path, has } of byBlob.get(blob) ?? []) {
      if (invalid && !isHelmTemplate(path, text, has)) {
        const at = text.indexOf('\uFFFD');
        const line = at < 0 ? 1 : text.slice(0, at).split('\n').length;
        cache.set(`${path}\u0000${blob}`, { path, blob, text, docs: [], objects: [], error: { line, message: 'the file is not valid UTF-8; not analysed' } });
      } else parseOnce(cache, path, blob, text, has);
    }
  });
  const build = (side: 'base' | 'head', commit: string, byPath: Map<string, TreeEntry>): Tree => {
    const files = new Map<string, ParsedFile>();
    for (const e of byPath.values()) {
      // Symlinks are never followed: their target may lie outside the repository.
      if (!isYamlPath(e.path) || e.mode === '120000') continue;
      if (e.size > MAX_FILE_BYTES) {
        files.set(e.path, { path: e.path, blob: e.blob, text: '', docs: [], objects: [], error: { line: 1, message: `file is ${e.size} bytes, above the ${MAX_FILE_BYTES}-byte limit; not analysed` } });
        continue;
      }
      const f = cache.get(`${e.path}\u0000${e.blob}`);
      if (f) files.set(e.path, f);
    }
    const readFile = (p: string): string | null => {
      const e = byPath.get(p);
      if (!e || e.mode === '120000') return null;
      const cached = texts.get(e.blob);
      if (cached !== undefined) return cached;
      try {
        return execFileSync('git', ['-C', repo, 'cat-file', 'blob', e.blob], { maxBuffer: MAX_FILE_BYTES * 4 }).toString('utf8');
      } catch {
        return null;
      }
    };
    const readBytes = (p: string): Uint8Array | null => {
      const e = byPath.get(p);
      if (!e || e.mode === '120000') return null;
      try {
        return execFileSync('git', ['-C', repo, 'cat-file', 'blob', e.blob], { maxBuffer: MAX_FILE_BYTES * 4 });
      } catch {
        return null;
      }
    };
    const readMany = async (paths: readonly string[]): Promise<Map<string, Uint8Array>> => {
      const byBlobPath = new Map<string, string[]>();
      for (const p of paths) {
        const e = byPath.get(p);
        if (!e || e.mode === '120000') continue;
        (byBlobPath.get(e.blob) ?? byBlobPath.set(e.blob, []).get(e.blob)!).push(p);
      }
      const out = new Map<string, Uint8Array>();
      if (byBlobPath.size) {
        await streamBlobs(repo, [...byBlobPath.keys()], (blob, content) => {
          for (const p of byBlobPath.get(blob) ?? []) out.set(p, content);
        });
      }
      return out;
    };
    return assemble(side, commit, [...byPath.keys()], files, readFile, readBytes, readMany);
  };
  return { base: build('base', changes.base, basePaths), head: build('head', changes.head, headPaths) };
}
