/**
 * revert-lock/reapplied-revert — a pull request puts back a value that a revert on the base branch took out
 * (issue 7; the 2024-12-11 telemetry outage: nothing stopped the bad config from being re-applied).
 *
 * A change rule over the history the caller read (src/history.ts): the reverts among the last
 * `history.maxCommits` commits of the base branch, each with the sites its original commit changed and the
 * revert undid — (object `Kind/namespace/name` or a non-object document of a file, field path, value), values
 * inside embedded configs included (src/revert.ts). For each site the pull request touches
 * (src/revert-match.ts: head documents of the changed files, paired with their base counterparts):
 * - `reapplied`: the head has the very value the revert removed (or deletes again an object the revert
 *   restored);
 * - `different`: the pull request sets another value there — a new value is not a re-apply.
 *
 * One finding per revert and document with reapplied sites, on the first one's line:
 * - critical: the revert is at most 30 days older than the head commit (the head commit's date, never the
 *   wall clock, so a report is reproducible), or its message names an incident (`incident`, `outage`,
 *   `post-mortem`, `SEV1`, `INC-123`);
 * - high: an older revert.
 * The message names the original commit and the revert with dates and subjects and the values, and says
 * when the pull request also sets new values at other places the revert undid (a reworked version) or
 * reverts the revert itself (`git revert <revert>`: a deliberate re-apply) — neither lowers the severity:
 * the reverted values are back all the same.
 *
 * Like a lock, the finding is lifted only by a verified label, `blast-radius-override:revert-<original sha>`
 * (the id `revert-lock/unlocked-revert` proposes for the lock), never by the ignore annotation or the
 * `acceptLabel`: a pull request cannot wave its own re-apply through.
 */
import { overrideLabel } from '../../src/engine.js';
import type { CommitInfo, RevertRecord } from '../../src/history.js';
import { changedTargets, objectOf, type SiteOutcome } from '../../src/revert-match.js';
import { ABSENT, locateSite, pathText, PRESENT, valueText, type Site } from '../../src/revert.js';
import type { ChangeContext, ChangeRule } from '../../src/rule.js';
import { listing, quote } from '../../src/text.js';
import type { RawFinding, Severity } from '../../src/types.js';
import { lineOf } from '../../src/yaml/lines.js';

/** A revert at most this old (before the head commit) is recent: the incident may still be open. */
export const RECENT_DAYS = 30;
const DAY = 86_400;
/** Words of a commit message that name an incident. */
export const INCIDENT = /\b(incidents?|outages?|post-?mortems?|sev[ -]?[0-4]|inc-?\d+)\b/i;
/** Sites listed by name in a message; the rest are counted. */
const LISTED = 3;

export function shortSha(c: CommitInfo): string {
  return c.sha.slice(0, 7);
}

export function dateOf(c: CommitInfo): string {
  return new Date(c.time * 1000).toISOString().slice(0, 10);
}

/** `abc1234 ("Add node telemetry", 2026-11-02)` */
export function commitText(c: CommitInfo): string {
  return `${shortSha(c)} (${quote(c.subject)}, ${dateOf(c)})`;
}

/** `spec.x = 1`, `spec.x removed`, `the object deleted`. */
function siteText(s: Site): string {
  if (s.path.length === 0) return s.value === ABSENT ? `${s.ref ?? 'the document'} deleted` : 'the whole document';
  const where = pathText(s.path);
  if (s.value === ABSENT) return `${where} removed`;
  return s.value === PRESENT ? where : `${where} = ${valueText(s.value)}`;
}

function daysText(seconds: number): string {
  const d = Math.round(Math.abs(seconds) / DAY);
  return d === 0 ? 'the same day as' : `${d} day${d === 1 ? '' : 's'} before`;
}

/** Where a finding about one document points, and the clusters it reaches. */
function place(ctx: ChangeContext, o: SiteOutcome): Pick<RawFinding, 'at' | 'about' | 'file' | 'line' | 'clusters'> {
  const side = o.head ? ctx.head : ctx.base;
  const sideName = o.head ? 'head' : 'base';
  const t = (o.head ?? o.base)!;
  // A generator input reaches the clusters of the ConfigMaps made from it.
  const generated = side.objects.filter((x) => Object.values(x.generated?.inputs ?? x.source?.generated?.inputs ?? {}).includes(t.file));
  const clusters = generated.length ? [...new Set(generated.flatMap((x) => ctx.fleet.clustersOfObject(x, sideName)))] : [...ctx.fleet.clustersOfFile(t.file, sideName)];
  const object = objectOf(side, t);
  const inside = o.head ? locateSite(t.doc, o.site.path) : { path: ['metadata', 'name'] };
  if (object) return { at: { object, ...inside }, ...(o.head ? {} : { about: object }), clusters };
  const file = side.files.get(t.file);
  const line = file ? lineOf(file.text, t.docIndex, [...t.docPath, ...inside.path], inside.innerLine, undefined, file.docs.length) : (inside.innerLine ?? 0) + 1;
  return { file: t.file, line, clusters };
}

