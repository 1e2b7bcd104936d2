/**
 * SARIF 2.1.0 report, shaped for GitHub code scanning (upload with `github/codeql-action/upload-sarif`).
 * Pure and deterministic: rules in `ctx.rules` order, results in report order.
 */
import { createHash } from 'node:crypto';
import type { Invocation, Log, Notification, ReportingDescriptor, Result } from 'sarif';
import { findingReach } from '../reach.js';
import type { Finding, Report, ReportCluster, ReportContext, RuleMeta, Severity } from '../types.js';

const REPO_URL = 'https://github.com/kube-blast-radius/kube-blast-radius';

const LEVEL: Record<Severity, Result.level> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };

/**
 * GitHub code scanning reads `properties['security-severity']` (a numeric string, 0.0–10.0) to show
 * critical/high/medium/low instead of error/warning/note. Its bands: ≥ 9.0 critical, 7.0–8.9 high,
 * 4.0–6.9 medium, below 4.0 low. GitHub only applies it to rules tagged `security`, which ours are not
 * (they are reliability rules); it is emitted so that tagging is the only change needed later.
 */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.0', low: '2.0' };

/**
 * Render a report as a SARIF 2.1.0 log (2-space JSON, trailing newline). Every finding becomes a
 * result; suppressed ones carry an `inSource` suppression so code scanning closes them instead of
 * dropping them silently.
 */
export function renderSarif(report: Report, ctx: ReportContext): string {
  const rules: ReportingDescriptor[] = [];
  const index = new Map<string, number>();
  const add = (d: ReportingDescriptor): void => {
    if (!index.has(d.id)) index.set(d.id, rules.push(d) - 1);
  };
  ctx.rules.forEach((meta) => add(describe(meta)));
  // A finding whose rule is not in ctx.rules (a config-validation finding, an engine error) still
  // needs a descriptor, or its ruleIndex would point nowhere.
  report.findings.forEach((f) => add(minimalDescriptor(f)));

  const log: Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'blast-radius', informationUri: REPO_URL, rules } },
        invocations: [invocation(report)],
        results: report.findings.map((f) => result(f, index.get(f.ruleId) ?? 0, report.clusters)),
        properties: { score: report.score, level: report.level },
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}

function describe(meta: RuleMeta): ReportingDescriptor {
  return {
    id: meta.id,
    name: meta.id,
    shortDescription: { text: meta.description },
    // GitHub shows fullDescription at the top of an alert and requires it; our one-sentence
    // description is all there is.
    fullDescription: { text: meta.description },
    helpUri: `${REPO_URL}/blob/main/${meta.docs}`,
    help: { text: meta.remediation, markdown: `${meta.remediation}\n\n[Rule documentation](${REPO_URL}/blob/main/${meta.docs})` },
    defaultConfiguration: { level: LEVEL[meta.severity] },
    properties: { tags: [meta.family], 'security-severity': SECURITY_SEVERITY[meta.severity] },
  };
}

function minimalDescriptor(f: Finding): ReportingDescriptor {
  return {
    id: f.ruleId,
    name: f.ruleId,
    shortDescription: { text: f.ruleId },
    defaultConfiguration: { level: LEVEL[f.severity] },
    properties: { tags: [f.family], 'security-severity': SECURITY_SEVERITY[f.severity] },
  };
}

function result(f: Finding, ruleIndex: number, table: readonly ReportCluster[]): Result {
  const reach = findingReach(f.clusters, table);
  const out: Result = {
    ruleId: f.ruleId,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: plain(`${f.message}\n\nFix: ${f.remediation}\n\nReach: ${reach}`) },
    partialFingerprints: { 'blastRadius/v1': fingerprint(f) },
    properties: { severity: f.severity, resource: f.resource, clusters: f.clusters },
  };
  // A finding about the change as a whole has no file, so no location: inventing one (line 1 of some
  // file) would mislead. GitHub code scanning cannot show such a result on a file, and a location with
  // only a logicalLocation fails its upload ("expected artifact location"), so none is given at all.
  if (f.file !== null) {
    out.locations = [
      {
        physicalLocation: {
          // Repository-relative, against %SRCROOT% as CodeQL does: code scanning resolves it from the
          // checkout root and matches it to the file in the PR.
          artifactLocation: { uri: toUri(f.file), uriBaseId: '%SRCROOT%' },
          // GitHub rejects a physical location without a region (kube-linter: "GH1003"), so a
          // file-level finding points at line 1.
          region: { startLine: Math.max(1, f.line ?? 1) },
        },
        ...(f.resource === null ? {} : { logicalLocations: [{ fullyQualifiedName: clean(f.resource), kind: 'object' }] }),
      },
    ];
  }
  if (f.suppressed) {
    out.suppressions = [{ kind: 'inSource', ...(f.suppressedBy === null ? {} : { justification: plain(f.suppressedBy) }) }];
  }
  return out;
}

/**
 * Stable across commits: rule, resource and file only. Line numbers and messages (which carry load
 * figures) change with unrelated edits and would reopen alerts. GitHub still adds its own
 * `primaryLocationLineHash` at upload.
 */
// The rule's key tells apart two findings of one rule on one object (two containers, two webhooks), so
// code scanning keeps them as two alerts; it holds no line numbers, so an alert survives edits above it.
function fingerprint(f: Finding): string {
  return createHash('sha256')
    .update([f.ruleId, f.resource ?? '', f.file ?? '', f.key ?? ''].join('\0'))
    .digest('hex')
    .slice(0, 32);
}

/** Errors and notes go to the invocation, where code scanning lists them as tool notifications. */
function invocation(report: Report): Invocation {
  const notifications: Notification[] = [
    ...report.errors.map(
      (e): Notification => ({
        level: 'error',
        message: { text: plain(e.message) },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: toUri(e.file), uriBaseId: '%SRCROOT%' },
              region: { startLine: Math.max(1, e.line) },
            },
          },
        ],
      }),
    ),
    ...report.notes.map((n): Notification => ({ level: 'note', message: { text: plain(n) } })),
  ];
  return { executionSuccessful: true, toolExecutionNotifications: notifications };
}

/**
 * Repository-relative path → URI reference: each segment percent-encoded (spaces, `#`, `?`, `%`),
 * `/` kept. GitHub decodes these the same way as CodeQL's own SARIF.
 */
function toUri(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * Repository text in a SARIF message (SARIF 2.1.0 §3.11.6): `[text](target)` in a plain-text message is an
 * embedded link that viewers render, so literal square brackets are escaped with a backslash (and a backslash
 * just before one doubled); control characters and bidi overrides are dropped as in the text report.
 */
function plain(text: string): string {
  return clean(text).replace(/(\\*)([[\]])/g, (_, slashes: string, bracket: string) => `${slashes}${slashes}\\${bracket}`);
}

/** Control characters other than newline and tab become U+FFFD; bidi overrides ("trojan source") are dropped. */
function clean(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '\uFFFD');
}
