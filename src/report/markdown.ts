/**
 * Markdown report: the sticky PR comment and the job summary. Verdict first, then a findings table,
 * details, suppressed findings, errors, notes and clusters. Pure and deterministic.
 *
 * Everything that comes from the repository is escaped with `esc()`: it must not break the table,
 * inject HTML, ping people (`@user`), link issues (`#123`) or forge links and the hidden marker.
 * Mermaid charts hold only numbers and fixed strings: nothing from the repository goes into them.
 */
import { formatBytes, formatCount, formatRatio, SEVERITY_RATIOS } from '../load-model.js';
import { durationText, findingReach } from '../reach.js';
import { levelRank } from '../types.js';

/** The implicit cluster of files no cluster receives (src/fleet.ts UNMAPPED). */
const UNMAPPED_NAME = 'unmapped';
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
/** Longest load table of one finding; past it the smallest clusters are left out (the largest matter most). */
const LOAD_TABLE_CHARS = 4_000;
/** Most cluster sizes one chart shows; past it an evenly spaced selection, always with the smallest and largest. */
const CHART_POINTS = 24;

const BADGE: Record<Severity, string> = { critical: '🟣', high: '🔴', medium: '🟠', low: '🟡' };

/**
 * Render a report as GitHub-flavoured Markdown of at most 60,000 characters. Live findings are sorted
 * by severity (critical first), then file and line; when they do not fit, the rest are counted in a
 * closing line that points at the job summary / JSON report.
 */
