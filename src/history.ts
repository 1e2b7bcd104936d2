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
import { commitSites, pairTargets, targetsOf, valueAt, type Site, type Target } from './revert.js';
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

export interface ReadOptions {
  baseTip: string;
  head: string;
  maxCommits: number;
  /**
   * The paths the pull request changes (both sides). A revert is examined only when its original commit
   * changed a file of the same name (the same file, or a per-cluster copy of it): parsing what a revert undid
   * is the costly part, and a pull request touching none of those files cannot put any of it back.
   */
  paths?: readonly string[];
}

const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

async function read(repo: string, { baseTip, head, maxCommits, paths }: ReadOptions): Promise<HistoryResult> {
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
  const found: Array<{ revert: Commit; original: Commit; how: RevertRecord['how'] }> = [];
  const reappliedBy = new Map<string, CommitInfo>();
  /** Reverts that the base branch itself reverted again: what they took out is back, they no longer hold. */
  const undone = new Set<string>();
  for (const w of wanted) {
    // Without a sha or pull request number (a hand-written `Revert "<subject>"`): the latest earlier commit with that subject.
    const original = w.sha ? resolveSha(w.sha) : w.pr !== undefined ? bySubjectPr.get(w.pr) : mainline.find((c) => c.subject === w.subject && c.time <= w.revert.time && c.sha !== w.revert.sha);
    if (!original || original.sha === w.revert.sha) {
      // A sha no clone has is usually a commit of a branch that was squash-merged (its message quoted in the
      // squash body): nothing of it reached the base branch. Only a shallow clone may be missing a real one.
      if (!original && w.sha && shallow) notes.push(`revert-lock: ${w.revert.sha.slice(0, 12)} ("${w.revert.subject}") reverts commit ${w.sha.slice(0, 12)}, which this shallow clone does not have, so what it reverted is unknown: ${fetchAll}`);
      continue;
    }
    if (isRevert(original)) {
      // A revert of a revert restores the original. On the base branch the first revert no longer holds; in
      // the pull request it is a deliberate re-apply.
      if (prShas.has(w.revert.sha)) reappliedBy.set(original.sha, info(w.revert));
      else undone.add(original.sha);
      continue;
    }
    if (shallow && (original.parents.length === 0 || w.revert.parents.length === 0)) {
      notes.push(`revert-lock: ${w.revert.sha.slice(0, 12)} ("${w.revert.subject}") reverts ${original.sha.slice(0, 12)}, which is at the edge of this shallow clone, so what it changed is unknown: ${fetchAll}`);
      continue;
    }
    found.push({ revert: w.revert, original, how: w.sha ? 'git-revert' : w.pr !== undefined ? 'squash' : 'subject' });
  }
  const kept = await Promise.all(
    found.map(async (p) => {
      if (undone.has(p.revert.sha)) return false;
      // A change and its revert both made inside the pull request: nothing of it was ever applied.
      if (prShas.has(p.revert.sha)) return !prShas.has(p.original.sha);
      if (firstParent.has(p.revert.sha) || firstParent.has(p.original.sha)) return true;
      // Both on merged branches: applied only if the base branch had the change without its revert.
      return !(await mergedTogether(repo, p.original.sha, p.revert.sha, baseTip, firstParent));
    }),
  );
  const pairs = found.filter((_, i) => kept[i]);
  if (pairs.length === 0) return { history: { headTime, scanned: mainline.length, maxCommits, reverts: [], reappliedBy }, notes };

  // What each original and each revert changed: one diff-tree for all of them (against the first parent).
  const commits = [...new Map(pairs.flatMap((p) => [p.original, p.revert]).map((c) => [c.sha, c] as const)).values()];
  const input = commits.map((c) => (c.parents[0] ? `${c.sha} ${c.parents[0]}` : c.sha)).join('\n') + '\n';
  const diffs = parseDiffTree((await runAsync(repo, ['diff-tree', '--stdin', '--root', '-r', '-z', '--no-renames'], input)).toString('utf8'));
  const names = paths ? new Set(paths.map(baseName)) : undefined;
  const relevant = pairs.filter((p) => prShas.has(p.revert.sha) || !names || (diffs.get(p.original.sha) ?? []).some((e) => names.has(baseName(e.path))));
  const blobs = new Set<string>();
  for (const p of relevant) for (const c of [p.original, p.revert]) for (const e of diffs.get(c.sha) ?? []) for (const b of [e.before, e.after]) if (b) blobs.add(b);
  const texts = new Map<string, string>();
  await streamBlobs(repo, [...blobs], (sha, content) => texts.set(sha, content.toString('utf8')));

  const targetsCache = new Map<string, Target[]>();
  const targets = (path: string, blob: string | undefined): Target[] => {
    if (!blob) return [];
    const id = `${path}\u0000${blob}`;
    let t = targetsCache.get(id);
    if (!t) {
      const text = texts.get(blob);
      t = text === undefined ? [] : targetsOf(path, parseYamlFile(path, blob, text).docs);
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
    const sites = commitSites(o.before, o.after).filter((s) => {
      if (!rPairs.some((x) => x.before?.id === s.target || x.after?.id === s.target)) return false;
      return valueAt(find(s, 'before')?.doc, s.path) === s.value && valueAt(find(s, 'after')?.doc, s.path) !== s.value;
    });
    if (sites.length) reverts.push({ revert: info(p.revert), original: info(p.original), how: p.how, inPr: prShas.has(p.revert.sha), sites });
  }
  return { history: { headTime, scanned: mainline.length, maxCommits, reverts, reappliedBy }, notes };
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
      if (current && path !== undefined && isYamlPath(path)) {
        current.push({ path, ...(ZERO.test(before) ? {} : { before }), ...(ZERO.test(after) ? {} : { after }) });
      }
    } else {
      const sha = p.trim().split(/\s+/)[0];
      current = byCommit.get(sha) ?? byCommit.set(sha, []).get(sha)!;
    }
  }
  return byCommit;
}
