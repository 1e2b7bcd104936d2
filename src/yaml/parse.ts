/**
 * Bulk parsing with js-yaml (about 10× faster than `yaml` on this workload). Lines for findings come
 * from `yaml` in lines.ts, only for the files that carry findings.
 */
import jsyaml from 'js-yaml';
import type { KubeObject, ParsedFile, YamlPath } from '../types.js';
import { asMap, asString, expandedSize, NODE_BUDGET } from './walk.js';

/** Files larger than this are not parsed (a changed one becomes an error entry). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** Deepest nesting accepted (js-yaml's own guard; legitimate manifests stay far below it). */
export const MAX_DEPTH = 100;

// json: true makes a duplicate key override the earlier one (last wins, as Helm and kubectl do) instead
// of failing the whole file. maxDepth exists in js-yaml >= 4.1.1 but is missing from @types/js-yaml.
// The schema: YAML 1.2 core types plus merge keys (`<<`), as Kubernetes' YAML reader (go-yaml) resolves
// them; timestamps stay strings (go-yaml turns them back into RFC 3339 strings in JSON anyway), and the
// other YAML 1.1 types (binary, omap, pairs, set) are not Kubernetes'. Fewer implicit types also means
// fewer regular expressions run on every plain scalar.
// (`types` is exported by js-yaml 4 but missing from @types/js-yaml.)
const SCHEMA = jsyaml.CORE_SCHEMA.extend([(jsyaml as unknown as { types: { merge: jsyaml.Type } }).types.merge]);
/** js-yaml options for every document the engine loads: last of duplicate keys wins, bounded depth. */
export const LOAD_OPTIONS = { json: true, maxDepth: MAX_DEPTH, schema: SCHEMA } as jsyaml.LoadOptions;

const YAML_FILE = /\.ya?ml$/i;

/** True for paths the engine reads as YAML. */
export function isYamlPath(path: string): boolean {
  return YAML_FILE.test(path);
}

/** `Kind/namespace/name`, or `Kind/name` without a namespace. */
export function objectRef(kind: string, namespace: string | null, name: string): string {
  return namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}

function makeObject(
  doc: Record<string, unknown>,
  file: string,
  docIndex: number,
  docPath: YamlPath,
): KubeObject | undefined {
  const apiVersion = asString(doc.apiVersion);
  const kind = asString(doc.kind);
  if (!apiVersion || !kind) return undefined;
  const metadata = asMap(doc.metadata);
  const name = asString(metadata?.name) ?? asString(metadata?.generateName) ?? '';
  const ns = asString(metadata?.namespace);
  const namespace = ns && ns.length > 0 ? ns : null;
  return { apiVersion, kind, name, namespace, ref: objectRef(kind, namespace, name), doc, file, docIndex, docPath, unit: '.' };
}

/** Kubernetes objects of one document: the document itself, or the items of a `List`. */
export function objectsOfDocument(doc: unknown, file: string, docIndex: number): KubeObject[] {
  const map = asMap(doc);
  if (!map) return [];
  const kind = asString(map.kind);
  if (kind && /List$/.test(kind) && Array.isArray(map.items)) {
    const out: KubeObject[] = [];
    map.items.forEach((item, i) => {
      const m = asMap(item);
      const o = m && makeObject(m, file, docIndex, ['items', i]);
      if (o) out.push(o);
    });
    return out;
  }
  const o = makeObject(map, file, docIndex, []);
  return o ? [o] : [];
}

/** Looks like binary content: a NUL byte in the first 8 KiB. */
function looksBinary(text: string): boolean {
  return text.slice(0, 8192).includes('\u0000');
}

/**
 * True for a Helm chart template: a file under `templates/` of a directory that has a `Chart.yaml`
 * (checked with `hasFile`), or any `templates/` file with Go template braces.
 */
export function isHelmTemplate(path: string, text: string, hasFile: (p: string) => boolean): boolean {
  const parts = path.split('/');
  const t = parts.lastIndexOf('templates');
  if (t < 0) return false;
  const chartDir = parts.slice(0, t).join('/');
  if (hasFile(chartDir ? `${chartDir}/Chart.yaml` : 'Chart.yaml')) return true;
  return text.includes('{{');
}

function parseError(e: unknown): { line: number; message: string } {
  const err = e as { mark?: { line?: number }; reason?: string; message?: string };
  const line = typeof err.mark?.line === 'number' ? err.mark.line + 1 : 1;
  return { line, message: `YAML parse error: ${err.reason ?? err.message ?? String(e)}` };
}