export function renderMarkdown(report: Report, ctx: ReportContext, opts: { limit?: number } = {}): string {
  const limit = opts.limit ?? LIMIT;
  const live = sortFindings(report.findings.filter((f) => !f.suppressed));
  const suppressed = sortFindings(report.findings.filter((f) => f.suppressed));
  const head = [MARKER, verdict(report, ctx), ''];

  if (live.length === 0 && suppressed.length === 0 && report.errors.length === 0) {
    const s = report.stats;
    const commits = [ctx.base && `base ${sha(ctx.base)}`, ctx.head && `head ${sha(ctx.head)}`].filter(Boolean);
    head.push(`No findings: nothing in this change puts the fleet at risk (${commits.length ? `${commits.join(' → ')} · ` : ''}${s.changedFiles} changed files, ${s.resources} resources checked).`);
    return [...head, '', ...notesSection(report)].join('\n').trimEnd() + '\n';
  }
  head.push(...explanation(report, ctx), '');

  // Lowest priority sections are sized first, so the findings get whatever space is left.
  const tailLines = [...rolloutPlan(report, live), ...errorsSection(report), ...notesSection(report), ...clustersSection(report.clusters)];
  const suppressedLines = suppressedSection(suppressed);
  const used = size(head) + size(tailLines) + size(suppressedLines);
  const findingLines = findingsSection(live, limit - used - 200, report.clusters);

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

function findingsSection(live: Finding[], budget: number, clusters: readonly ReportCluster[]): string[] {
  if (live.length === 0) return ['No live findings.', ''];
  const table = ['| Severity | Rule | Resource | Location | Clusters reached |', '| --- | --- | --- | --- | --- |'];
  const rows = live.map(
    (f) => `| ${BADGE[f.severity]} ${f.severity} | ${esc(f.ruleId, CELL_CHARS)} | ${resource(f)} | ${where(f)} | ${clusterList(f.clusters)} |`,
  );
  // The table (one line per finding) may take three quarters of the space, so the top findings keep
  // their details even in a huge report; the details get whatever is left.
  table.push(...fit(rows, Math.floor(budget * 0.75) - size(table), inReport('findings')), '');
  const left = budget - size(table);
  const plain = live.map((f) => findingDetails(f, false, clusters).join('\n'));
  const full = live.map((f) => findingDetails(f, true, clusters).join('\n'));
  // Charts go before findings: when the details with charts do not fit, the findings keep their details
  // (and load tables) and charts are added back in report order while they fit.
  let details = full;
  if (size(full) > left) {
    details = [...plain];
    let used = size(plain);
    for (let i = 0; i < live.length; i++) {
      const extra = full[i].length - plain[i].length;
      if (extra === 0) continue;
      if (used + extra > left) break;
      details[i] = full[i];
      used += extra;
    }
  }
  return [...table, ...fit(details, left, (n) => `Details of ${inReport('findings')(n)}`)];
}

function findingDetails(f: Finding, chart: boolean, table: readonly ReportCluster[]): string[] {
  const summary = `${f.severity} · ${esc(f.ruleId, CELL_CHARS)} · ${resource(f)} · ${where(f)}`;
  const load = loadOf(f);
  return [
    `<details><summary>${summary}</summary>`,
    '',
    esc(f.message, BODY_CHARS),
    '',
    `**Fix:** ${esc(f.remediation, BODY_CHARS)}`,
    '',
    `**Reach:** ${esc(findingReach(f.clusters, table), BODY_CHARS)}`,
    '',
    ...(load ? [...loadTable(load), ...(chart ? loadChart(chartOf(f) ?? load) : [])] : []),
    '</details>',
    '',
  ];
}

/** One reached cluster of a watch-all finding, as `finding.data.load` carries it (src/agents/kit.ts). */
interface ClusterLoadRow {
  cluster: string;
  nodes: number;
  nodesAssumed: boolean;
  relistBytes: number;
  requestsPerSecond: number;
  ratio: number;
}

/**
 * The load rows of a watch-all finding, sorted by node count (then name); undefined unless `data.load` is a
 * non-empty array whose every entry has a string cluster, a boolean nodesAssumed and finite, non-negative
 * numbers (a malformed entry drops the whole table rather than showing a partial one).
 */
function loadOf(f: Finding): ClusterLoadRow[] | undefined {
  if (f.family !== 'watch-all') return undefined;
  const load = f.data?.load;
  if (!Array.isArray(load) || load.length === 0) return undefined;
  const rows: ClusterLoadRow[] = [];
  for (const e of load as unknown[]) {
    if (typeof e !== 'object' || e === null) return undefined;
    const { cluster, nodes, nodesAssumed, relistBytes, requestsPerSecond, ratio } = e as Record<string, unknown>;
    if (typeof cluster !== 'string' || typeof nodesAssumed !== 'boolean') return undefined;
    const numbers = [nodes, relistBytes, requestsPerSecond, ratio];
    if (!numbers.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)) return undefined;
    rows.push({ cluster, nodes: nodes as number, nodesAssumed, relistBytes: relistBytes as number, requestsPerSecond: requestsPerSecond as number, ratio: ratio as number });
  }
  return rows.sort((a, b) => a.nodes - b.nodes || cmp(a.cluster, b.cluster) || a.ratio - b.ratio);
}

/**
 * The chart points of a watch-all finding: `data.chart` (the model at every cluster size of the fleet),
 * sorted by node count; undefined unless every entry has finite, non-negative `nodes` and `ratio`.
 */
function chartOf(f: Finding): Array<{ nodes: number; ratio: number }> | undefined {
  const chart = f.data?.chart;
  if (!Array.isArray(chart) || chart.length === 0) return undefined;
  const points: Array<{ nodes: number; ratio: number }> = [];
  for (const e of chart as unknown[]) {
    const { nodes, ratio } = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
    if (![nodes, ratio].every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)) return undefined;
    points.push({ nodes: nodes as number, ratio: ratio as number });
  }
  return points.sort((a, b) => a.nodes - b.nodes || a.ratio - b.ratio);
}

