/**
 * An annotation-only edit of every top-level Deployment / DaemonSet / StatefulSet of a manifest, sturdier
 * than `annotate` in ../helpers/corpus.ts: it also handles `kind:` after `metadata:`, quoted kinds, trailing
 * blanks, metadata indented by 4, and objects that already have `annotations:` (adding a second
 * `annotations:` key would make a duplicate key, whose "last wins" would drop the new annotation or the old
 * ones). Items of a `List` are left aside. `verifyAnnotated` checks the result semantically.
 */
import { parseAllDocuments } from 'yaml';
import { isDeepStrictEqual } from 'node:util';

export const WORKLOAD_KINDS = ['Deployment', 'DaemonSet', 'StatefulSet'] as const;
export const NOISE_KEY = 'example.com/reviewed-by';
export const NOISE_VALUE = 'platform-team';

const KIND_RE = /^kind:\s*['"]?(Deployment|DaemonSet|StatefulSet)['"]?\s*(#.*)?$/;
const META_RE = /^metadata:\s*(#.*)?$/;
const DOC_SEP = /^(---|\.\.\.)(\s|$)/;

const indentOf = (l: string) => l.length - l.trimStart().length;
const isContent = (l: string) => l.trim() !== '' && !l.trimStart().startsWith('#');

/** Returns the annotated text and how many objects were annotated. */
export function annotateWorkloads(text: string): { text: string; count: number; missed: string[] } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  // Document ranges.
  const docs: Array<[number, number]> = [];
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    if (DOC_SEP.test(lines[i])) {
      docs.push([start, i]);
      start = i + 1;
    }
  }
  docs.push([start, lines.length]);
  const inserts: Array<{ at: number; replace: boolean; lines: string[] }> = [];
  const missed: string[] = [];
  let count = 0;
  for (const [s, e] of docs) {
    let kindAt = -1;
    let metaAt = -1;
    let hasApiVersion = false;
    for (let i = s; i < e; i++) {
      if (KIND_RE.test(lines[i])) kindAt = i;
      else if (META_RE.test(lines[i])) metaAt = i;
      else if (/^apiVersion:/.test(lines[i])) hasApiVersion = true;
    }
    // A Kubernetes object has both; Helm values files with a top-level `kind: DaemonSet` key are not objects.
    if (kindAt < 0 || !hasApiVersion) continue;
    if (metaAt < 0) {
      missed.push(`line ${kindAt + 1}: no block metadata`);
      continue;
    }
    // Children of metadata.
    let childIndent = -1;
    let end = e;
    for (let i = metaAt + 1; i < e; i++) {
      if (!isContent(lines[i])) continue;
      const ind = indentOf(lines[i]);
      if (ind === 0) {
        end = i;
        break;
      }
      if (childIndent < 0) childIndent = ind;
    }
    if (childIndent < 0) {
      missed.push(`line ${metaAt + 1}: empty metadata`);
      continue;
    }
    const pad = ' '.repeat(childIndent);
    let annAt = -1;
    for (let i = metaAt + 1; i < end; i++) {
      if (indentOf(lines[i]) === childIndent && /^annotations:/.test(lines[i].trimStart())) annAt = i;
    }
    const entry = `${NOISE_KEY}: ${NOISE_VALUE}`;
    if (annAt < 0) {
      inserts.push({ at: metaAt + 1, replace: false, lines: [`${pad}annotations:`, `${pad}  ${entry}`] });
    } else {
      const rest = lines[annAt].trimStart().slice('annotations:'.length).replace(/#.*$/, '').trim();
      if (rest === '' ) {
        // Block mapping (or null): find the children's indent.
        let ind = -1;
        for (let i = annAt + 1; i < end; i++) {
          if (!isContent(lines[i])) continue;
          if (indentOf(lines[i]) > childIndent) ind = indentOf(lines[i]);
          break;
        }
        inserts.push({ at: annAt + 1, replace: false, lines: [`${' '.repeat(ind < 0 ? childIndent + 2 : ind)}${entry}`] });
      } else if (rest === '{}' || rest === 'null' || rest === '~') {
        inserts.push({ at: annAt, replace: true, lines: [`${pad}annotations:`, `${pad}  ${entry}`] });
      } else if (/^\{.*\}$/.test(rest)) {
        inserts.push({ at: annAt, replace: true, lines: [`${pad}annotations: {${entry}, ${rest.slice(1)}`] });
      } else {
        missed.push(`line ${annAt + 1}: unsupported annotations form`);
        continue;
      }
    }
    count++;
  }
  inserts.sort((a, b) => b.at - a.at);
  for (const ins of inserts) lines.splice(ins.at, ins.replace ? 1 : 0, ...ins.lines);
  return { text: lines.join(eol), count, missed };
}

/** Top-level workload objects of a manifest, by document index (parsed with the `yaml` package). */
function parseDocs(text: string): unknown[] | null {
  try {
    const docs = parseAllDocuments(text, { uniqueKeys: false, merge: true });
    if (!Array.isArray(docs)) return null;
    if (docs.some((d) => d.errors.length > 0)) return null;
    return docs.map((d) => d.toJS({ maxAliasCount: -1 }));
  } catch {
    return null;
  }
}

/**
 * Checks that `after` is `before` plus exactly the noise annotation on every top-level workload object.
 * Returns problems (empty when fine); `null` when `before` does not parse (nothing to compare).
 */
export function verifyAnnotated(before: string, after: string): string[] | null {
  const a = parseDocs(before);
  if (a === null) return null;
  const b = parseDocs(after);
  if (b === null) return ['annotated text does not parse'];
  if (a.length !== b.length) return [`document count ${a.length} → ${b.length}`];
  const problems: string[] = [];
  a.forEach((doc, i) => {
    const isWorkload =
      doc !== null &&
      typeof doc === 'object' &&
      'apiVersion' in doc &&
      (WORKLOAD_KINDS as readonly string[]).includes((doc as { kind?: string }).kind ?? '');
    let expected: unknown = doc;
    if (isWorkload) {
      const d = structuredClone(doc) as { metadata?: { annotations?: Record<string, unknown> | null } };
      d.metadata ??= {};
      d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [NOISE_KEY]: NOISE_VALUE };
      expected = d;
    }
    if (!isDeepStrictEqual(expected, b[i])) problems.push(`document ${i}: not an annotation-only change`);
  });
  return problems;
}
