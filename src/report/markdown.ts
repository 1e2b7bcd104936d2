/**
 * Markdown report: the sticky PR comment and the job summary. Verdict first, then a findings table,
 * details, suppressed findings, errors, notes and clusters. Pure and deterministic.
 *
 * Everything that comes from the repository is escaped with `esc()`: it must not break the table,
 * inject HTML, ping people (`@user`), link issues (`#123`) or forge links and the hidden marker.
 */
import { levelRank } from '../types.js';
import type { Finding, Report, ReportCluster, ReportContext, Severity } from '../types.js';

/** The first line of every comment, so the Action finds and updates its own sticky comment. */
export const MARKER = '<!-- blast-radius -->';

/** GitHub rejects comments over 65,536 characters; the margin leaves room for the Action's own lines. */
const LIMIT = 60_000;
/** Budgets of the sections after the findings, so a flood of errors cannot crowd out the findings. */
const BUDGET = { errors: 6_000, notes: 2_000, clusters: 4_000, suppressed: 8_000 } as const;
/** Longest repo string shown in a table cell / a details body, before escaping. */
const CELL_CHARS = 200;
const BODY_CHARS = 2_000;

const BADGE: Record<Severity, string> = { critical: '🟣', high: '🔴', medium: '🟠', low: '🟡' };

/**
 * Render a report as GitHub-flavoured Markdown of at most 60,000 characters. Live findings are sorted
 * by severity (critical first), then file and line; when they do not fit, the rest are counted in a
 * closing line that points at the job summary / JSON report.
 */
export function renderMarkdown(report: Report, ctx: ReportContext): string {
  const live = sortFindings(report.findings.filter((f) => !f.suppressed));
  const suppressed = sortFindings(report.findings.filter((f) => f.suppressed));
  const head = [MARKER, verdict(report, ctx), ''];

  if (live.length === 0 && suppressed.length === 0 && report.errors.length === 0) {
    const s = report.stats;
    head.push(`No findings: nothing in this change puts the fleet at risk (${s.changedFiles} changed files, ${s.resources} resources checked).`);
    return [...head, '', ...notesSection(report)].join('\n').trimEnd() + '\n';
  }
  head.push(...explanation(report, ctx), '');

  // Lowest priority sections are sized first, so the findings get whatever space is left.
  const tailLines = [...errorsSection(report), ...notesSection(report), ...clustersSection(report.clusters)];
  const suppressedLines = suppressedSection(suppressed);
  const used = size(head) + size(tailLines) + size(suppressedLines);
  const findingLines = findingsSection(live, LIMIT - used - 200);

  return [...head, ...findingLines, ...suppressedLines, ...tailLines].join('\n').trimEnd() + '\n';
}

function verdict(report: Report, ctx: ReportContext): string {
  const none = report.findings.length > 0 ? 'no live findings' : 'no findings';
  const level = report.level === 'none' ? none : `${BADGE[report.level]} ${report.level.toUpperCase()}`;
  const outcome = ctx.exitCode === 0 ? '✅ passes' : `❌ fails at fail-on ${ctx.failOn}`;
  return `### Blast Radius: ${level} · risk ${report.score}/100 · ${outcome}`;
}

function explanation(report: Report, ctx: ReportContext): string[] {
  const meaning =
    `**Level** is the highest severity among live findings; the check fails when it reaches the fail-on level (${ctx.failOn}). ` +
    `**Risk** is the share of the fleet at risk, from 0 (none) to 100 (the whole fleet, critically).`;
  const live = report.findings.filter((f) => !f.suppressed).length;
  const affected = report.clusters.filter((c) => c.affected).length;
  const facts = [
    `${live} live finding${live === 1 ? '' : 's'}` + (live < report.findings.length ? `, ${report.findings.length - live} suppressed` : ''),
    `${affected} of ${report.clusters.length} clusters affected`,
  ];
  const commits = [ctx.base && `base ${sha(ctx.base)}`, ctx.head && `head ${sha(ctx.head)}`].filter(Boolean);
  if (commits.length > 0) facts.unshift(commits.join(' → '));
  return [meaning, '', facts.join(' · ')];
}

function findingsSection(live: Finding[], budget: number): string[] {
  if (live.length === 0) return ['No live findings.', ''];
  const table = ['| Severity | Rule | Resource | Location | Clusters reached |', '| --- | --- | --- | --- | --- |'];
  const rows = live.map(
    (f) => `| ${BADGE[f.severity]} ${f.severity} | ${esc(f.ruleId, CELL_CHARS)} | ${resource(f)} | ${where(f)} | ${clusterList(f.clusters)} |`,
  );
  // The table (one line per finding) may take three quarters of the space, so the top findings keep
  // their details even in a huge report; the details get whatever is left.
  table.push(...fit(rows, Math.floor(budget * 0.75) - size(table), inReport('findings')), '');
  const details = live.map((f) => findingDetails(f).join('\n'));
  return [...table, ...fit(details, budget - size(table), (n) => `Details of ${inReport('findings')(n)}`)];
}

function findingDetails(f: Finding): string[] {
  const summary = `${f.severity} · ${esc(f.ruleId, CELL_CHARS)} · ${resource(f)} · ${where(f)}`;
  return [
    `<details><summary>${summary}</summary>`,
    '',
    esc(f.message, BODY_CHARS),
    '',
    `**Fix:** ${esc(f.remediation, BODY_CHARS)}`,
    '',
    `**Clusters:** ${clusterList(f.clusters)}`,
    '',
    '</details>',
    '',
  ];
}