/** The per-cluster table; when it is too long, the smallest clusters are left out and counted. */
function loadTable(load: ClusterLoadRow[]): string[] {
  const rows = load.map(
    (l) =>
      `| ${esc(l.cluster, CELL_CHARS)} | ${formatCount(l.nodes)}${l.nodesAssumed ? ' (assumed)' : ''} | ${formatBytes(l.relistBytes)} | ` +
      `${pollRate(l.requestsPerSecond)} | ${formatRatio(l.ratio)} ${capacityVerdict(l.ratio)} |`,
  );
  let first = rows.length - 1;
  for (let used = rows[first].length + 1; first > 0 && used + rows[first - 1].length + 1 <= LOAD_TABLE_CHARS; first--) used += rows[first - 1].length + 1;
  const cut = first === 0 ? [] : ['', `${first} smaller cluster${first === 1 ? '' : 's'} (${formatCount(load[0].nodes)} to ${formatCount(load[first - 1].nodes)} nodes) not shown.`];
  return [
    '**Load on the API servers** of each reached cluster (capacity used: 1× is all they can serve):',
    '',
    '| Cluster | Nodes | Relist | Poll rate | Capacity used |',
    '| --- | ---: | ---: | ---: | --- |',
    ...rows.slice(first),
    ...cut,
    '',
  ];
}

function pollRate(rps: number): string {
  if (rps <= 0) return '—';
  if (rps >= 10) return `${formatCount(rps)} req/s`;
  if (rps >= 0.1) return `${trimZeros(rps.toFixed(1))} req/s`;
  return 'under 0.1 req/s';
}

/** passes below 0.25×, strains from 0.25×, overload from 1× (the load model's medium and high thresholds). */
function capacityVerdict(ratio: number): string {
  if (ratio >= SEVERITY_RATIOS.high) return 'overload';
  if (ratio >= SEVERITY_RATIOS.medium) return 'strains';
  return 'passes';
}

/**
 * A Mermaid `xychart-beta`: the ratio (bars) against node counts — the fleet's cluster sizes when the finding
 * carries them, else the reached clusters' (one category per size, the highest ratio of that size) — with the
 * capacity line at 1. Only numbers and fixed strings: safe as is.
 */
function loadChart(load: ReadonlyArray<{ nodes: number; ratio: number }>): string[] {
  const bySize = new Map<string, number>();
  for (const l of load) {
    const label = formatCount(l.nodes);
    bySize.set(label, Math.max(bySize.get(label) ?? 0, l.ratio));
  }
  // `load` is sorted by node count, so the labels are in ascending order.
  let points = [...bySize];
  if (points.length > CHART_POINTS) {
    const n = points.length;
    const picked = new Set(Array.from({ length: CHART_POINTS }, (_, i) => Math.round((i * (n - 1)) / (CHART_POINTS - 1))));
    points = points.filter((_, i) => picked.has(i));
  }
  const top = niceCeil(Math.max(1, ...points.map(([, r]) => r)) * 1.1);
  return [
    '```mermaid',
    'xychart-beta',
    '  title "Capacity used by cluster size"',
    `  x-axis "nodes" [${points.map(([label]) => `"${label}"`).join(', ')}]`,
    `  y-axis "ratio to capacity" 0 --> ${chartNumber(top)}`,
    `  bar [${points.map(([, r]) => chartNumber(r)).join(', ')}]`,
    `  line [${points.map(() => '1').join(', ')}]`,
    '```',
    '',
  ];
}

/** The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k that is at least `n` (n > 0). */
function niceCeil(n: number): number {
  const scale = 10 ** Math.floor(Math.log10(n));
  const step = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((s) => s * scale >= n * (1 - 1e-12)) ?? 10;
  return step * scale;
}

/** A plain decimal for Mermaid (never exponent notation): three significant digits, at most six decimals. */
function chartNumber(n: number): string {
  if (!(n > 0)) return '0';
  const v = Math.min(n, 1e12);
  const decimals = Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(v))));
  return trimZeros(v.toFixed(decimals));
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
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

/**
 * When live canary findings exist: the staged plan for this change — its clusters stage by stage (smallest
 * first inside a stage), what to watch between stages, and the bake time (at least the longest known DNS
 * cache TTL of a stage's clusters).
 */
