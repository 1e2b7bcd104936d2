/**
 * Terminal report: a verdict line, one block per finding, then errors, notes and the cluster table.
 * Pure and deterministic; ANSI colour only when asked for (the CLI passes `process.stdout.isTTY`).
 */
import { findingReach } from '../reach.js';
import type { Finding, Report, ReportCluster, ReportContext, Severity } from '../types.js';

const WIDTH = 100;
const INDENT = '    ';

const ANSI = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
} as const;
type Style = keyof typeof ANSI;

const SEVERITY_STYLE: Record<Severity, Style[]> = {
  critical: ['bold', 'magenta'],
  high: ['bold', 'red'],
  medium: ['yellow'],
  low: ['cyan'],
};

/**
 * Render a report for a terminal, at most about 100 columns wide (long words are not broken).
 * Findings keep the report's order, live ones first; `opts.color` turns ANSI colour on.
 */
export function renderText(report: Report, ctx: ReportContext, opts: { color: boolean }): string {
  const paint = (text: string, ...styles: Style[]): string =>
    opts.color && styles.length > 0 ? styles.map((s) => ANSI[s]).join('') + text + ANSI.reset : text;

  const live = report.findings.filter((f) => !f.suppressed);
  const suppressed = report.findings.filter((f) => f.suppressed);
  const out: string[] = [verdict(report, ctx, suppressed.length, paint)];

  for (const f of live) out.push('', ...findingBlock(f, paint, false, report.clusters));
  if (suppressed.length > 0) {
    out.push('', paint(`Suppressed (${suppressed.length}, not counted):`, 'bold'));
    for (const f of suppressed) out.push('', ...findingBlock(f, paint, true, report.clusters));
  }
  if (report.errors.length > 0) {
    out.push('', paint(`Errors (${report.errors.length}):`, 'bold', 'red'));
    for (const e of report.errors) out.push(...wrap(`${line(e.file)}:${e.line}: ${clean(e.message)}`, '  '));
  }
  if (report.notes.length > 0) {
    out.push('', paint('Notes:', 'bold'));
    for (const n of report.notes) out.push(...wrap(clean(n), '  - ', '    '));
  }
  if (report.clusters.length > 0) out.push('', ...clusterTable(report.clusters, paint));
  return out.join('\n') + '\n';
}

type Paint = (text: string, ...styles: Style[]) => string;

function verdict(report: Report, ctx: ReportContext, suppressed: number, paint: Paint): string {
  const head = paint('Blast Radius:', 'bold');
  const level =
    report.level === 'none'
      ? suppressed > 0
        ? `no live findings (${suppressed} suppressed)`
        : 'no findings'
      : paint(report.level.toUpperCase(), ...SEVERITY_STYLE[report.level]);
  // The exit code the CLI will return is the truth; the renderer does not recompute it from the levels.
  const outcome =
    ctx.exitCode === 0
      ? paint(report.level === 'none' ? 'passes' : `passes at fail-on ${ctx.failOn}`, 'green')
      : paint(`check fails at fail-on ${ctx.failOn} (exit ${ctx.exitCode})`, 'bold', 'red');
  return `${head} ${level} — risk ${report.score}/100 — ${outcome}`;
}

function findingBlock(f: Finding, paint: Paint, suppressed: boolean, table: readonly ReportCluster[]): string[] {
  const where = f.file === null ? '(whole change)' : f.line === null ? line(f.file) : `${line(f.file)}:${f.line}`;
  const resource = f.resource === null ? '(no resource)' : line(f.resource);
  const sevStyle: Style[] = suppressed ? ['dim'] : SEVERITY_STYLE[f.severity];
  const header = fitLine([
    [where, paint(where, 'bold')],
    [f.severity, paint(f.severity, ...sevStyle) + ' '.repeat(8 - f.severity.length)],
    [line(f.ruleId), line(f.ruleId)],
    [resource, resource],
  ]);
  const mark = suppressed ? [paint(`(suppressed: ${line(f.suppressedBy ?? 'unknown')})`, 'dim')] : [];
  return [
    header,
    ...mark.map((m) => INDENT + m),
    ...wrap(clean(f.message), INDENT),
    ...wrap(`reach: ${line(findingReach(f.clusters, table))}`, INDENT, INDENT + '       '),
    ...wrap(`fix: ${clean(f.remediation)}`, INDENT, INDENT + '     '),
  ];
}

function clusterTable(clusters: ReportCluster[], paint: Paint): string[] {
  const rows = clusters.map((c) => [
    line(c.name),
    line(c.stage),
    (c.nodesAssumed ? '~' : '') + thousands(c.nodes),
    c.affected ? 'yes' : 'no',
  ]);
  const head = ['cluster', 'stage', 'nodes', 'affected'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  // Nodes are right-aligned so the magnitudes line up.
  const fmt = (r: string[]): string =>
    r.map((cell, i) => (i === 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  const affected = clusters.filter((c) => c.affected).length;
  const out = [paint(`Clusters (${affected} of ${clusters.length} affected):`, 'bold'), '  ' + paint(fmt(head), 'dim')];
  for (let i = 0; i < rows.length; i++) {
    const text = '  ' + fmt(rows[i]);
    out.push(clusters[i].affected ? text : paint(text, 'dim'));
  }
  if (clusters.some((c) => c.nodesAssumed)) out.push(paint('  ~ node count assumed (not configured)', 'dim'));
  return out;
}

/**
 * Repo-controlled text may carry terminal escape sequences (a hostile object name could recolour or
 * rewrite the terminal); C0/C1 control characters other than newline and tab are replaced.
 */
function clean(text: string): string {
  // Bidi overrides and isolates ("trojan source") would reorder what the terminal shows: dropped.
  return text.replace(/\r\n?/g, '\n').replace(/[\u202a-\u202e\u2066-\u2069]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '\uFFFD');
}

/** `clean` for single-line fields (file names, resources, cluster names). */
function line(text: string): string {
  return clean(text).replace(/[\n\t]/g, ' ');
}

function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Join `[plain, painted]` parts with two spaces; a part that would pass WIDTH starts an indented line. */
function fitLine(parts: Array<[plain: string, painted: string]>): string {
  let out = parts[0][1];
  let width = parts[0][0].length;
  for (const [plain, painted] of parts.slice(1)) {
    if (width + 2 + plain.length > WIDTH) {
      out = `${out.trimEnd()}\n${INDENT}${painted}`;
      width = INDENT.length + plain.length;
    } else {
      out += '  ' + painted;
      width += 2 + plain.length;
    }
  }
  return out;
}

/** Word-wrap to WIDTH columns; `first` prefixes the first line, `rest` the following ones. */
function wrap(text: string, first: string, rest: string = first): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let current = '';
    let prefix = out.length === 0 ? first : rest;
    // A one-line YAML entry to paste (a lock entry: `- { … }`) is kept whole: wrapped, it would not paste.
    if (/^- \{.*\}$/.test(paragraph)) {
      out.push(prefix + paragraph);
      continue;
    }
    for (const word of paragraph.split(/[ \t]+/).filter((w) => w !== '')) {
      if (current !== '' && prefix.length + current.length + 1 + word.length > WIDTH) {
        out.push(prefix + current);
        prefix = rest;
        current = word;
      } else {
        current = current === '' ? word : `${current} ${word}`;
      }
    }
    out.push((prefix + current).trimEnd());
  }
  return out;
}
