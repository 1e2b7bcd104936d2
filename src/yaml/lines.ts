/**
 * Line numbers for findings: the `yaml` library with a LineCounter, run only on the files that carry
 * findings (it is about 10× slower than js-yaml). Parsed documents are cached per file text.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { YamlPath } from '../types.js';

interface Parsed {
  docs: Document.Parsed[];
  counter: LineCounter;
}

const cache = new Map<string, Parsed>();

function parsed(text: string): Parsed {
  let p = cache.get(text);
  if (!p) {
    const counter = new LineCounter();
    // uniqueKeys off so duplicate keys (last wins) still resolve; aliases are never expanded here.
    const docs = parseAllDocuments(text, { lineCounter: counter, uniqueKeys: false, strict: false });
    p = { docs: Array.isArray(docs) ? docs : [], counter };
    if (cache.size > 256) cache.clear();
    cache.set(text, p);
  }
  return p;
}

function line(counter: LineCounter, offset: number): number {
  return counter.linePos(offset).line;
}

/**
 * The 1-based line of `path` inside document `docIndex` of `text`. When the path does not exist in full,
 * the line of its deepest existing prefix (a missing field points at its parent). For a mapping entry,
 * the key's line. With `innerLine`, the path must end at a literal block scalar (`|`): the result is its
 * first content line plus `innerLine`; for any other scalar (quoted, folded), the key's line.
 * `identify` picks the document when the index does not match (returns true for the right one).
 * `docCount` (how many documents js-yaml read from the text), when given, lets only the one document be
 * parsed instead of the whole file (a finding on one object of a 13,000-line install manifest).
 */
export function lineOf(
  text: string,
  docIndex: number,
  path: YamlPath,
  innerLine?: number,
  identify?: (doc: unknown) => boolean,
  docCount?: number,
): number {
  const seg = docCount === undefined ? undefined : segmentOf(text, docIndex, docCount);
  if (seg) {
    const found = locate(parsed(seg.text), 0, path, innerLine, identify, true);
    if (found !== undefined) return found + seg.line;
  }
  return locate(parsed(text), docIndex, path, innerLine, identify, false) ?? 1;
}

const DOC_START = /^---(?:[ \t]|$)/;
const DOC_END_OR_DIRECTIVE = /^(?:\.\.\.(?:[ \t]|$)|%)/;

/** Where each document of a text starts (offset and 0-based line), or undefined when the text is unusual. */
function documentStarts(text: string): Array<{ offset: number; line: number }> | undefined {
  const starts: Array<{ offset: number; line: number }> = [];
  let content = false; // something before the first `---` makes an implicit first document
  let line = 0;
  for (let offset = 0; offset < text.length || offset === 0; line++) {
    let end = text.indexOf('\n', offset);
    if (end < 0) end = text.length;
    const c = text.charCodeAt(offset);
    // Only lines starting with `-`, `.` or `%` can be markers or directives; the rest are skipped unsliced.
    if (c === 45 /* - */ || c === 46 /* . */ || c === 37 /* % */) {
      const l = text.slice(offset, end);
      if (DOC_END_OR_DIRECTIVE.test(l)) return undefined; // `...` and directives: let the full parse decide
      if (DOC_START.test(l)) starts.push({ offset, line });
      else if (starts.length === 0) content = true;
    } else if (starts.length === 0 && !content) {
      const l = text.slice(offset, end).trimStart();
      if (l !== '' && !l.startsWith('#')) content = true;
    }
    offset = end + 1;
    if (end >= text.length) break;
  }
  if (content) starts.unshift({ offset: 0, line: 0 });
  return starts;
}

const starts = new Map<string, Array<{ offset: number; line: number }> | null>();

/** The text of document `docIndex` and its first line (0-based), when the file splits into `docCount` documents. */
function segmentOf(text: string, docIndex: number, docCount: number): { text: string; line: number } | undefined {
  let s = starts.get(text);
  if (s === undefined) {
    s = documentStarts(text) ?? null;
    if (starts.size > 256) starts.clear();
    starts.set(text, s);
  }
  if (!s || s.length !== docCount || docIndex >= s.length) return undefined;
  const from = s[docIndex];
  const to = docIndex + 1 < s.length ? s[docIndex + 1].offset : text.length;
  return { text: text.slice(from.offset, to), line: from.line };
}

/** The line in parsed text, or undefined when the document is missing (or, when `strict`, is not the one identified). */
function locate(
  { docs, counter }: Parsed,
  docIndex: number,
  path: YamlPath,
  innerLine: number | undefined,
  identify: ((doc: unknown) => boolean) | undefined,
  strict: boolean,
): number | undefined {
  let doc = docs[docIndex];
  if (identify && (!doc || !safeIdentify(identify, doc))) {
    if (strict) return undefined;
    doc = docs.find((d) => safeIdentify(identify, d)) ?? doc;
  }
  if (!doc) return strict ? undefined : 1;
  let node: unknown = doc.contents;
  let best = node && (node as Node).range ? line(counter, (node as Node).range![0]) : 1;
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    if (isMap(node)) {
      // The last of duplicate keys is the one in effect (js-yaml, Helm and kubectl keep the last).
      const pair = node.items.findLast((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(step));
      if (!pair) break;
      const key = pair.key as Node;
      if (key.range) best = line(counter, key.range[0]);
      node = pair.value;
      if (i === path.length - 1 && innerLine !== undefined && isScalar(node) && node.range) {
        // Only a literal block keeps its lines; a folded one (`>`) joins them, so it points at the key.
        if (node.type === 'BLOCK_LITERAL') {
          return line(counter, node.range[0]) + 1 + innerLine;
        }
      }
    } else if (isSeq(node)) {
      if (typeof step !== 'number') break;
      const item = node.items[step] as Node | undefined;
      if (!item) break;
      if (item.range) best = line(counter, item.range[0]);
      node = item;
    } else {
      break;
    }
  }
  return best;
}

function safeIdentify(identify: (doc: unknown) => boolean, doc: Document.Parsed): boolean {
  try {
    return identify(doc.toJS({ maxAliasCount: 100 }));
  } catch {
    return false;
  }
}