export function rolloutPlan(report: Report, live: readonly Finding[]): string[] {
  if (!live.some((f) => f.family === 'canary')) return [];
  const reached = new Set(live.flatMap((f) => f.clusters));
  // The implicit cluster is no place to roll to: its reach is unknown.
  const known = report.clusters.filter((c) => c.name !== UNMAPPED_NAME);
  const clusters = known.filter((c) => c.affected || reached.has(c.name));
  if (clusters.length === 0) return [];
  const lastStage = known.at(-1)?.stage;
  // A change that reaches only the last stage goes through an earlier stage first when the fleet has one.
  const earlier = clusters.every((c) => c.stage === lastStage) ? known.filter((c) => c.stage !== lastStage) : [];
  const stages: Array<{ stage: string; clusters: ReportCluster[]; first?: boolean }> = [];
  if (earlier.length > 0) {
    const byNodes = [...earlier].sort((a, b) => a.nodes - b.nodes);
    stages.push({ stage: byNodes[0].stage, clusters: [byNodes[0]], first: true });
  }
  const stageOrder = new Map<string, number>();
  for (const c of known) if (!stageOrder.has(c.stage)) stageOrder.set(c.stage, stageOrder.size);
  const ordered = [...clusters].sort((a, b) => stageOrder.get(a.stage)! - stageOrder.get(b.stage)! || a.nodes - b.nodes || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const c of ordered) {
    const last = stages.at(-1);
    // The last stage one cluster per step, smallest first: half of production at once is a fleet-wide push.
    if (last && last.stage === c.stage && c.stage !== lastStage && !last.first) last.clusters.push(c);
    else stages.push({ stage: c.stage, clusters: [c] });
  }
  const watch: string[] = [];
  if (live.some((f) => f.family === 'watch-all')) {
    watch.push('API server load: `apiserver_flowcontrol_current_inqueue_requests`, `apiserver_current_inflight_requests` and LIST latency (`apiserver_request_duration_seconds{verb="LIST"}`)');
  }
  if (live.some((f) => f.ruleId === 'blast-radius/cluster-dns' || (f.ruleId === 'blast-radius/deletion' && /DNS|CoreDNS|kube-dns/.test(f.message)))) {
    watch.push('DNS resolution success rate (CoreDNS `coredns_dns_responses_total` by rcode, SERVFAIL in particular), measured apart from application health');
  }
  watch.push('the error rate and readiness of what the change touches, on the stage just updated');
  const rows = stages.map((st, i) => {
    const sorted = [...st.clusters].sort((a, b) => a.nodes - b.nodes || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const names = sorted.map((c) => `${esc(c.name, CELL_CHARS)} (${thousands(c.nodes)}${c.nodesAssumed ? ', assumed' : ''})`).join(', ');
    const bake = Math.max(0, ...st.clusters.map((c) => c.bakeSeconds ?? 0));
    const wait = i === stages.length - 1 ? '—' : bake > 0 ? `at least ${durationText(bake)} (DNS cache TTL), and until the signals below are steady` : 'until the signals below are steady';
    const stage = st.first ? `${esc(st.stage, CELL_CHARS)} (first: not in this change yet)` : esc(st.stage, CELL_CHARS);
    return `| ${i + 1} | ${stage} | ${names} | ${wait} |`;
  });
  return [
    '**Staged rollout plan** for this change: one step per pull request (or sync step), smallest cluster first; production one cluster at a time.',
    '',
    '| Step | Stage | Clusters (nodes), smallest first | Bake before the next step |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `Watch between stages: ${watch.join('; ')}.`,
    '',
  ];
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
/** Escapes repository text for Markdown (see the module comment); exported for the Action's own lines. */
export function escapeMarkdown(text: string, max = BODY_CHARS): string {
  return esc(text, max);
}

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
      // GitHub also turns `www.` and `scheme://` into links (GFM autolinks): a zero-width space breaks them.
      .replace(/\b(www)\./gi, '$1\u200b.')
      .replace(/\b([a-z][a-z0-9+.-]*):(?=\/\/)/gi, '$1:\u200b')
      .replace(/[&<>"|`\\[\]()*_~]/g, (c) => ENTITIES[c])
      .replace(/\r\n?|\n/g, '<br>')
      .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '\uFFFD')
  );
}