export const reappliedRevert: ChangeRule = {
  meta: {
    id: 'revert-lock/reapplied-revert',
    family: 'revert-lock',
    type: 'change',
    severity: 'high',
    description: 'Flag a pull request that puts back a value a revert on the base branch took out.',
    docs: 'docs/rules/revert-lock/reapplied-revert.md',
    remediation:
      'Find out why the change was reverted and fix the cause before re-applying it; once reviewers agree it is safe, a maintainer adds the label blast-radius-override:revert-<original sha> to the pull request.',
  },
  check(ctx) {
    const reverts = ctx.history.reverts.filter((r) => !r.inPr);
    if (reverts.length === 0) return;
    const targets = changedTargets(ctx.base, ctx.head, ctx.changes);
    for (const record of reverts) {
      const outcomes = targets.outcomes(record);
      const reapplied = outcomes.filter((o) => o.outcome === 'reapplied');
      if (reapplied.length === 0) continue;
      const different = outcomes.filter((o) => o.outcome === 'different');
      report(ctx, record, reapplied, different);
    }
  },
};

function report(ctx: ChangeContext, record: RevertRecord, reapplied: SiteOutcome[], different: SiteOutcome[]): void {
  const { original, revert } = record;
  const age = ctx.history.headTime - revert.time;
  const recent = ctx.history.headTime > 0 && age <= RECENT_DAYS * DAY;
  const incident = INCIDENT.exec(`${revert.subject}\n${revert.body}`);
  const on = ctx.history.reappliedBy.get(revert.sha);
  const severity: Severity = recent || incident ? 'critical' : 'high';
  const why = age >= 0 ? `${daysText(age)} this change's head commit` : `${daysText(-age).replace('before', 'after')} this change's head commit (the branch is older than the revert)`;
  const reasons = [
    ...(incident ? [`its message names an incident (${quote(incident[0])})`] : []),
    ...(on ? [`this pull request re-applies it deliberately in ${commitText(on)}`] : []),
  ];
  // Lifted only by a verified label, like a lock: the same id as the lock unlocked-revert proposes.
  const override = { id: `revert-${shortSha(original)}`, reason: `re-apply of ${shortSha(original)}, reverted in ${shortSha(revert)}` };
  const diff = [...new Map(different.map((d) => [`${d.site.target}\u0000${d.site.path.join('\u0001')}`, d] as const)).values()];
  // One finding per document (and copy of it) with reapplied sites.
  const groups = new Map<string, SiteOutcome[]>();
  for (const o of reapplied) {
    const t = (o.head ?? o.base)!;
    const k = `${t.file}\u0000${t.docIndex}\u0000${t.id}`;
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(o);
  }
  for (const [k, group] of groups) {
    const sites = [...new Map(group.map((o) => [o.site.path.join('\u0001'), o.site] as const)).values()];
    const t = (group[0].head ?? group[0].base)!;
    const listed = sites.slice(0, LISTED).map(siteText);
    const more = sites.length > LISTED ? ` and ${sites.length - LISTED} more` : '';
    const name = t.ref ?? `${t.file} (document ${t.docIndex + 1})`;
    const reworked = diff.length
      ? `; it also sets ${diff.length === 1 ? 'a new value' : 'new values'} at ${listing(diff.slice(0, LISTED).map((d) => pathText(d.site.path)))}${diff.length > LISTED ? ` and ${diff.length - LISTED} more` : ''} where the revert undid the original, so this may be a reworked version: check that the cause of the revert is gone`
      : '';
    ctx.report({
      key: `${revert.sha}:${k}`,
      severity,
      message:
        `re-applies to ${name} what ${shortSha(revert)} reverted: ${listing(listed)}${more}; ` +
        `${commitText(original)} introduced it and ${commitText(revert)} reverted it ${why}${reasons.length ? `, and ${listing(reasons)}` : ''}${reworked}`,
      remediation: `Find out why ${shortSha(revert)} reverted ${shortSha(original)} and fix the cause before re-applying it; once reviewers agree it is safe, a maintainer adds the label ${overrideLabel(override.id)} to the pull request.`,
      ...place(ctx, group[0]),
      lock: override,
      data: { revert: revert.sha, original: original.sha, sites: sites.map((s) => pathText(s.path)), recent, incident: Boolean(incident) },
    });
  }
}
