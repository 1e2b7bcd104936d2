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
 */
export function lineOf(
  text: string,
  docIndex: number,
  path: YamlPath,
  innerLine?: number,
  identify?: (doc: unknown) => boolean,
): number {
  const { docs, counter } = parsed(text);
  let doc = docs[docIndex];
  if (identify && (!doc || !safeIdentify(identify, doc))) doc = docs.find((d) => safeIdentify(identify, d)) ?? doc;
  if (!doc) return 1;
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
