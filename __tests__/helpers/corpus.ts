/**
 * Shared access to the real-world corpus (`../shared/corpus`, next to the repository root) used by the
 * rule tests, and a helper that makes an annotation-only change to a manifest.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of `../shared/corpus/` relative to the repository root, with a trailing slash. */
export const CORPUS_DIR = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

/** Whether the corpus is present (suites skip their real-world cases when it is not). */
export const HAS_CORPUS = existsSync(CORPUS_DIR);

/** The text of a corpus file, by its path relative to {@link CORPUS_DIR}. */
export function readCorpus(relPath: string): string {
  return readFileSync(CORPUS_DIR + relPath, 'utf8');
}

/** The annotation {@link annotate} adds unless told otherwise (`key: value`). */
export const DEFAULT_ANNOTATION = 'example.com/reviewed-by: platform-team';

/**
 * Adds an annotation to every object of `kind` in a manifest (right under its top-level `metadata:`),
 * as an annotation-only PR on those objects would. Adds exactly two lines per matching object.
 */
export function annotate(text: string, kind: string, annotation: string = DEFAULT_ANNOTATION): string {
  const out: string[] = [];
  let pending = false;
  for (const l of text.split('\n')) {
    out.push(l);
    if (l === `kind: ${kind}`) pending = true;
    else if (pending && l === 'metadata:') {
      out.push('  annotations:', `    ${annotation}`);
      pending = false;
    } else if (l === '---') pending = false;
  }
  return out.join('\n');
}

/**
 * Adds an annotation to the object of `kind` named `name` only (right under its `  name:` line), for
 * multi-object rendered examples where other objects of the kind must stay untouched.
 */
export function annotateNamed(text: string, kind: string, name: string): string {
  const out: string[] = [];
  let inKind = false;
  for (const l of text.split('\n')) {
    out.push(l);
    if (l === '---') inKind = false;
    else if (l === `kind: ${kind}`) inKind = true;
    else if (inKind && l.trimEnd() === `  name: ${name}`) {
      out.push('  annotations:', `    ${DEFAULT_ANNOTATION}`);
      inKind = false;
    }
  }
  return out.join('\n');
}