/** Loads the documents of `text` one at a time (split at `---` lines) until the first that fails. */
function loadUntilError(text: string, docs: unknown[]): void {
  const lines = text.split('\n');
  let start = 0;
  const flush = (end: number): boolean => {
    const chunk = lines.slice(start, end).join('\n');
    try {
      const loaded: unknown[] = [];
      jsyaml.loadAll(chunk, (d) => loaded.push(d), LOAD_OPTIONS);
      docs.push(...loaded);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 1; i < lines.length; i++) {
    if (/^---(\s|$)/.test(lines[i])) {
      if (!flush(i)) return;
      start = i;
    }
  }
}

/**
 * Parses one YAML file. Never throws: a file that fails becomes a ParsedFile with `error` (1-based line),
 * keeping the documents that parsed before the failure.
 */
export function parseYamlFile(path: string, blob: string, text: string): ParsedFile {
  const base = { path, blob, text };
  if (text.length > MAX_FILE_BYTES) {
    return { ...base, docs: [], objects: [], error: { line: 1, message: `file is ${text.length} bytes, above the ${MAX_FILE_BYTES}-byte limit; not analysed` } };
  }
  if (looksBinary(text)) {
    return { ...base, docs: [], objects: [], error: { line: 1, message: 'binary content in a YAML file; not analysed' } };
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const docs: unknown[] = [];
  let error: ParsedFile['error'];
  try {
    jsyaml.loadAll(body, (d) => docs.push(d), LOAD_OPTIONS);
  } catch (e) {
    error = parseError(e);
    // js-yaml parses every document before handing any over: load the documents one by one so the
    // ones before the broken document are still analysed.
    docs.length = 0;
    loadUntilError(body, docs);
  }
  const objects: KubeObject[] = [];
  // Without an anchor (`&name`) used through an alias (`*name`) nothing can expand: skip the check.
  const mayAlias = body.includes('&') && /(^|[\s[{,:-])\*[^\s,\]}'"]/m.test(body);
  for (let i = 0; i < docs.length; i++) {
    if (mayAlias && expandedSize(docs[i]) > NODE_BUDGET) {
      // An alias bomb: keep none of it, so no later walk can be fooled into expanding it.
      error ??= { line: 1, message: `document ${i + 1} expands to more than ${NODE_BUDGET} nodes through aliases (an alias bomb); not analysed` };
      docs.length = i;
      break;
    }
    const d = asMap(docs[i]);
    const name = asMap(d?.metadata)?.name;
    if (d && asString(d.apiVersion) && asString(d.kind) && name !== undefined && name !== null && asString(name) === undefined) {
      // `name: {{ .Release.Name }}` is YAML (a mapping as a key) but no Kubernetes object: a Helm template
      // outside a chart's templates/, which kubectl rejects too.
      const braces = /\{\{/.exec(body);
      error ??= {
        line: braces ? body.slice(0, braces.index).split('\n').length : 1,
        message: braces
          ? `document ${i + 1} holds Go template expressions ({{ … }}): a Helm template outside a chart's templates/ directory; not analysed`
          : `document ${i + 1} has a metadata.name that is not a string; not analysed`,
      };
      continue;
    }
    objects.push(...objectsOfDocument(docs[i], path, i));
  }
  return error ? { ...base, docs, objects, error } : { ...base, docs, objects };
}

/**
 * Where a file repeats a mapping key (the first place), or undefined. Files are read last-wins, as kubectl
 * and helm read them; a strict second parse finds the repeats, so it runs only on the files a change
 * touches (for a note), never on the whole tree.
 */
export function duplicateKey(f: ParsedFile): { line: number; key: string } | undefined {
  if (f.error || f.skipped || !f.text) return undefined;
  try {
    jsyaml.loadAll(f.text.charCodeAt(0) === 0xfeff ? f.text.slice(1) : f.text, () => undefined, { ...LOAD_OPTIONS, json: false });
    return undefined;
  } catch (e) {
    const err = e as { mark?: { line?: number }; reason?: string };
    if (!err.reason?.includes('duplicated mapping key')) return undefined;
    const line = typeof err.mark?.line === 'number' ? err.mark.line + 1 : 1;
    const key = /^\s*(?:-\s+)?["']?([^"':]+)["']?\s*:/.exec(f.text.split('\n')[line - 1] ?? '')?.[1]?.trim() ?? '?';
    return { line, key };
  }
}

/** A plain YAML 1.1 boolean or octal (`yes`, `on`, `off`, `0644`) as a mapping value or list item. */
const YAML11 = /^[ \t]*(?:-[ \t]+)?(?:[\w.\/-]+:[ \t]+)?(?:yes|no|on|off|Yes|No|On|Off|YES|NO|ON|OFF|y|n|Y|N|0[0-7]+)[ \t]*(?:#.*)?$/;
/** A key whose value is a block scalar (`key: |`, `- >-`): the lines below it, more indented, are its text. */
const BLOCK_START = /^([ \t]*)(?:-[ \t]+)?(?:[^#\s][^#]*:[ \t]+)?[|>][-+0-9]*[ \t]*(?:#.*)?$/;

/**
 * The first line of a file holding a plain YAML 1.1 boolean or octal scalar, or undefined. Blast Radius
 * reads YAML 1.2 (`yes` is a string, `0644` the decimal 644); kubectl's go-yaml reads 1.1 (`true`, 420):
 * said in a note for the files a change touches, where the two readings could differ. Text inside block
 * scalars (an agent's config in a ConfigMap) is a string either way, and Secrets are never looked into.
 */
export function yaml11Value(f: ParsedFile): { line: number } | undefined {
  if (f.error || f.skipped || !f.text || f.docs.length === 0) return undefined;
  const lines = f.text.split('\n');
  const isSecret = (x: string) => /^kind:[ \t]*["']?Secret["']?[ \t]*$/.test(x);
  let docStart = 0;
  while (docStart < lines.length) {
    let docEnd = docStart + 1;
    while (docEnd < lines.length && !/^---(\s|$)/.test(lines[docEnd])) docEnd++;
    const doc = lines.slice(docStart, docEnd);
    if (!doc.some(isSecret)) {
      let block: number | undefined;
      for (let k = 0; k < doc.length; k++) {
        const l = doc[k];
        if (block !== undefined) {
          if (l.trim() === '' || /^[ \t]*/.exec(l)![0].length > block) continue;
          block = undefined;
        }
        const b = BLOCK_START.exec(l);
        if (b) block = b[1].length;
        else if (YAML11.test(l)) return { line: docStart + k + 1 };
      }
    }
    docStart = docEnd;
  }
  return undefined;
}
