/**
 * Git history for the revert-lock rules: the reverts among the last `history.maxCommits` commits of the
 * base branch and among the pull request's own commits, each with what its original commit changed and
 * the revert undid (src/revert.ts sites). Read in bulk: one `git log` per range, one `git diff-tree
 * --stdin` for every original and revert, one `git cat-file --batch` for every blob they touched.
 *
 * A revert is found by its message, the two ways reverts are written:
 * - `git revert` (and GitHub's revert button on a merge-commit repository): a body with
 *   `This reverts commit <sha>` (abbreviated shas resolved);
 * - GitHub's revert button after a squash merge: subject `Revert "<subject>" (#N)` and body
 *   `Reverts <owner>/<repo>#M`, the original being the commit whose subject ends in `(#M)`.
 * A revert of a revert restores the original; it is not itself an original.
 */
import { runAsync, streamBlobs } from './git.js';
import { commitSites, isTextConfigPath, pairTargets, PRESENT, targetsOf, textTarget, valueAt, type Site, type Target } from './revert.js';
import { errorMessage } from './util.js';
import { isYamlPath, parseYamlFile } from './yaml/parse.js';

export interface CommitInfo {
  readonly sha: string;
  /** Committer date, seconds since the epoch. */
  readonly time: number;
  readonly subject: string;
  readonly body: string;
}

export interface RevertRecord {
  readonly revert: CommitInfo;
  readonly original: CommitInfo;
  /**
   * `git-revert`: the body names the sha; `squash`: GitHub's revert of a squash-merged pull request (body
   * `Reverts owner/repo#M`); `subject`: only a `Revert "<subject>"` subject, matched to the commit with that subject.
   */
  readonly how: 'git-revert' | 'squash' | 'subject';
  /** True for a revert among the pull request's own commits. */
  readonly inPr: boolean;
  /** What the original changed that the revert undid. */
  readonly sites: readonly Site[];
}

export interface History {
  /** The head commit's committer date (seconds): "how long ago" is measured from it, never the wall clock. */
  readonly headTime: number;
  /** Commits of the base branch scanned, and the limit. */
  readonly scanned: number;
  readonly maxCommits: number;
  readonly reverts: readonly RevertRecord[];
  /**
   * Reverts that a commit of the pull request itself reverts (`git revert <revert>`: "Reapply …" /
   * `Revert "Revert …"`): the revert's sha → that commit. A deliberate, reviewable re-apply.
   */
  readonly reappliedBy: ReadonlyMap<string, CommitInfo>;
}

/** History when none was read (in-memory analyses): no reverts. */
export const NO_HISTORY: History = { headTime: 0, scanned: 0, maxCommits: 0, reverts: [], reappliedBy: new Map() };

/** At most this many of the pull request's own commits are read. */
const MAX_PR_COMMITS = 1000;
/** At most this many reverts are examined (the most recent first). */
const MAX_REVERTS = 500;

interface Commit extends CommitInfo {
  readonly parents: readonly string[];
}

const FORMAT = '--format=%H%x1f%P%x1f%ct%x1f%s%x1f%b';

function parseLog(out: string): Commit[] {
  const commits: Commit[] = [];
  for (const rec of out.split('\0')) {
    const r = rec.replace(/^\n/, '');
    if (!r) continue;
    const [sha, parents, time, subject, body] = r.split('\x1f');
    if (!/^[0-9a-f]{40,64}$/.test(sha ?? '')) continue;
    commits.push({ sha, parents: (parents ?? '').split(' ').filter(Boolean), time: Number(time) || 0, subject: subject ?? '', body: (body ?? '').trim() });
  }
  return commits;
}

async function log(repo: string, args: string[]): Promise<Commit[]> {
  return parseLog((await runAsync(repo, ['log', '-z', FORMAT, ...args])).toString('utf8'));
}

