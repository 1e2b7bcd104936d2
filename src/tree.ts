/**
 * Building the base and head trees: every YAML file parsed once per (path, content), so unchanged
 * files are parsed once and shared by both sides.
 */
import { listTree, readBlobs, type TreeEntry } from './git.js';
import type { ChangeSet, KubeObject, ParsedFile, Tree } from './types.js';
import { isHelmTemplate, isYamlPath, MAX_FILE_BYTES, parseYamlFile } from './yaml/parse.js';
import { execFileSync } from 'node:child_process';
import { treeInputs } from './kustomize.js';
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
      f = parseYamlFile(path, blob, text);
    }
    cache.set(id, f);
  }
  return f;
}

function assemble(side: 'base' | 'head', commit: string, paths: string[], files: Map<string, ParsedFile>, readFile: (p: string) => string | null): Tree {
  // Patches and generator inputs of a kustomization are inputs, not objects (a partial DaemonSet in a
  // patch is not a DaemonSet). Marked per side: the parse cache is shared by both.
  const inputs = treeInputs({ files });
  const sorted = [...files.keys()].sort(cmp);
  const ordered = new Map<string, ParsedFile>();
  const objects: KubeObject[] = [];
  for (const p of sorted) {
    let f = files.get(p)!;
    const by = inputs.get(p);
    if (by) f = { ...f, objects: [], input: by };
    ordered.set(p, f);
    objects.push(...f.objects);
  }
  return { side, commit, files: ordered, objects, paths: paths.sort(cmp), readFile };
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
  return assemble(side, commit, [...all.keys()], parsed, (p) => all.get(p)?.text ?? null);
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

/** Reads the base and head trees of a change from git, parsing each distinct YAML file once. */
export function readTrees(repo: string, changes: ChangeSet): { base: Tree; head: Tree } {
  const headEntries = listTree(repo, changes.head);
  const baseEntries = listTree(repo, changes.base);
  const wanted = (e: TreeEntry) => isYamlPath(e.path) && e.mode !== '120000' && e.size <= MAX_FILE_BYTES;
  const blobs = readBlobs(repo, [...headEntries, ...baseEntries].filter(wanted).map((e) => e.blob));
  const cache: ParseCache = new Map();
  const build = (side: 'base' | 'head', commit: string, entries: TreeEntry[]): Tree => {
    const byPath = new Map(entries.map((e) => [e.path, e] as const));
    const hasFile = (p: string) => byPath.has(p);
    const files = new Map<string, ParsedFile>();
    for (const e of entries) {
      // Symlinks are never followed: their target may lie outside the repository.
      if (!isYamlPath(e.path) || e.mode === '120000') continue;
      if (e.size > MAX_FILE_BYTES) {
        files.set(e.path, { path: e.path, blob: e.blob, text: '', docs: [], objects: [], error: { line: 1, message: `file is ${e.size} bytes, above the ${MAX_FILE_BYTES}-byte limit; not analysed` } });
        continue;
      }
      const buf = blobs.get(e.blob);
      if (!buf) continue;
      files.set(e.path, parseOnce(cache, e.path, e.blob, buf.toString('utf8'), hasFile));
    }
    const readFile = (p: string): string | null => {
      const e = byPath.get(p);
      if (!e || e.mode === '120000') return null;
      const cached = blobs.get(e.blob);
      if (cached) return cached.toString('utf8');
      try {
        return execFileSync('git', ['-C', repo, 'cat-file', 'blob', e.blob], { maxBuffer: MAX_FILE_BYTES * 4 }).toString('utf8');
      } catch {
        return null;
      }
    };
    return assemble(side, commit, [...byPath.keys()], files, readFile);
  };
  return { base: build('base', changes.base, baseEntries), head: build('head', changes.head, headEntries) };
}