function suppressedSection(suppressed: Finding[]): string[] {
  if (suppressed.length === 0) return [];
  const by = (f: Finding): string => esc(f.suppressedBy ?? 'unknown', CELL_CHARS);
  const rows = suppressed.map((f) => `| ${f.severity} | ${esc(f.ruleId, CELL_CHARS)} | ${resource(f)} | ${where(f)} | ${by(f)} |`);
  return [
    `<details><summary>${suppressed.length} suppressed finding${suppressed.length === 1 ? '' : 's'} (not counted)</summary>`,
    '',
    '| Severity | Rule | Resource | Location | Suppressed by |',
    '| --- | --- | --- | --- | --- |',
    ...fit(rows, BUDGET.suppressed, inReport('suppressed findings')),
    '',
    '</details>',
    '',
  ];
}

function errorsSection(report: Report): string[] {
  const items = report.errors.map((e) => `- ${esc(e.file, CELL_CHARS)}:${e.line}: ${esc(e.message, BODY_CHARS)}`);
  return items.length === 0 ? [] : [`**Errors** (${items.length}; these files were not analysed):`, '', ...fit(items, BUDGET.errors, inReport('errors')), ''];
}

function notesSection(report: Report): string[] {
  const items = report.notes.map((n) => `- ${esc(n, BODY_CHARS)}`);
  return items.length === 0 ? [] : ['**Notes:**', '', ...fit(items, BUDGET.notes, inReport('notes')), ''];
}

function clustersSection(clusters: ReportCluster[]): string[] {
  if (clusters.length === 0) return [];
  // Affected clusters first: they are what the reader needs; the table may be cut at its end.
  const ordered = [...clusters.filter((c) => c.affected), ...clusters.filter((c) => !c.affected)];
  return [
    '**Clusters reached:**',
    '',
    '| Cluster | Stage | Nodes | Affected |',
    '| --- | --- | ---: | --- |',
    ...fit(ordered.map(clusterRow), BUDGET.clusters, inReport('clusters')),
    '',
  ];
}

function clusterRow(c: ReportCluster): string {
  const nodes = thousands(c.nodes) + (c.nodesAssumed ? ' (assumed)' : '');
  return `| ${esc(c.name, CELL_CHARS)} | ${esc(c.stage, CELL_CHARS)} | ${nodes} | ${c.affected ? 'yes' : 'no'} |`;
}

/** Keep items while they fit in `budget` characters, then add the line `more(number left out)`. */
function fit(items: string[], budget: number, more: (n: number) => string): string[] {
  let used = 0;
  for (let i = 0; i < items.length; i++) {
    used += items[i].length + 1;
    // A cut table needs a blank line before the prose, or the prose becomes a table row.
    if (used > budget) return [...items.slice(0, i), '', more(items.length - i)];
  }
  return items;
}

function inReport(what: string): (n: number) => string {
  return (n) => `${n} more ${what} are in the job summary / JSON report.`;
}

function sortFindings(findings: Finding[]): Finding[] {
  // Array.prototype.sort is stable, so ties keep the report's (already deterministic) order.
  return [...findings].sort(
    (a, b) =>
      levelRank(b.severity) - levelRank(a.severity) ||
      cmp(a.file === null ? 1 : 0, b.file === null ? 1 : 0) ||
      cmp(a.file ?? '', b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      cmp(a.ruleId, b.ruleId),
  );
}

/** Code-unit comparison: unlike localeCompare it does not depend on the runner's locale. */
function cmp<T extends string | number>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function resource(f: Finding): string {
  return f.resource === null ? '(whole change)' : esc(f.resource, CELL_CHARS);
}

function where(f: Finding): string {
  if (f.file === null) return '—';
  return esc(f.file, CELL_CHARS) + (f.line === null ? '' : `:${f.line}`);
}

function clusterList(clusters: string[]): string {
  if (clusters.length === 0) return 'none';
  const shown = clusters.slice(0, 10).map((c) => esc(c, CELL_CHARS));
  const more = clusters.length > 10 ? `, +${clusters.length - 10} more` : '';
  return `${shown.join(', ')}${more} (${clusters.length})`;
}

/** A full commit id is shortened to 7 characters; anything else (a ref name) is escaped as given. */
function sha(ref: string): string {
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(ref) ? ref.slice(0, 7) : esc(ref, 60);
}

function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function size(lines: string[]): number {
  return lines.reduce((n, l) => n + l.length + 1, 0);
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '|': '&#124;', '`': '&#96;', '\\': '&#92;',
  '[': '&#91;', ']': '&#93;', '(': '&#40;', ')': '&#41;', '*': '&#42;', '_': '&#95;', '~': '&#126;',
};

/**
 * Escape repo text for Markdown, table cells and HTML alike. Numeric character references are used
 * instead of backslashes because backslash escapes are not decoded inside HTML blocks (`<summary>`),
 * while entities are decoded everywhere and never count as Markdown syntax. Newlines become `<br>`
 * (one table row, one summary line). Text longer than `max` is cut with an ellipsis.
 */
function esc(text: string, max: number): string {
  let s = text.replace(/[\u202a-\u202e\u2066-\u2069]/g, ''); // bidi overrides ("trojan source")
  if (s.length > max) s = s.slice(0, max - 1).replace(/[\ud800-\udbff]$/, '') + '…';
  return (
    s
      // GitHub links @user, #123 and GH-123 after rendering, so escaping does not stop it: a zero-width
      // space after the sigil does, without changing what the reader sees. (Before the entities, whose
      // own `#` must stay intact.)
      .replace(/([@#])/g, '$1\u200b')
      .replace(/\b(GH)-(?=\d)/gi, '$1-\u200b')
      .replace(/[&<>"|`\\[\]()*_~]/g, (c) => ENTITIES[c])
      .replace(/\r\n?|\n/g, '<br>')
      .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '\uFFFD')
  );
}