const REVERTS_SHA = /This reverts commit ([0-9a-f]{7,64})\b/;
const SQUASH_SUBJECT = /^Revert "(.*)"(?: \(#\d+\))?$/;
const SQUASH_BODY = /\bReverts [\w.-]+\/[\w.-]+#(\d+)\b/;

/** What a commit message says it reverts: a sha, or a pull request number (squash merges). */
export function revertTarget(c: Pick<CommitInfo, 'subject' | 'body'>): { sha: string } | { pr: number } | { subject: string } | undefined {
  const sha = REVERTS_SHA.exec(c.body);
  if (sha) return { sha: sha[1] };
  const quoted = SQUASH_SUBJECT.exec(c.subject);
  if (quoted) {
    const pr = SQUASH_BODY.exec(c.body);
    return pr ? { pr: Number(pr[1]) } : { subject: quoted[1] };
  }
  return undefined;
}

/** True when a commit is itself a revert (by its message). */
function isRevert(c: Commit): boolean {
  return revertTarget(c) !== undefined || /^Revert "/.test(c.subject);
}

export interface HistoryResult {
  history: History;
  notes: string[];
}

/** What the pull request touches, known once its trees are read: which reverts are worth examining. */
export interface HistoryScope {
  /** The paths the pull request changes (both sides). */
  readonly paths: readonly string[];
  /** The object names its changed files mention (both sides): see {@link namesIn}. */
  readonly names: ReadonlySet<string>;
}

export interface ReadOptions {
  baseTip: string;
  head: string;
  maxCommits: number;
  /**
   * What the pull request touches. A revert is examined only when its original commit changed a file the
   * pull request changes, or an object whose name the pull request's changed files mention (a per-cluster
   * copy, an overlay patch, a moved object): parsing what a revert undid is the costly part, and a pull
   * request touching none of it cannot put any of it back. Given as a promise so the git reads run while
   * the trees are read.
   */
  scope: HistoryScope | Promise<HistoryScope>;
}

const NAME_VALUE = `["']?([A-Za-z0-9][\\w.:-]*)`;
const FLOW_NAME = new RegExp(`\\b(?:metadata|target):[ \\t]*\\{[^}\\n]*?\\bname:[ \\t]*${NAME_VALUE}`, 'g');
const BLOCK_PARENT = /^([ \t-]*)(?:metadata|target):[ \t]*(?:#.*)?$/;
const BLOCK_NAME = new RegExp(`^([ \\t]*)name:[ \\t]*${NAME_VALUE}`);

/**
 * The object names a text mentions, read without parsing it: `name:` directly under a `metadata:` (an
 * object, a patch) or a `target:` (a kustomization's patch target), block or flow style. A cheap superset
 * used to tell which reverts a pull request can touch.
 */
export function namesIn(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(FLOW_NAME)) out.add(m[1]);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const parent = BLOCK_PARENT.exec(lines[i]);
    if (!parent) continue;
    const indent = parent[1].length;
    let child: number | undefined;
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j];
      if (!line.trim() || line.trimStart().startsWith('#')) continue;
      const own = line.length - line.trimStart().length;
      if (own <= indent) break;
      child ??= own;
      const name = own === child ? BLOCK_NAME.exec(line) : null;
      if (name) {
        out.add(name[2]);
        break;
      }
    }
  }
  return out;
}

/**
 * Reads the reverts of the base branch (`baseTip`, the last `maxCommits` commits) and of the pull
 * request's own commits (`baseTip..head`). Never throws: a git failure becomes a note.
 */
export async function readHistory(repo: string, opts: ReadOptions): Promise<HistoryResult> {
  try {
    return await read(repo, opts);
  } catch (e) {
    return { history: NO_HISTORY, notes: [`revert-lock: the git history could not be read (${errorMessage(e)}); re-applied reverts were not looked for`] };
  }
}

/** Commits followed from a revert towards its original through reverts of reverts, at most. */
const MAX_CHAIN = 20;

async function read(repo: string, { baseTip, head, maxCommits, scope }: ReadOptions): Promise<HistoryResult> {
  const notes: string[] = [];
  const [mainline, prCommits, headInfo, shallow, firstParent] = await Promise.all([
    log(repo, ['-n', String(maxCommits), baseTip]),
    baseTip === head ? Promise.resolve([]) : log(repo, ['-n', String(MAX_PR_COMMITS), `${baseTip}..${head}`]),
    log(repo, ['--no-walk', head]),
    runAsync(repo, ['rev-parse', '--is-shallow-repository']).then((b) => b.toString('utf8').trim() === 'true'),
    runAsync(repo, ['rev-list', '--first-parent', '-n', String(maxCommits), baseTip]).then((b) => new Set(b.toString('utf8').split('\n').filter(Boolean))),
  ]);
  const headTime = headInfo[0]?.time ?? 0;
  const fetchAll = 'check out with `fetch-depth: 0` (actions/checkout) or run `git fetch --unshallow`';
  if (shallow && mainline.length < maxCommits) {
    notes.push(
      `revert-lock: this clone is shallow, so only ${mainline.length} commit${mainline.length === 1 ? '' : 's'} of history could be scanned for reverts (history.maxCommits is ${maxCommits}); a re-applied revert older than that is not detected: ${fetchAll}`,
    );
  }
  const empty = (): HistoryResult => ({ history: { headTime, scanned: mainline.length, maxCommits, reverts: [], reappliedBy }, notes });

  // Reverts and what they name.
  const known = new Map<string, Commit>();
  for (const c of [...prCommits, ...mainline]) known.set(c.sha, c);
  // Squash-merged pull requests by number (reverts too: a revert of a revert names the revert's number).
  const bySubjectPr = new Map<number, Commit>();
  for (const c of mainline) {
    const m = /\(#(\d+)\)$/.exec(c.subject);
    if (m && !bySubjectPr.has(Number(m[1]))) bySubjectPr.set(Number(m[1]), c);
  }
  const prShas = new Set(prCommits.map((c) => c.sha));
  const wanted: Array<{ revert: Commit; sha?: string; pr?: number; subject?: string }> = [];
  for (const c of [...prCommits, ...mainline]) {
    const t = revertTarget(c);
    if (!t) continue;
    if (wanted.length >= MAX_REVERTS) {
      notes.push(`revert-lock: more than ${MAX_REVERTS} reverts in the scanned history; only the ${MAX_REVERTS} most recent were examined`);
      break;
    }
    wanted.push({ revert: c, ...t });
  }
  // Originals named by a sha outside the scanned commits (or abbreviated): one more `git log --no-walk`.
  const resolveSha = (sha: string) => known.get(sha) ?? [...known.values()].find((c) => c.sha.startsWith(sha));
  const missing = [...new Set(wanted.filter((w) => w.sha && !resolveSha(w.sha)).map((w) => w.sha!))];
  if (missing.length) {
    for (const c of await log(repo, ['--no-walk=unsorted', '--ignore-missing', ...missing])) known.set(c.sha, c);
  }
  // What each revert directly reverts.
  const direct = new Map<string, Commit>();
  for (const w of wanted) {
    // Without a sha or pull request number (a hand-written `Revert "<subject>"`): the latest earlier commit with that subject.
    const original = w.sha ? resolveSha(w.sha) : w.pr !== undefined ? bySubjectPr.get(w.pr) : mainline.find((c) => c.subject === w.subject && c.time <= w.revert.time && c.sha !== w.revert.sha);
    if (original && original.sha !== w.revert.sha) direct.set(w.revert.sha, original);
    // A sha no clone has is usually a commit of a branch that was squash-merged (its message quoted in the
    // squash body): nothing of it reached the base branch. Only a shallow clone may be missing a real one.
    else if (!original && w.sha && shallow) notes.push(`revert-lock: ${w.revert.sha.slice(0, 12)} ("${w.revert.subject}") reverts commit ${w.sha.slice(0, 12)}, which this shallow clone does not have, so what it reverted is unknown: ${fetchAll}`);
  }
  const found: Array<{ revert: Commit; original: Commit; how: RevertRecord['how'] }> = [];
  const reappliedBy = new Map<string, CommitInfo>();
  /** Reverts that the base branch itself reverted again: what they took out is back, they no longer hold. */
  const undone = new Set<string>();
  for (const w of wanted) {
    const first = direct.get(w.revert.sha);
    if (!first) continue;
    // Follow reverts of reverts down to the change itself: an odd number of steps reverts it, an even
    // number puts it back (O ← R1 ← R2 ← R3: R3 reverts O again; R2 re-applied it).
    let original = first;
    let depth = 1;
    while (isRevert(original) && depth <= MAX_CHAIN) {
      const next = direct.get(original.sha);
      if (!next) break;
      original = next;
      depth++;
    }
    if (isRevert(original)) continue; // a chain that ends in a revert of something unknown
    if (depth % 2 === 0) {
      // Puts the change back. In the pull request: a deliberate re-apply; on the base branch: the revert it
      // reverted no longer holds.
      if (prShas.has(w.revert.sha)) reappliedBy.set(first.sha, info(w.revert));
      else undone.add(first.sha);
      continue;
    }
    if (shallow && (original.parents.length === 0 || w.revert.parents.length === 0)) {
      notes.push(`revert-lock: ${w.revert.sha.slice(0, 12)} ("${w.revert.subject}") reverts ${original.sha.slice(0, 12)}, which is at the edge of this shallow clone, so what it changed is unknown: ${fetchAll}`);
      continue;
    }
    found.push({ revert: w.revert, original, how: w.sha ? 'git-revert' : w.pr !== undefined ? 'squash' : 'subject' });
  }
  const pairs = found.filter((p) => {
    if (undone.has(p.revert.sha)) return false;
    // A change and its revert both made inside the pull request: nothing of it was ever applied.
    return !(prShas.has(p.revert.sha) && prShas.has(p.original.sha));
  });
  if (pairs.length === 0) return empty();

  // What each original and each revert changed: one diff-tree for all of them (against the first parent).
  const commits = [...new Map(pairs.flatMap((p) => [p.original, p.revert]).map((c) => [c.sha, c] as const)).values()];
  const input = commits.map((c) => (c.parents[0] ? `${c.sha} ${c.parents[0]}` : c.sha)).join('\n') + '\n';
  const diffs = parseDiffTree((await runAsync(repo, ['diff-tree', '--stdin', '--root', '-r', '-z', '--no-renames'], input)).toString('utf8'));
  const texts = new Map<string, string>();
  const readBlobs = async (blobs: Iterable<string>) => {
    const todo = [...new Set(blobs)].filter((b) => !texts.has(b));
    await streamBlobs(repo, todo, (sha, content) => texts.set(sha, content.toString('utf8')));
  };
  // Later versions, on the base branch, of the files the originals changed: a value that came back after its
  // revert (a fixed re-apply, a revert of the revert) no longer counts as reverted. Listed now, while the
  // trees are still being read; read only for the reverts that turn out to matter.
  const order = new Map(mainline.map((c, i) => [c.sha, i] as const)); // 0 = newest
  const mainPairs = pairs.filter((p) => !prShas.has(p.revert.sha) && order.has(p.revert.sha));
  const laterRead = (async () => {
    const later = new Map<string, Array<{ index: number; path: string; blob?: string }>>(); // path → versions
    if (mainPairs.length === 0) return later;
    const oldest = mainPairs.reduce((a, p) => (order.get(p.revert.sha)! > order.get(a.revert.sha)! ? p : a)).revert.sha;
    const files = [...new Set(mainPairs.flatMap((p) => (diffs.get(p.original.sha) ?? []).map((e) => e.path)))];
    // Only the commits after the oldest revert (`^revert`): the walk stops there.
    const out = (await runAsync(repo, ['log', '-z', '--raw', '--no-abbrev', '--no-renames', '--format=%x00%H', baseTip, `^${oldest}`, '--', ...files.map((f) => `:(literal)${f}`)])).toString('utf8');
    for (const [sha, entries] of parseDiffTree(out)) {
      const index = order.get(sha);
      if (index === undefined) continue;
      for (const e of entries) (later.get(e.path) ?? later.set(e.path, []).get(e.path)!).push({ index, path: e.path, ...(e.after ? { blob: e.after } : {}) });
    }
    return later;
  })();
  laterRead.catch(() => undefined); // awaited below; a failure must not go unhandled before then
  await readBlobs(pairs.flatMap((p) => (diffs.get(p.original.sha) ?? []).flatMap((e) => [e.before, e.after].filter((b): b is string => Boolean(b)))));

  // Only what the pull request can touch (see ReadOptions.scope).
  const { paths, names } = await scope;
  const touched = new Set(paths);
  const relevant: typeof pairs = [];
  for (const p of pairs) {
    const entries = diffs.get(p.original.sha) ?? [];
    const touches =
      prShas.has(p.revert.sha) ||
      entries.some((e) => touched.has(e.path)) ||
      entries.some((e) => [e.before, e.after].some((b) => b !== undefined && [...namesIn(texts.get(b) ?? '')].some((n) => names.has(n))));
    if (!touches) continue;
    // Both on merged branches: applied only if the base branch had the change without its revert.
    if (!prShas.has(p.revert.sha) && !firstParent.has(p.revert.sha) && !firstParent.has(p.original.sha) && (await mergedTogether(repo, p.original.sha, p.revert.sha, baseTip, firstParent))) continue;
    relevant.push(p);
  }
  if (relevant.length === 0) return empty();

  const later = await laterRead;
  const files = new Set(relevant.flatMap((p) => (diffs.get(p.original.sha) ?? []).map((e) => e.path)));
  await readBlobs([
    ...relevant.flatMap((p) => (diffs.get(p.revert.sha) ?? []).flatMap((e) => [e.before, e.after].filter((b): b is string => Boolean(b)))),
    ...[...later.entries()].flatMap(([path, vs]) => (files.has(path) ? vs.flatMap((v) => (v.blob ? [v.blob] : [])) : [])),
  ]);

  const targetsCache = new Map<string, Target[]>();
  const targets = (path: string, blob: string | undefined): Target[] => {
    if (!blob) return [];
    const id = `${path}\u0000${blob}`;
    let t = targetsCache.get(id);
    if (!t) {
      const text = texts.get(blob);
      t = text === undefined ? [] : isYamlPath(path) ? targetsOf(path, parseYamlFile(path, blob, text).docs) : [textTarget(path, text)];
      targetsCache.set(id, t);
    }
    return t;
  };
  const sides = (sha: string) => {
    const entries = diffs.get(sha) ?? [];
    return {
      before: entries.flatMap((e) => targets(e.path, e.before)),
      after: entries.flatMap((e) => targets(e.path, e.after)),
    };
  };

  const reverts: RevertRecord[] = [];
  for (const p of relevant) {
    const o = sides(p.original.sha);
    const r = sides(p.revert.sha);
    // The revert's own before / after of each target the original changed.
    const rPairs = pairTargets(r.before, r.after);
    const find = (site: Site, side: 'before' | 'after') => {
      const hits = rPairs.filter((x) => x.before?.id === site.target || x.after?.id === site.target);
      const same = hits.find((x) => (x.before ?? x.after)!.file === site.file);
      const hit = same ?? (hits.length === 1 ? hits[0] : undefined);
      return hit?.[side];
    };
    const revertIndex = order.get(p.revert.sha);
    const cameBack = (s: Site): boolean => {
      if (revertIndex === undefined) return false;
      const needle = textOf(s);
      return (later.get(s.file) ?? []).some(
        (v) =>
          v.index < revertIndex &&
          // A version whose text does not even hold the value cannot have it: not parsed.
          (needle === undefined || (v.blob !== undefined && (texts.get(v.blob) ?? '').includes(needle))) &&
          valueAt(targets(v.path, v.blob).find((t) => t.id === s.target)?.doc, s.path) === s.value,
      );
    };
    const sites = commitSites(o.before, o.after).filter((s) => {
      if (!rPairs.some((x) => x.before?.id === s.target || x.after?.id === s.target)) return false;
      return valueAt(find(s, 'before')?.doc, s.path) === s.value && valueAt(find(s, 'after')?.doc, s.path) !== s.value && !cameBack(s);
    });
    if (sites.length) reverts.push({ revert: info(p.revert), original: info(p.original), how: p.how, inPr: prShas.has(p.revert.sha), sites });
  }
  return { history: { headTime, scanned: mainline.length, maxCommits, reverts, reappliedBy }, notes };
}

/**
 * Text that any file holding a site's value must contain (undefined when there is none to tell): a plain
 * string scalar as written, or an added line.
 */
function textOf(s: Site): string | undefined {
  const last = s.path[s.path.length - 1];
  if (s.value === PRESENT && last?.startsWith('~')) return last.slice(last.indexOf('\u0001') + 1);
  if (s.value.startsWith('"')) {
    const v = JSON.parse(s.value) as string;
    return /^[\w./:@+=-]{3,}$/.test(v) ? v : undefined;
  }
  return undefined;
}

/**
 * True when the merge that brought `original` to the base branch's first-parent line also brought `revert`
 * (a change tried and reverted on one branch, merged with `--no-ff`): the base branch never had it.
 */
async function mergedTogether(repo: string, original: string, revert: string, baseTip: string, firstParent: ReadonlySet<string>): Promise<boolean> {
  // The descendants of `original` up to the tip, newest first; the oldest on the first-parent line merged it.
  const line = (await runAsync(repo, ['rev-list', '--ancestry-path', `${original}..${baseTip}`])).toString('utf8').split('\n').filter((c) => firstParent.has(c));
  const merge = line[line.length - 1];
  if (!merge) return false;
  return runAsync(repo, ['merge-base', '--is-ancestor', revert, merge]).then(
    () => true,
    () => false,
  );
}

function info(c: Commit): CommitInfo {
  return { sha: c.sha, time: c.time, subject: c.subject, body: c.body };
}

interface DiffEntry {
  path: string;
  before?: string;
  after?: string;
}

const ZERO = /^0+$/;

/** `git diff-tree --stdin -z` output: a commit line, then `:modes shas status` and path records. */
function parseDiffTree(out: string): Map<string, DiffEntry[]> {
  const parts = out.split('\0');
  const byCommit = new Map<string, DiffEntry[]>();
  let current: DiffEntry[] | undefined;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i].replace(/^\n/, '');
    if (!p) continue;
    if (p.startsWith(':')) {
      const [, , before, after] = p.slice(1).split(' ');
      const path = parts[++i];
      if (current && path !== undefined && (isYamlPath(path) || isTextConfigPath(path))) {
        current.push({ path, ...(ZERO.test(before) ? {} : { before }), ...(ZERO.test(after) ? {} : { after }) });
      }
    } else {
      const sha = p.trim().split(/\s+/)[0];
      current = byCommit.get(sha) ?? byCommit.set(sha, []).get(sha)!;
    }
  }
  return byCommit;
}
